/** The pool's events: each discard names its reason, one of a closed set. */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { DiscardReason } from '../../src/index.js';
import { makePool, PARAMS, rejection, SENTENCE, server, until, usePoolServer } from './helpers.js';

usePoolServer();

describe('discard reasons', () => {
  it('tells a synthesizer returned after a failed task from one returned with a task running', async () => {
    const pool = makePool({ maxSize: 2 });
    await pool.ready();
    const reasons: DiscardReason[] = [];
    pool.on('discard', ({ reason }) => reasons.push(reason));

    const failed = await pool.borrowSynthesizer({ ...PARAMS, voice: 'no_such_voice' });
    await rejection(failed.call(SENTENCE));
    expect(await pool.returnSynthesizer(failed)).toBe(false);

    const busy = await pool.borrowSynthesizer(PARAMS);
    server.faults.injectTaskFault('hang');
    const task = rejection(busy.call(SENTENCE));
    await once(server.events, 'task-started');
    expect(await pool.returnSynthesizer(busy)).toBe(false);
    await task;

    await until(() => reasons.length === 2, 'both returns were discarded');
    expect(reasons).toEqual(['returned-unusable', 'returned-busy']);
  });

  it('names idle synthesizers whose sockets died idle-unhealthy', async () => {
    const pool = makePool({ maxSize: 2 });
    await pool.ready();
    const reasons: DiscardReason[] = [];
    pool.on('discard', ({ reason }) => reasons.push(reason));
    server.faults.killAllConnections();
    await until(() => reasons.length === 2, 'both idle synthesizers were discarded');
    expect(reasons).toEqual(['idle-unhealthy', 'idle-unhealthy']);
    await until(() => pool.stats().available === 2, 'replacements are lendable');
  });

  it('names a synthesizer still borrowed when the grace period ends shutdown', async () => {
    const pool = makePool({ maxSize: 1 });
    await pool.borrowSynthesizer(PARAMS);
    const reasons: DiscardReason[] = [];
    pool.on('discard', ({ reason }) => reasons.push(reason));
    await pool.shutdown({ graceMs: 0 });
    expect(reasons).toEqual(['shutdown']);
  });
});
