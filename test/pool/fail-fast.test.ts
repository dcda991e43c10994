/**
 * The fail-fast rule (availability.ts): a pool that cannot connect at all tells its borrowers why
 * within about connectTimeoutMs, instead of letting them wait out acquireTimeoutMs; a pool with a
 * live connection keeps its borrowers waiting through failed attempts.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  AcquireTimeoutError,
  ConnectionError,
  HandshakeError,
  PoolUnavailableError,
} from '../../src/errors/index.js';
import {
  KEY,
  makePool,
  PARAMS,
  pools,
  rejection,
  SENTENCE,
  server,
  until,
  usePoolServer,
} from './helpers.js';
import { SpeechSynthesizerObjectPool } from '../../src/pool/object-pool.js';

usePoolServer();

/** A port on 127.0.0.1 that nothing listens on (taken, then released). */
async function refusedPort(): Promise<number> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as { port: number };
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  return port;
}

/** A pool on `url` with the test key, shut down after the test. */
function poolOn(url: string, options: ConstructorParameters<typeof SpeechSynthesizerObjectPool>[0] = {}) {
  const pool = new SpeechSynthesizerObjectPool({ url, apiKey: KEY, maxSize: 3, ...options });
  pools.push(pool);
  return pool;
}

/** How long `promise` took to reject, and with what. */
async function timedRejection(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const startedAt = performance.now();
  const error = await rejection(promise);
  return { error, ms: performance.now() - startedAt };
}

describe('a pool that cannot connect', () => {
  it('fails a borrower on a host that does not resolve within seconds, with the cause', async () => {
    const pool = poolOn('ws://dashscope-tts-pool-test.invalid/api-ws/v1/inference');
    const { error, ms } = await timedRejection(pool.borrowSynthesizer(PARAMS));
    expect(error).toBeInstanceOf(PoolUnavailableError);
    const unavailable = error as PoolUnavailableError;
    expect(unavailable.code).toBe('DS_ERR_POOL_UNAVAILABLE');
    expect(unavailable.retryable).toBe(true);
    expect(unavailable.cause).toBeInstanceOf(ConnectionError);
    expect(unavailable.message).toMatch(/ENOTFOUND|EAI_AGAIN/);
    expect(unavailable.message).not.toContain(KEY);
    // The acquire timeout is 30 s; the rule answers within about connectTimeoutMs (5 s).
    expect(ms).toBeLessThan(10_000);
  });

  it('fails a borrower on a refused port within seconds, and rejects ready() after the first round', async () => {
    const port = await refusedPort();
    const pool = poolOn(`ws://127.0.0.1:${port}/api-ws/v1/inference`);
    const ready = await timedRejection(pool.ready());
    expect(ready.error).toBeInstanceOf(PoolUnavailableError);
    expect((ready.error as Error).message).toContain('ECONNREFUSED');
    expect(ready.ms).toBeLessThan(10_000);
    const borrow = await timedRejection(pool.borrowSynthesizer(PARAMS));
    expect(borrow.error).toBeInstanceOf(PoolUnavailableError);
    expect((borrow.error as PoolUnavailableError).cause).toBeInstanceOf(ConnectionError);
    expect(borrow.ms).toBeLessThan(10_000);
    expect(pool.stats().pending).toBe(0);
  });

  it('fails a borrower of an on-demand pool within about connectTimeoutMs', async () => {
    const port = await refusedPort();
    const pool = poolOn(`ws://127.0.0.1:${port}/api-ws/v1/inference`, {
      preOpen: false,
      maxSize: 50,
      connectTimeoutMs: 1_000,
    });
    const { error, ms } = await timedRejection(pool.borrowSynthesizer(PARAMS));
    expect(error).toBeInstanceOf(PoolUnavailableError);
    expect(ms).toBeLessThan(10_000);
  });

  it('fails every waiter when all its connections die and reconnects are refused', async () => {
    const pool = makePool({ maxSize: 2, reconnectInitialDelayMs: 20, reconnectMaxDelayMs: 100 });
    await pool.ready();
    const holders = [await pool.borrowSynthesizer(PARAMS), await pool.borrowSynthesizer(PARAMS)];
    const waiter = timedRejection(pool.borrowSynthesizer(PARAMS));
    server.faults.refuseUpgrades(503);
    server.faults.killAllConnections();
    await until(() => pool.metrics().connections.open === 0, 'every connection is closed');
    for (const synth of holders) await pool.returnSynthesizer(synth);
    const { error, ms } = await waiter;
    expect(error).toBeInstanceOf(PoolUnavailableError);
    expect((error as PoolUnavailableError).cause).toBeInstanceOf(HandshakeError);
    expect((error as Error).message).toContain('503');
    expect(ms).toBeLessThan(10_000);

    // Back up: the pool reconnects by itself and lends again.
    server.faults.clearFaults();
    await until(() => pool.stats().available === 2, 'the pool refilled');
    const audio = await pool.withSynthesizer(PARAMS, (s) => s.call(SENTENCE));
    expect(audio!.length).toBeGreaterThan(0);
  });
});

