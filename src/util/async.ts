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
