/**
 * TLS session reuse for wss:// connections made without a caller's agent: the first connection's
 * session is resumed by the next ones, each socket hands it to OpenSSL once (Node's own
 * `session` option does it twice, parsing the session and its certificate each time), and a
 * session is only resumed with the CAs it was made with.
 */
import { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConnectionOptions } from '../src/config.js';
import { Connection } from '../src/connection.js';
import { startLocalServer, type LocalServer } from '../src/server/index.js';
import { createSelfSignedCertificate } from '../src/server/self-signed.js';

const KEY = 'sk-tls-reuse-test';
const certificate = createSelfSignedCertificate();
let server: LocalServer;

beforeAll(async () => {
  server = await startLocalServer({ engine: 'synthetic', apiKey: KEY, tls: certificate });
});
afterAll(() => server?.close());

/**
 * Counts the sessions handed to OpenSSL while `fn` runs: calls of the native TLS handle's
 * setSession (each parses the session and its certificate), which both Node's `session` option
 * and TLSSocket#setSession end in. The real method still runs.
 */
async function countingSessionHandOvers<T>(fn: () => Promise<T>): Promise<{ result: T; calls: number }> {
  const probe = new TLSSocket(null as never) as unknown as { _handle: object; destroy(): void };
  const proto = Object.getPrototypeOf(probe._handle) as {
    setSession: (this: object, session: Buffer) => void;
  };
  probe.destroy();
  const original = proto.setSession;
  let calls = 0;
  proto.setSession = function (this: object, session: Buffer) {
    calls += 1;
    original.call(this, session);
  };
  try {
    return { result: await fn(), calls };
  } finally {
    proto.setSession = original;
  }
}

describe('TLS session reuse', () => {
  it('resumes the first connection’s session on the next ones, handing it over once per socket', async () => {
    // A CA of this test's own, so that no other test's session is in the cache.
    const options = resolveConnectionOptions({ url: server.url, apiKey: KEY, ca: [certificate.cert] });
    const first = await Connection.open(options);
    const { result: later, calls } = await countingSessionHandOvers(() =>
      Promise.all(Array.from({ length: 5 }, () => Connection.open(options))),
    );
    try {
      expect(later.map((connection) => connection.tlsSessionReused)).toEqual([true, true, true, true, true]);
      expect(calls).toBe(5);
    } finally {
      await Promise.all([first, ...later].map((connection) => connection.close()));
    }
  });

  it('keeps a session per CA set: another CA set starts with a full handshake, then resumes its own', async () => {
    const options = resolveConnectionOptions({
      url: server.url,
      apiKey: KEY,
      ca: [certificate.cert, certificate.cert],
    });
    const first = await Connection.open(options);
    const second = await Connection.open(options);
    try {
      expect(first.tlsSessionReused).toBe(false);
      expect(second.tlsSessionReused).toBe(true);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
