/** Lending through generic-pool: the queue, the acquire race and its bound, and maxSize while sockets churn. */
import { describe, expect, it } from 'vitest';
import { AbortError, AcquireTimeoutError, PoolQueueFullError } from '../../src/errors/index.js';
import type { DiscardReason } from '../../src/pool/events.js';
import { makePool, PARAMS, rejection, SENTENCE, server, until, usePoolServer } from './helpers.js';

usePoolServer();

describe('waiting borrowers', () => {
  it('serves waiters first come, first served', async () => {
    const pool = makePool({ maxSize: 1 });
    const holder = await pool.borrowSynthesizer(PARAMS);
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) =>
      pool.borrowSynthesizer(PARAMS).then(async (synth) => {
        order.push(n);
        await pool.returnSynthesizer(synth);
      }),
    );
    await until(() => pool.stats().pending === 3, 'three borrowers wait');
    await pool.returnSynthesizer(holder);
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
  });

  it('times out with AcquireTimeoutError, aborts with AbortError and refuses past maxWaitingClients', async () => {
    const pool = makePool({ maxSize: 1, maxWaitingClients: 1 });
    const holder = await pool.borrowSynthesizer(PARAMS);
    const timeout = (await rejection(
      pool.borrowSynthesizer(PARAMS, { timeoutMs: 100 }),
    )) as AcquireTimeoutError;
    expect(timeout).toBeInstanceOf(AcquireTimeoutError);
    expect(timeout.code).toBe('DS_ERR_POOL_ACQUIRE_TIMEOUT');

    const controller = new AbortController();
    const aborted = rejection(pool.borrowSynthesizer(PARAMS, { signal: controller.signal }));
    await until(() => pool.stats().pending === 1, 'one borrower waits');
    const full = (await rejection(pool.borrowSynthesizer(PARAMS))) as PoolQueueFullError;
    expect(full).toBeInstanceOf(PoolQueueFullError);
    expect(full.code).toBe('DS_ERR_POOL_QUEUE_FULL');
    controller.abort();
    expect(await aborted).toBeInstanceOf(AbortError);

    // The abandoned requests did not leak the synthesizer: it is lent again once returned.
    await pool.returnSynthesizer(holder);
    const next = await pool.borrowSynthesizer(PARAMS, { timeoutMs: 5_000 });
    expect(next).toBe(holder);
    await pool.returnSynthesizer(next);
  });
});

describe('capacity', () => {
  it('never has more sockets open than maxSize while connections churn', async () => {
    const pool = makePool({ maxSize: 3 });
    await pool.ready();
    let peak = 0;
    let peakHeld = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, server.stats().openConnections);
      // Sockets still closing count toward maxSize.
      const { size, closing } = pool.stats();
      peakHeld = Math.max(peakHeld, size + closing);
    }, 1);
    try {
      for (let round = 0; round < 5; round += 1) {
        const synths = await Promise.all([1, 2, 3].map(() => pool.borrowSynthesizer(PARAMS)));
        // Return them failed: each is closed and replaced.
        server.faults.injectTaskFault('fail-at-start', { count: 3 });
        await Promise.all(synths.map((s) => rejection(s.call(SENTENCE))));
        await Promise.all(synths.map((s) => pool.returnSynthesizer(s)));
      }
      await until(() => pool.stats().available === 3, 'the pool refilled');
    } finally {
      clearInterval(sampler);
    }
    expect(peak).toBeLessThanOrEqual(3);
    expect(peakHeld).toBeLessThanOrEqual(3);
  });
});

describe('the fast lane of returned synthesizers', () => {
  it('lends a returned synthesizer again, and closes and replaces one whose socket died idle', async () => {
    const pool = makePool({ maxSize: 2 });
    const synths = await Promise.all([pool.borrowSynthesizer(PARAMS), pool.borrowSynthesizer(PARAMS)]);
    await Promise.all(synths.map((s) => s.call(SENTENCE)));
    expect(await Promise.all(synths.map((s) => pool.returnSynthesizer(s)))).toEqual([true, true]);
    expect(pool.stats()).toMatchObject({ available: 2, borrowed: 0 });
    // Lent again first in, first out, without a new connection.
    const again = await pool.borrowSynthesizer(PARAMS);
    expect(again).toBe(synths[0]);
    await pool.returnSynthesizer(again);

    const reasons: DiscardReason[] = [];
    pool.on('discard', ({ reason }) => reasons.push(reason));
    server.faults.killAllConnections();
    await until(() => reasons.length === 2, 'both idle synthesizers were discarded');
    expect(reasons).toEqual(['idle-unhealthy', 'idle-unhealthy']);
    await until(() => pool.stats().available === 2, 'replacements are lendable');
    const audio = await pool.withSynthesizer(PARAMS, (s) => s.call(SENTENCE));
    expect(audio!.length).toBeGreaterThan(0);
  });

  it('lends every connection in turn, the one idle longest first, so that none idles into a renewal', async () => {
    const pool = makePool({ maxSize: 3 });
    await pool.ready();
    const used: Array<number | undefined> = [];
    for (let i = 0; i < 6; i++) {
      await pool.withSynthesizer(PARAMS, async (s) => {
        used.push(s.connectionId);
        await s.call(SENTENCE);
      });
    }
    expect(new Set(used).size).toBe(3);
    expect(used.slice(3)).toEqual(used.slice(0, 3));
  });

  it('hands a returned synthesizer to a waiting borrower, never to the fast lane past it', async () => {
    const pool = makePool({ maxSize: 1 });
    const holder = await pool.borrowSynthesizer(PARAMS);
    const waiter = pool.borrowSynthesizer(PARAMS);
    await until(() => pool.stats().pending === 1, 'one borrower waits');
    await pool.returnSynthesizer(holder);
    const next = await waiter;
    expect(next).toBe(holder);
    expect(pool.stats()).toMatchObject({ available: 0, borrowed: 1, pending: 0 });
    await pool.returnSynthesizer(next);
    expect(pool.stats()).toMatchObject({ available: 1, borrowed: 0 });
  });

  it('closes the fast lane at shutdown', async () => {
    const pool = makePool({ maxSize: 2 });
    const synths = await Promise.all([pool.borrowSynthesizer(PARAMS), pool.borrowSynthesizer(PARAMS)]);
    await Promise.all(synths.map((s) => pool.returnSynthesizer(s)));
    await pool.shutdown({ graceMs: 0 });
    expect(synths.map((s) => s.state)).toEqual(['closed', 'closed']);
    expect(pool.stats().available).toBe(0);
    await until(() => server.stats().openConnections === 0, 'every socket is closed', 5_000);
  });
});
