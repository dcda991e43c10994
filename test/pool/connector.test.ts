/** Opening connections: the real reason for waiting borrowers, a refused key, back-off while the endpoint fails. */
import { describe, expect, it } from 'vitest';
import { AuthenticationError, HandshakeError, PoolUnavailableError } from '../../src/errors/index.js';
import { SpeechSynthesizerObjectPool } from '../../src/pool/object-pool.js';
import { startLocalServer } from '../../src/server/index.js';
import { createSelfSignedCertificate } from '../../src/server/self-signed.js';
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

usePoolServer();

describe('connect failures', () => {
  it('tells a borrower the real reason within moments while the endpoint fails and nothing is open', async () => {
    const pool = makePool({ maxSize: 1, reconnectInitialDelayMs: 20, reconnectMaxDelayMs: 100 });
    await pool.ready();
    server.faults.refuseUpgrades(503);
    const failing = new Promise((resolve) => pool.once('connectError', resolve));
    server.faults.killAllConnections();
    await failing;
    const error = (await rejection(
      pool.borrowSynthesizer(PARAMS, { timeoutMs: 20_000 }),
    )) as PoolUnavailableError;
    expect(error).toBeInstanceOf(PoolUnavailableError);
    expect(error.cause).toBeInstanceOf(HandshakeError);
    expect(error.message).toContain('503');
  });

  it('rejects ready() and every borrow with the AuthenticationError, without retrying', async () => {
    const before = server.stats().upgradesRejected;
    const pool = new SpeechSynthesizerObjectPool({
      url: server.url,
      apiKey: 'sk-wrong-key-000000000',
      maxSize: 3,
    });
    pools.push(pool);
    const error = (await rejection(pool.ready())) as AuthenticationError;
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.status).toBe(401);
    const borrowError = await rejection(pool.borrowSynthesizer(PARAMS));
    expect(borrowError).toBe(error);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // At most the initial parallel attempts: no retry storm after the refusal.
    expect(server.stats().upgradesRejected - before).toBeLessThanOrEqual(3);
    expect(JSON.stringify(pool.metrics())).not.toContain('sk-wrong-key');
  });

  it('backs off while the endpoint is down, then refills when it is back', async () => {
    const pool = makePool({ maxSize: 2, reconnectInitialDelayMs: 50, reconnectMaxDelayMs: 400 });
    await pool.ready();
    let attempts = 0;
    pool.on('connectError', () => void attempts++);
    server.faults.refuseConnections(1_500);
    server.faults.killAllConnections();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // A hot loop would make thousands of attempts in 1.5 s; back-off keeps it to a handful.
    expect(attempts).toBeGreaterThan(0);
    expect(attempts).toBeLessThan(40);
    await until(() => pool.stats().available === 2, 'the pool refilled');
    const audio = await pool.withSynthesizer(PARAMS, (s) => s.call(SENTENCE));
    expect(audio!.length).toBeGreaterThan(0);
  });
});

describe('over wss://', () => {
  it('opens every connection (the first alone, the others resuming its TLS session) and runs tasks on each', async () => {
    const certificate = createSelfSignedCertificate();
    const tlsServer = await startLocalServer({ engine: 'synthetic', apiKey: KEY, tls: certificate });
    try {
      const pool = makePool({ maxSize: 4, ca: certificate.cert }, tlsServer);
      await pool.ready();
      expect(tlsServer.stats().openConnections).toBe(4);
      const synths = await Promise.all([1, 2, 3, 4].map(() => pool.borrowSynthesizer(PARAMS)));
      const audio = await Promise.all(synths.map((s) => s.call(SENTENCE)));
      expect(audio.every((a) => a!.length > 0)).toBe(true);
      expect(new Set(synths.map((s) => s.connectionId)).size).toBe(4);
      await Promise.all(synths.map((s) => pool.returnSynthesizer(s)));
      await pool.shutdown({ graceMs: 0 });
    } finally {
      await tlsServer.close();
    }
  });
});
