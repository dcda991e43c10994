/** abandonedAfterMs: synthesizers borrowed and left idle are taken back, with the borrow's stack. */
import { describe, expect, it } from 'vitest';
import { ClosedError, InvalidOptionError } from '../../src/errors/index.js';
import type { AbandonInfo, DiscardReason } from '../../src/index.js';
import { makePool, PARAMS, rejection, SENTENCE, server, until, usePoolServer } from './helpers.js';

usePoolServer();

/** Borrows and forgets: a named frame for the stack the `abandon` event carries. */
async function borrowAndForget(pool: ReturnType<typeof makePool>): Promise<void> {
  const synth = await pool.borrowSynthesizer(PARAMS);
  await synth.call(SENTENCE);
  // …and throws before returnSynthesizer(): the slot would leak for the life of the process.
}

/** Keeps a synthesizer of withSynthesizer idle: a named frame again. */
async function holdIdle(pool: ReturnType<typeof makePool>, ms: number): Promise<boolean> {
  return pool.withSynthesizer(PARAMS, async (synth) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return synth.state === 'closed';
  });
}

describe('abandoned borrows', () => {
  it('reclaims an idle borrowed synthesizer, reports where it was borrowed, and opens a replacement', async () => {
    const pool = makePool({ maxSize: 1, abandonedAfterMs: 300, maintenanceIntervalMs: 50 });
    await pool.ready();
    const abandoned: AbandonInfo[] = [];
    const reasons: DiscardReason[] = [];
    pool.on('abandon', (info) => abandoned.push(info));
    pool.on('discard', ({ reason }) => reasons.push(reason));
    await borrowAndForget(pool);
    expect(pool.stats().borrowed).toBe(1);

    // A borrower now waits for the only slot, which is given back by the reclaim.
    const synth = await pool.borrowSynthesizer(PARAMS, { timeoutMs: 20_000 });
    expect(abandoned).toHaveLength(1);
    expect(abandoned[0]!.idleMs).toBeGreaterThanOrEqual(300);
    expect(abandoned[0]!.borrowedForMs).toBeGreaterThanOrEqual(abandoned[0]!.idleMs);
    // The stack starts at the borrower's own frame, not inside the pool.
    expect(abandoned[0]!.stack!.split('\n').slice(0, 2)).toEqual([
      'Borrowed',
      expect.stringContaining('borrowAndForget'),
    ]);
    expect(reasons).toContain('abandoned');
    expect(pool.metrics().abandoned).toBe(1);
    expect((await synth.call(SENTENCE))!.length).toBeGreaterThan(0);
    expect(await pool.returnSynthesizer(synth)).toBe(true);
    await until(() => server.stats().openConnections === 1, 'the abandoned socket is closed');
  });

  it('reports the borrower of a withSynthesizer call held idle, from its own frame', async () => {
    const pool = makePool({ maxSize: 1, abandonedAfterMs: 200, maintenanceIntervalMs: 50 });
    await pool.ready();
    const abandoned: AbandonInfo[] = [];
    pool.on('abandon', (info) => abandoned.push(info));
    expect(await holdIdle(pool, 1_500)).toBe(true);
    expect(abandoned).toHaveLength(1);
    expect(abandoned[0]!.stack!.split('\n')[1]).toContain('holdIdle');
    expect(pool.stats().borrowed).toBe(0);
  });

  it('never takes back a synthesizer whose task runs, and refuses tasks on a reclaimed one', async () => {
    const pool = makePool({ maxSize: 2, abandonedAfterMs: 200, maintenanceIntervalMs: 50 });
    await pool.ready();
    let reclaimed = 0;
    pool.on('abandon', () => void reclaimed++);
    const busy = await pool.borrowSynthesizer(PARAMS);
    // A streaming task left open: running, though no text flows for a while.
    await busy.streamingCall(SENTENCE);
    const idle = await pool.borrowSynthesizer(PARAMS);
    await until(() => reclaimed === 1, 'the idle one was reclaimed');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(reclaimed).toBe(1);
    expect(busy.state).toBe('busy');
    expect((await busy.streamingComplete())!.length).toBeGreaterThan(0);
    expect(await pool.returnSynthesizer(busy)).toBe(true);

    // The forgetful borrower's reference is dead: closed, and not counted as a return.
    expect(idle.state).toBe('closed');
    const refused = await rejection(idle.call(SENTENCE));
    expect(refused).toBeInstanceOf(ClosedError);
    expect(await pool.returnSynthesizer(idle)).toBe(false);
    expect(pool.metrics().abandoned).toBe(1);
  });

  it('is off by default, captures no stack then, and validates the option', async () => {
    const pool = makePool({ maxSize: 1, maintenanceIntervalMs: 50 });
    let reclaimed = 0;
    pool.on('abandon', () => void reclaimed++);
    const synth = await pool.borrowSynthesizer(PARAMS);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reclaimed).toBe(0);
    expect(pool.metrics().abandoned).toBe(0);
    expect(await pool.returnSynthesizer(synth)).toBe(true);
    for (const bad of [0, -1, Number.NaN, 2 ** 31, '1000']) {
      expect(() => makePool({ abandonedAfterMs: bad as number })).toThrow(InvalidOptionError);
    }
  });
});
