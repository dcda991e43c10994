/**
 * `apiKey` as a function, against the local server: called once per new connection, a rotated
 * key used from the next connection on, failures typed and nothing sent, the key never printed.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  AbortError,
  ApiKeyError,
  AuthenticationError,
  InvalidOptionError,
  MissingApiKeyError,
} from '../src/errors/index.js';
import { SpeechSynthesizerObjectPool } from '../src/index.js';
import type { PoolOptions } from '../src/index.js';
import type { SpeechSynthesizerOptions } from '../src/index.js';
import { SpeechSynthesizer } from '../src/index.js';
import {
  closers,
  KEY_PARAMS as PARAMS,
  MINT_KEY as KEY,
  mintToken,
  server,
  until,
  useKeyServer,
} from './helpers/keys.js';

const TEXT = 'Keys that rotate are read again for every new connection.';
useKeyServer();

function synthesizer(options: Partial<SpeechSynthesizerOptions>): SpeechSynthesizer {
  const synth = new SpeechSynthesizer({ ...PARAMS, url: server.url, ...options });
  closers.push(() => synth.close());
  return synth;
}

function pool(options: PoolOptions): SpeechSynthesizerObjectPool {
  const p = new SpeechSynthesizerObjectPool({ url: server.url, maxSize: 2, ...options });
  closers.push(() => p.shutdown({ graceMs: 0 }));
  return p;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Drops every connection and waits until `synth` has noticed, so its next task reconnects. */
async function dropConnection(synth: SpeechSynthesizer): Promise<void> {
  server.faults.killAllConnections();
  await until(() => !synth.isConnected, 'the synthesizer to see its connection dropped');
}

/** A key function that counts its calls and returns whatever `current` holds. */
function rotatingKey(initial: string): {
  fn: () => Promise<string>;
  calls: () => number;
  set(key: string): void;
} {
  let current = initial;
  let calls = 0;
  return {
    fn: async () => {
      calls += 1;
      await Promise.resolve();
      return current;
    },
    calls: () => calls,
    set: (key) => (current = key),
  };
}

const BAD_KEY_FUNCTIONS: Array<[string, () => string | Promise<string>, 'threw' | 'invalid', boolean]> = [
  [
    'throws',
    () => {
      throw new Error('vault unreachable');
    },
    'threw',
    true,
  ],
  ['rejects', () => Promise.reject(new Error('vault unreachable')), 'threw', true],
  ['returns a number', () => 42 as unknown as string, 'invalid', false],
  ['returns an empty string', () => '', 'invalid', false],
  ['returns a key with a newline', () => 'sk-0123456789\n', 'invalid', false],
  ['returns a key with a space', () => 'sk-a b', 'invalid', false],
  ['resolves to undefined', () => Promise.resolve(undefined as unknown as string), 'invalid', false],
  ['resolves to a BigInt', () => Promise.resolve(10n as unknown as string), 'invalid', false],
];

