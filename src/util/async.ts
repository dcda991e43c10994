/**
 * Async plumbing shared by every layer: a promise with its settlers exposed, a sleep that a
 * signal cuts short, and a bounded wait. No timer made here outlives the wait it serves.
 */

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

/**
 * Resolves after `ms`, or at once when `signal` aborts; never rejects (callers that must stop on
 * abort check `signal.aborted` afterwards). With `unref`, the timer does not keep the process alive.
 */
export function sleep(ms: number, signal?: AbortSignal, options: { unref?: boolean } = {}): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (options.unref) timer.unref();
    signal?.addEventListener('abort', done, { once: true });
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
  const disarm = (): void => {
    if (!armed) return;
    armed = false;
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
  const fire = (handler: () => void): void => {
    if (!armed) return;
    disarm();
    handler();
  };
  const onAbort = (): void => fire(() => handlers.onAbort());
  const timer = setTimeout(() => fire(() => handlers.onTimeout()), ms);
  if (signal?.aborted) queueMicrotask(onAbort);
  else signal?.addEventListener('abort', onAbort, { once: true });
  return disarm;
}
