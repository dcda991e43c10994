/** Upkeep of idle connections: replacement after a server close, renewal, idle-close races, ping. */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { startLocalServer } from '../../src/server/index.js';
import { makePool, PARAMS, pools, SENTENCE, server, until, usePoolServer } from './helpers.js';

usePoolServer();

describe('self-healing', () => {
  it('replaces connections the server closes while idle', async () => {
    const pool = makePool({ maxSize: 3 });
    await pool.ready();
    server.faults.killAllConnections();
    await until(() => pool.metrics().connections.closed >= 3, 'the pool saw the closes');
    await until(() => pool.metrics().connections.created >= 6, 'replacements were opened');
    await until(() => pool.stats().available === 3, 'replacements are lendable');
    expect(server.stats().openConnections).toBe(3);
  });

  it('renews idle connections before the server idle-closes them, make-before-break', async () => {
    const idleServer = await startLocalServer({ engine: 'synthetic', idleTimeoutMs: 600 });
    try {
      const pool = makePool(
        { maxSize: 2, serverIdleTimeoutMs: 600, renewIdleAfterMs: 300, maintenanceIntervalMs: 50 },
        idleServer,
      );
      let renewals = 0;
      pool.on('renew', () => void renewals++);
      await pool.ready();
      await until(() => renewals >= 4, 'connections were renewed twice each');
      // Old sockets are closed, not leaked.
      await until(() => idleServer.stats().openConnections <= 2, 'old sockets closed');
      const audio = await pool.withSynthesizer(PARAMS, (s) => s.call(SENTENCE));
      expect(audio!.length).toBeGreaterThan(0);
    } finally {
      await Promise.all(pools.splice(0).map((p) => p.shutdown({ graceMs: 0 })));
      await idleServer.close();
    }
  });

  it('loses no task when the server idle-closes connections racing borrows', async () => {
    // The pool is told the server allows 60 s idle, but it closes after 100-300 ms: every task
    // may meet a socket the server is just closing. The retry before first audio absorbs that.
    const racy = await startLocalServer({ engine: 'synthetic', idleTimeoutMs: 150 });
    try {
      const pool = makePool({ maxSize: 4, reconnectInitialDelayMs: 10, reconnectMaxDelayMs: 50 }, racy);
      await pool.ready();
      let failures = 0;
      await Promise.all(
        Array.from({ length: 4 }, async (_, worker) => {
          for (let i = 0; i < 15; i += 1) {
            await new Promise((resolve) => setTimeout(resolve, 100 + ((worker * 37 + i * 53) % 120)));
            await pool
              .withSynthesizer(PARAMS, (s) => s.call(`${SENTENCE} ${worker}-${i}`), { timeoutMs: 10_000 })
              .catch(() => void failures++);
          }
        }),
      );
      expect(failures).toBe(0);
      expect(pool.metrics().tasks).toMatchObject({ total: 60, finished: 60, failed: 0 });
    } finally {
      await Promise.all(pools.splice(0).map((p) => p.shutdown({ graceMs: 0 })));
      await racy.close();
    }
  });

  it('finds half-open connections with ping and replaces them', async () => {
    // A peer that keeps the socket open but never answers pings: to the client it looks alive.
    const silent = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: false });
    await once(silent, 'listening');
    const { port } = silent.address() as { port: number };
    try {
      const pool = makePool({
        url: `ws://127.0.0.1:${port}/api-ws/v1/inference`,
        maxSize: 1,
        heartbeatIntervalMs: 100,
        pingTimeoutMs: 100,
        maintenanceIntervalMs: 50,
      });
      await pool.ready();
      await until(() => pool.metrics().connections.closed >= 2, 'half-open sockets were closed');
      expect(pool.metrics().connections.created).toBeGreaterThanOrEqual(2);
    } finally {
      await Promise.all(pools.splice(0).map((p) => p.shutdown({ graceMs: 0 })));
      for (const client of silent.clients) client.terminate();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
