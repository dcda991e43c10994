/** Opening the synthesizer's connection: handshake refusals, timeouts and TLS (src/synthesizer/connection-slot.ts). */
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { resolveConnectionOptions } from '../../src/config.js';
import { Connection } from '../../src/connection.js';
import {
  AuthenticationError,
  ConnectionError,
  ConnectTimeoutError,
  HandshakeError,
} from '../../src/errors/index.js';
import { startLocalServer } from '../../src/server/index.js';
import { createSelfSignedCertificate } from '../../src/server/self-signed.js';
import { KEY, rejection, SENTENCE, useLocalServer } from './helpers.js';

const fixture = useLocalServer();
const { using } = fixture;

describe('handshake failures', () => {
  it('turns a refused key into an AuthenticationError with status and body, never the key', async () => {
    const wrongKey = 'sk-wrong-key-abcdefghijklmnop';
    await using({ apiKey: wrongKey }, async (synth) => {
      const error = (await rejection(synth.connect())) as AuthenticationError;
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.code).toBe('DS_ERR_AUTHENTICATION');
      expect(error.status).toBe(401);
      expect(error.retryable).toBe(false);
      expect(error.errorCode).toBe('InvalidApiKey');
      for (const text of [
        error.message,
        error.body,
        String(error),
        inspect(error, { depth: 5 }),
        inspect(synth),
      ]) {
        expect(text).not.toContain(wrongKey);
      }
    });
  });

  it('maps 403 to AuthenticationError and 429/503 to a retryable HandshakeError', async () => {
    for (const [status, type, retryable] of [
      [403, AuthenticationError, false],
      [429, HandshakeError, true],
      [503, HandshakeError, true],
    ] as const) {
      fixture.server.faults.refuseUpgrades(status);
      await using({}, async (synth) => {
        const error = (await rejection(synth.connect())) as HandshakeError;
        expect(error).toBeInstanceOf(type);
        expect(error.status).toBe(status);
        expect(error.retryable).toBe(retryable);
      });
    }
  });

  it('fails with ConnectionError when nothing listens', async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    await using({ url: `ws://127.0.0.1:${port}/api-ws/v1/inference` }, async (synth) => {
      const error = await rejection(synth.connect());
      expect(error).toBeInstanceOf(ConnectionError);
    });
  });

  it('fails with ConnectTimeoutError when the upgrade never answers', async () => {
    // The server reads (so it notices the client's close) but never answers the upgrade.
    const silent: Server = createServer((socket) => socket.resume());
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const port = (silent.address() as { port: number }).port;
    try {
      await using({ url: `ws://127.0.0.1:${port}/`, connectTimeoutMs: 200 }, async (synth) => {
        const error = (await rejection(synth.connect())) as ConnectTimeoutError;
        expect(error).toBeInstanceOf(ConnectTimeoutError);
        expect(error.timeoutMs).toBe(200);
      });
    } finally {
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('wss:// with a private certificate authority', () => {
  it('trusts the ca option, and refuses an unknown certificate with ConnectionError', async () => {
    const certificate = createSelfSignedCertificate();
    const tlsServer = await startLocalServer({ engine: 'synthetic', tls: certificate });
    try {
      expect(tlsServer.url.startsWith('wss://')).toBe(true);
      await using({ url: tlsServer.url, ca: certificate.cert }, async (synth) => {
        const audio = await synth.call(SENTENCE);
        expect(audio!.length).toBe(tlsServer.stats().bytesSentByTask.get(synth.getLastRequestId()!));
      });
      // The next connection with the same CA resumes the session: no full handshake.
      const resolved = resolveConnectionOptions({ url: tlsServer.url, apiKey: KEY, ca: certificate.cert });
      const resumed = await Connection.open(resolved);
      expect(resumed.tlsSessionReused).toBe(true);
      await resumed.close();
      // A session made with a CA is never resumed without it: the certificate is checked again.
      await using({ url: tlsServer.url }, async (synth) => {
        const error = (await rejection(synth.connect())) as ConnectionError;
        expect(error).toBeInstanceOf(ConnectionError);
        expect(error.message).toMatch(/certificate/i);
      });
    } finally {
      await tlsServer.close();
    }
  });
});