describe('a caller that comes while the pool is down', () => {
  it('waits for the next attempt instead of failing on an old one, so a retry loop does not spin', async () => {
    const port = await refusedPort();
    const pool = poolOn(`ws://127.0.0.1:${port}/api-ws/v1/inference`, {
      maxSize: 2,
      reconnectInitialDelayMs: 200,
      reconnectMaxDelayMs: 400,
    });
    expect(await rejection(pool.ready())).toBeInstanceOf(PoolUnavailableError);
    let failures = 0;
    const until = performance.now() + 2_000;
    while (performance.now() < until) {
      expect(await rejection(pool.borrowSynthesizer(PARAMS))).toBeInstanceOf(PoolUnavailableError);
      failures += 1;
    }
    // Each failure waited for a failed attempt (about every 100-400 ms per connection): a loop
    // that failed at once would have made thousands in 2 s.
    expect(failures).toBeGreaterThan(0);
    expect(failures).toBeLessThan(60);
  });

  it('is served when the next attempt succeeds', async () => {
    const pool = makePool({ maxSize: 1, reconnectInitialDelayMs: 300, reconnectMaxDelayMs: 600 });
    await pool.ready();
    server.faults.refuseUpgrades(503);
    const failed = new Promise((resolve) => pool.once('connectError', resolve));
    server.faults.killAllConnections();
    await failed;
    // The pool is down, and a round has failed; the endpoint comes back before the next attempt.
    server.faults.clearFaults();
    const synth = await pool.borrowSynthesizer(PARAMS);
    expect((await synth.call(SENTENCE))!.length).toBeGreaterThan(0);
    expect(await pool.returnSynthesizer(synth)).toBe(true);
  });
});

describe('a pool with a live connection', () => {
  it('keeps borrowers waiting through failed attempts, and serves them from the live connection', async () => {
    const pool = makePool({ maxSize: 2, reconnectInitialDelayMs: 20, reconnectMaxDelayMs: 100 });
    await pool.ready();
    const live = await pool.borrowSynthesizer(PARAMS);
    const doomed = await pool.borrowSynthesizer(PARAMS);
    // New connections are refused from now on; the one `live` holds stays up.
    server.faults.refuseUpgrades(503);
    let failures = 0;
    pool.on('connectError', () => void failures++);
    server.faults.injectTaskFault('fail-mid-stream');
    await rejection(doomed.call(SENTENCE));
    expect(await pool.returnSynthesizer(doomed)).toBe(false);
    await until(() => failures >= 3, 'replacement attempts failed');

    // A waiter is not failed fast: a live connection exists. It times out with the cause...
    const timedOut = await rejection(pool.borrowSynthesizer(PARAMS, { timeoutMs: 1_000 }));
    expect(timedOut).toBeInstanceOf(AcquireTimeoutError);
    expect((timedOut as AcquireTimeoutError).cause).toBeInstanceOf(HandshakeError);

    // ...and is served as soon as the live connection comes back.
    const waiter = pool.borrowSynthesizer(PARAMS, { timeoutMs: 20_000 });
    await until(() => pool.stats().pending === 1, 'a borrower waits');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(pool.stats().pending).toBe(1);
    expect(await pool.returnSynthesizer(live)).toBe(true);
    const served = await waiter;
    expect(served).toBe(live);
    const audio = await served.call(SENTENCE);
    expect(audio!.length).toBeGreaterThan(0);
    await pool.returnSynthesizer(served);
  });
});
