/** shutdown(): waiters, the grace period, and nothing left behind. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PoolClosedError } from '../../src/errors/index.js';
import { KEY, makePool, PARAMS, rejection, SENTENCE, server, until, usePoolServer } from './helpers.js';

usePoolServer();

describe('shutdown', () => {
  it('rejects waiters, lets running tasks finish within the grace period, and closes every socket', async () => {
    const pool = makePool({ maxSize: 2 });
    await pool.ready();
    const busy = await pool.borrowSynthesizer(PARAMS);
    const other = await pool.borrowSynthesizer(PARAMS);
    const waiter = rejection(pool.borrowSynthesizer(PARAMS));
    const running = busy.call(`${SENTENCE} `.repeat(3));
    const shutdown = pool.shutdown({ graceMs: 10_000 });
    expect(await waiter).toBeInstanceOf(PoolClosedError);
    expect(await rejection(pool.borrowSynthesizer(PARAMS))).toBeInstanceOf(PoolClosedError);
    expect((await running)!.length).toBeGreaterThan(0);
    await pool.returnSynthesizer(busy);
    await pool.returnSynthesizer(other);
    await shutdown;
    await pool.shutdown(); // idempotent
    await until(() => server.stats().openConnections === 0, 'every socket is closed', 5_000);
    expect(pool.stats()).toMatchObject({ size: 0, borrowed: 0, pending: 0 });
  });

  it('closes idle borrowed synthesizers at once: only running tasks get the grace period', async () => {
    const pool = makePool({ maxSize: 2 });
    await pool.ready();
    const idle = [await pool.borrowSynthesizer(PARAMS), await pool.borrowSynthesizer(PARAMS)];
    const waiter = rejection(pool.borrowSynthesizer(PARAMS));
    await until(() => pool.stats().pending === 1, 'a borrower waits');
    const startedAt = performance.now();
    await pool.shutdown({ graceMs: 10_000 });
    // Well below the 10 s grace period, which only a running task may use.
    expect(performance.now() - startedAt).toBeLessThan(5_000);
    expect(await waiter).toBeInstanceOf(PoolClosedError);
    expect(idle.every((synth) => synth.state === 'closed')).toBe(true);
    await until(() => server.stats().openConnections === 0, 'every socket is closed', 5_000);
    // The borrowers' late returns change nothing.
    for (const synth of idle) expect(await pool.returnSynthesizer(synth)).toBe(false);
  });

  it('closes a running synthesizer as soon as its task ends, without waiting for its return', async () => {
    const pool = makePool({ maxSize: 2 });
    await pool.ready();
    const busy = await pool.borrowSynthesizer(PARAMS);
    await pool.borrowSynthesizer(PARAMS); // borrowed, idle, never returned
    const running = busy.call(`${SENTENCE} `.repeat(4));
    const shutdown = pool.shutdown({ graceMs: 20_000 });
    expect((await running)!.length).toBeGreaterThan(0);
    // A new task on it is refused: the pool is shutting down.
    expect(await rejection(busy.call(SENTENCE))).toBeInstanceOf(Error);
    await until(() => server.stats().openConnections === 0, 'every socket is closed', 5_000);
    await shutdown;
    expect(busy.state).toBe('closed');
  });

  it('closes borrowed sockets when the grace period ends', async () => {
    const pool = makePool({ maxSize: 1 });
    const synth = await pool.borrowSynthesizer(PARAMS);
    server.faults.injectTaskFault('hang');
    const task = rejection(synth.call(SENTENCE));
    await once(server.events, 'task-started');
    await pool.shutdown({ graceMs: 100 });
    expect(await task).toBeInstanceOf(Error);
    expect(synth.state).toBe('closed');
    await until(() => server.stats().openConnections === 0, 'every socket is closed', 5_000);
  });

  it('leaves no timer and no socket behind after shutdown, even with waiters and failing connects', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    const pool = makePool({ maxSize: 2, maxTasksPerSecond: 5, reconnectInitialDelayMs: 50 });
    await pool.ready();
    await pool.withSynthesizer(PARAMS, (s) => s.call(SENTENCE));
    const holders = await Promise.all([pool.borrowSynthesizer(PARAMS), pool.borrowSynthesizer(PARAMS)]);
    // A waiter, a return racing the shutdown, and reconnects failing with 503.
    const waiter = pool.borrowSynthesizer(PARAMS, { timeoutMs: 60_000 }).then(
      (synth) => pool.returnSynthesizer(synth),
      (error: unknown) => error,
    );
    server.faults.refuseUpgrades(503);
    await pool.returnSynthesizer(holders[0]);
    await pool.shutdown({ graceMs: 0 });
    await waiter;
    expect(holders.every((synth) => synth.state === 'closed')).toBe(true);
    expect(timers()).toBeLessThanOrEqual(before);
    await until(() => server.stats().openConnections === 0, 'every socket is closed', 5_000);
  });

  it('lets a process that shuts its pool down exit by itself', async () => {
    const script = fileURLToPath(new URL('../fixtures/pool-exit.ts', import.meta.url));
    const tsx = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
    const child = spawn(process.execPath, ['--import', tsx, script, server.url, KEY], { stdio: 'pipe' });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearTimeout(timer);
    expect({ code, signal, output }).toMatchObject({ code: 0, signal: null });
    expect(output).toContain('audio bytes');
  });
});