describe('a key function on a synthesizer', () => {
  it('is called once per new connection, not per task', async () => {
    let calls = 0;
    const synth = synthesizer({ apiKey: () => (calls++, KEY) });
    expect(calls).toBe(0); // not at construction
    const first = await synth.call(TEXT);
    const second = await synth.call(TEXT);
    expect(first!.length).toBeGreaterThan(0);
    expect(second!.equals(first!)).toBe(true);
    expect(calls).toBe(1);
    await dropConnection(synth);
    await synth.call(TEXT);
    expect(calls).toBe(2);
  });

  it('uses a rotated key from the next connection on', async () => {
    const key = rotatingKey(KEY);
    const synth = synthesizer({ apiKey: key.fn });
    await synth.call(TEXT);
    const rejectedBefore = server.stats().upgradesRejected;

    // The key is revoked and replaced: the open connection goes on, the next one uses the new key.
    key.set('sk-revoked-0000000000000000000');
    await synth.call(TEXT);
    expect(key.calls()).toBe(1);
    await dropConnection(synth);
    const refused = await rejection(synth.call(TEXT));
    expect(refused).toBeInstanceOf(AuthenticationError);
    expect(server.stats().upgradesRejected).toBe(rejectedBefore + 1);
    expect(key.calls()).toBe(2);

    // Rotated back to a good key: the same synthesizer connects again, no new object needed.
    key.set(KEY);
    expect((await synth.call(TEXT))!.length).toBeGreaterThan(0);
    expect(key.calls()).toBe(3);
  });

  it('accepts a temporary key minted by the server until it expires, then a fresh one', async () => {
    const expiring = await mintToken(server, 1);
    const key = rotatingKey(expiring.token);
    const synth = synthesizer({ apiKey: key.fn });
    await synth.call(TEXT);
    await until(() => Date.now() >= expiring.expiresAt * 1000 + 50, 'the token to expire');
    await dropConnection(synth);
    expect(await rejection(synth.call(TEXT))).toBeInstanceOf(AuthenticationError);
    key.set((await mintToken(server, 60)).token);
    expect((await synth.call(TEXT))!.length).toBeGreaterThan(0);
  });

  it.each(BAD_KEY_FUNCTIONS)(
    'fails with ApiKeyError when it %s, and sends nothing',
    async (_what, fn, reason, retryable) => {
      const before = server.stats();
      const synth = synthesizer({ apiKey: fn });
      const error = (await rejection(synth.call(TEXT))) as ApiKeyError;
      expect(error).toBeInstanceOf(ApiKeyError);
      expect(error.code).toBe('DS_ERR_API_KEY');
      expect(error.reason).toBe(reason);
      expect(error.retryable).toBe(retryable);
      if (reason === 'threw') expect((error.cause as Error).message).toBe('vault unreachable');
      expect(error.message).not.toContain(KEY);
      const after = server.stats();
      expect(after.connectionsAccepted).toBe(before.connectionsAccepted);
      expect(after.upgradesRejected).toBe(before.upgradesRejected);
    },
  );

  it('gives up on a key function that does not settle within connectTimeoutMs', async () => {
    const synth = synthesizer({ apiKey: () => new Promise<string>(() => undefined), connectTimeoutMs: 200 });
    const error = (await rejection(synth.call(TEXT))) as ApiKeyError;
    expect(error).toBeInstanceOf(ApiKeyError);
    expect(error.reason).toBe('timeout');
    expect(error.message).toContain('200 ms');
  });

  it('stops waiting for the key function when the call is aborted', async () => {
    const synth = synthesizer({
      apiKey: () => new Promise<string>(() => undefined),
      connectTimeoutMs: 20_000,
    });
    const controller = new AbortController();
    const pending = rejection(synth.call(TEXT, { signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);
    expect(await pending).toBeInstanceOf(AbortError);
  });

  it('never shows the key a function returns', async () => {
    const synth = synthesizer({ apiKey: () => KEY });
    await synth.call(TEXT);
    expect(inspect(synth, { depth: 6 })).not.toContain(KEY);
  });

  it('refuses an apiKey that is neither a string nor a function at construction', () => {
    for (const bad of [42, 10n, Symbol('k'), { key: KEY }, ['k'], `${KEY}\r\n`, 'sk-\u0000x', 'sk-ключ']) {
      let caught: unknown;
      try {
        synthesizer({ apiKey: bad as string });
      } catch (error) {
        caught = error;
      }
      expect(caught, String(typeof bad)).toBeInstanceOf(InvalidOptionError);
      expect((caught as InvalidOptionError).option).toBe('apiKey');
      if (typeof bad === 'string') expect((caught as Error).message).not.toContain(bad);
    }
    expect(() => synthesizer({ apiKey: '' })).toThrow(MissingApiKeyError);
  });
});

describe('a key function on a pool', () => {
  it('is called once per pooled connection', async () => {
    const key = rotatingKey(KEY);
    const before = server.stats().connectionsAccepted;
    const p = pool({ apiKey: key.fn, maxSize: 3 });
    await p.ready();
    expect(key.calls()).toBe(3);
    expect(server.stats().connectionsAccepted - before).toBe(3);
    await p.withSynthesizer(PARAMS, (s) => s.call(TEXT));
    expect(key.calls()).toBe(3);
  });

  it('picks up a rotated key when it reconnects, without a restart', async () => {
    // The pool starts on a temporary key that then expires: it can only reconnect with the new key.
    const expiring = await mintToken(server, 1);
    const key = rotatingKey(expiring.token);
    const p = pool({ apiKey: key.fn, maxSize: 1, reconnectInitialDelayMs: 50 });
    await p.ready();
    await p.withSynthesizer(PARAMS, (s) => s.call(TEXT));
    await until(() => Date.now() >= expiring.expiresAt * 1000 + 50, 'the token to expire');
    key.set(KEY);
    const reconnected = new Promise((resolve) => p.once('connect', resolve));
    server.faults.killAllConnections();
    await reconnected;
    const audio = await p.withSynthesizer(PARAMS, (s) => s.call(TEXT));
    expect(audio!.length).toBeGreaterThan(0);
    expect(key.calls()).toBe(2);
  });

  it('rejects ready() with the ApiKeyError when the function gives an unusable key', async () => {
    const p = pool({ apiKey: () => 42 as unknown as string, maxSize: 1 });
    const error = (await rejection(p.ready({ timeoutMs: 20_000 }))) as ApiKeyError;
    expect(error).toBeInstanceOf(ApiKeyError);
    expect(error.reason).toBe('invalid');
  });

  it('keeps retrying while the function throws, and connects once it recovers', async () => {
    let failing = true;
    let calls = 0;
    const p = pool({
      apiKey: () => {
        calls += 1;
        if (failing) throw new Error('vault restarting');
        return KEY;
      },
      maxSize: 1,
      reconnectInitialDelayMs: 20,
      reconnectMaxDelayMs: 100,
    });
    const firstError = await new Promise<unknown>((resolve) => p.once('connectError', resolve));
    expect(firstError).toBeInstanceOf(ApiKeyError);
    failing = false;
    await p.ready({ timeoutMs: 20_000 });
    expect(calls).toBeGreaterThanOrEqual(2);
  });
});
