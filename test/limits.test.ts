import { describe, expect, it } from 'vitest';
import { equalJitter, fullJitter } from '../src/backoff.js';
import { AbortError } from '../src/errors/index.js';
import { RateLimiter } from '../src/rate-limiter.js';
import { Semaphore } from '../src/semaphore.js';

describe('Semaphore', () => {
  it('never runs more operations at once than it has permits, and serves them in order', async () => {
    const semaphore = new Semaphore(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        semaphore.run(async () => {
          order.push(i);
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running -= 1;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('frees the permit when the operation throws', async () => {
    const semaphore = new Semaphore(1);
    await expect(semaphore.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await semaphore.run(() => Promise.resolve(42))).toBe(42);
  });
});

describe('RateLimiter', () => {
  it('hands out the burst at once, then paces the rest', async () => {
    const limiter = new RateLimiter(20, 2);
    const started = performance.now();
    await Promise.all(Array.from({ length: 4 }, () => limiter.acquire()));
    // Two tokens up front, two more at 20 per second: at least ~100 ms, however fast the machine.
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('rejects an aborted waiter with AbortError and keeps serving the others', async () => {
    const limiter = new RateLimiter(10, 1);
    await limiter.acquire();
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal);
    const next = limiter.acquire();
    expect(limiter.waiting).toBe(2);
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    await next;
    expect(limiter.waiting).toBe(0);
    await expect(limiter.acquire(AbortSignal.abort())).rejects.toBeInstanceOf(AbortError);
  });

  it('rejects every waiter at shutdown', async () => {
    const limiter = new RateLimiter(1, 1);
    await limiter.acquire();
    const waiting = [limiter.acquire(), limiter.acquire()];
    limiter.rejectAll(new Error('shut down'));
    for (const waiter of waiting) await expect(waiter).rejects.toThrow('shut down');
    expect(limiter.waiting).toBe(0);
  });
});

describe('back-off', () => {
  it('full jitter stays within [0, min(max, initial * 2^attempt)]', () => {
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const delay = fullJitter(100, 5_000, attempt);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(Math.min(5_000, 100 * 2 ** attempt));
    }
  });

  it('equal jitter always waits at least half the step, so reconnect loops cannot spin', () => {
    for (let attempt = 0; attempt < 40; attempt += 1) {
      const step = Math.min(30_000, 100 * 2 ** Math.min(attempt, 30));
      const delay = equalJitter(100, 30_000, attempt);
      expect(delay).toBeGreaterThanOrEqual(step / 2);
      expect(delay).toBeLessThanOrEqual(step);
    }
  });
});
