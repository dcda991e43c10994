/** The token bucket on its own, and the pool pacing task starts with it. */
import { describe, expect, it } from 'vitest';
import { AbortError } from '../../src/errors/index.js';
import { RateLimiter } from '../../src/pool/rate-limiter.js';
import { makePool, PARAMS, usePoolServer } from './helpers.js';

usePoolServer();

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
describe('rate limit', () => {
  it('starts no more tasks per second than maxTasksPerSecond', async () => {
    const pool = makePool({ maxSize: 4, maxTasksPerSecond: 10 });
    await pool.ready();
    const started = performance.now();
    await Promise.all(Array.from({ length: 20 }, () => pool.withSynthesizer(PARAMS, (s) => s.call('Hi.'))));
    // 10 tokens up front, then 10 more at 10 per second: at least ~1 s, however fast the machine.
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
  });
});
