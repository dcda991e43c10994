/**
 * A token bucket that paces task starts to stay under an account's QPS quota: `ratePerSecond`
 * tokens a second, at most `burst` saved up. Waiters are served first come, first served.
 */
import { AbortError } from '../errors/index.js';
import { onAbort } from '../util/abort-listeners.js';

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
  /** Stops listening to the waiter's signal, if it has one. */
  stopListening: (() => void) | undefined;
}

export class RateLimiter {
  readonly ratePerSecond: number;
  readonly burst: number;
  #tokens: number;
  #refilledAt = performance.now();
  readonly #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(ratePerSecond: number, burst = Math.max(1, Math.ceil(ratePerSecond))) {
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.#tokens = burst;
  }

  /** Resolves when a token is taken; rejects with `AbortError` if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    this.#refill();
    if (this.#waiters.length === 0 && this.#tokens >= 1) {
      this.#tokens -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        stopListening: undefined,
      };
      if (signal) {
        waiter.stopListening = onAbort(signal, () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          if (this.#waiters.length === 0) this.#stopTimer();
          reject(new AbortError(signal.reason));
        });
      }
      this.#waiters.push(waiter);
      this.#schedule();
    });
  }

  /** Rejects every waiter (e.g. at shutdown) and stops the timer. */
  rejectAll(error: unknown): void {
    this.#stopTimer();
    for (const waiter of this.#waiters.splice(0)) {
      waiter.stopListening?.();
      waiter.reject(error);
    }
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  #refill(): void {
    const now = performance.now();
    this.#tokens = Math.min(
      this.burst,
      this.#tokens + ((now - this.#refilledAt) / 1000) * this.ratePerSecond,
    );
    this.#refilledAt = now;
  }

  #schedule(): void {
    if (this.#timer) return;
    const wait = Math.max(1, ((1 - this.#tokens) / this.ratePerSecond) * 1000);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#refill();
      while (this.#waiters.length > 0 && this.#tokens >= 1) {
        this.#tokens -= 1;
        const waiter = this.#waiters.shift()!;
        waiter.stopListening?.();
        waiter.resolve();
      }
      if (this.#waiters.length > 0) this.#schedule();
    }, wait);
  }

  #stopTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
