/**
 * Async plumbing shared by every layer: a promise with its settlers exposed (made at once, or
 * only when asked for), a sleep that a signal cuts short, and a bounded wait. No timer made here outlives the wait it serves.
 */

import { onAbort } from './abort-listeners.js';

/** A promise with its resolve/reject exposed. */
export class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (reason: unknown) => void;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

const noop = (): void => undefined;

/**
 * A {@link Deferred} whose promise is made only when someone asks for it: most of a task's
 * moments (started, run-task sent, released) pass with nobody waiting, and a promise, its two
 * settlers and its no-op catch are then work for nothing. A rejection is never unhandled: the
 * promise, once made, carries a no-op catch (whoever asked handles it on their own chain).
 */
export class LazyDeferred<T> {
  #promise: Promise<T> | undefined;
  #resolve: ((value: T) => void) | undefined;
  #reject: ((reason: unknown) => void) | undefined;
  /** 0 pending, 1 resolved, 2 rejected. */
  #state = 0;
  #outcome: unknown;

  /** The promise; made now if nobody asked before, already settled if the deferred is. */
  get promise(): Promise<T> {
    if (this.#promise === undefined) {
      if (this.#state === 1) this.#promise = Promise.resolve(this.#outcome as T);
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passed on as given, as reject() would
      else if (this.#state === 2) this.#promise = Promise.reject(this.#outcome);
      else {
        this.#promise = new Promise<T>((resolve, reject) => {
          this.#resolve = resolve;
          this.#reject = reject;
        });
      }
      this.#promise.catch(noop);
    }
    return this.#promise;
  }

  /** Resolves, unless already settled. */
  resolve(value: T): void {
    if (this.#state !== 0) return;
    this.#state = 1;
    this.#outcome = value;
    this.#resolve?.(value);
  }

  /** Rejects, unless already settled. */
  reject(reason: unknown): void {
    if (this.#state !== 0) return;
    this.#state = 2;
    this.#outcome = reason;
    this.#reject?.(reason);
  }
}

/**
 * Resolves after `ms`, or at once when `signal` aborts; never rejects (callers that must stop on
 * abort check `signal.aborted` afterwards). With `unref`, the timer does not keep the process alive.
 */
export function sleep(ms: number, signal?: AbortSignal, options: { unref?: boolean } = {}): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stopListening?.();
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (options.unref) timer.unref();
    const stopListening = signal && onAbort(signal, done);
  });
}

/**
 * Waits for `promise` to settle or for `ms` to pass, whichever comes first; never rejects (a
 * rejection counts as settled). Used where a step must not hold up a shutdown forever.
 */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}

/** What {@link armDeadline} runs when the wait it guards ends by time or by abort. */
export interface DeadlineHandlers {
  /** `ms` passed first. */
  onTimeout(): void;
  /** The signal aborted first. */
  onAbort(): void;
}

/**
 * Guards a wait that normally ends another way (a socket opens, a slot frees up) with a deadline
 * and an abort signal: whichever of the two comes first runs its handler, once, after both are
 * disarmed. Returns the disarm function (idempotent), to call when the wait ends the normal way.
 * A signal that is already aborted runs `onAbort` on a microtask, never synchronously, so the
 * caller may use the returned function inside its handlers.
 */
export function armDeadline(
  ms: number,
  signal: AbortSignal | undefined,
  handlers: DeadlineHandlers,
): () => void {
  let armed = true;
  let stopListening: (() => void) | undefined;
  const disarm = (): void => {
    if (!armed) return;
    armed = false;
    clearTimeout(timer);
    stopListening?.();
  };
  const fire = (handler: () => void): void => {
    if (!armed) return;
    disarm();
    handler();
  };
  const aborted = (): void => fire(() => handlers.onAbort());
  const timer = setTimeout(() => fire(() => handlers.onTimeout()), ms);
  if (signal?.aborted) queueMicrotask(aborted);
  else if (signal) stopListening = onAbort(signal, aborted);
  return disarm;
}

/**
 * A promise rejected with `error` as caught: what an async function's throw would give, for the
 * synchronous front of a promise-returning method.
 */
export function rejected<T = never>(error: unknown): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passed on as caught
  return Promise.reject(error);
}
