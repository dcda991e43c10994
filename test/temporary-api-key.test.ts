/**
 * `temporaryApiKey()` against the local server's tokens endpoint: one mint for many connections
 * at once, a refresh before expiry, expired keys refused, mint failures typed.
 */
import { describe, expect, it } from 'vitest';
import {
  ApiKeyError,
  AuthenticationError,
  HttpRequestError,
  InvalidOptionError,
  MissingApiKeyError,
} from '../src/errors/index.js';
import { Generation } from '../src/http/generation.js';
import { SpeechSynthesizerObjectPool } from '../src/index.js';
import { SpeechSynthesizer } from '../src/index.js';
import { temporaryApiKey, type TemporaryApiKeyOptions } from '../src/temporary-api-key.js';
import {
  closers,
  KEY_PARAMS as PARAMS,
  MINT_KEY as KEY,
  mintToken,
  server,
  until,
  useKeyServer,
} from './helpers/keys.js';

const TEXT = 'A temporary key is minted once and shared by every connection.';
useKeyServer();

function tempKey(options: TemporaryApiKeyOptions = {}): () => Promise<string> {
  return temporaryApiKey({ apiKey: KEY, baseHttpApiUrl: server.httpBaseUrl, ...options });
}

function synthesizer(apiKey: string | (() => Promise<string>)): SpeechSynthesizer {
  const synth = new SpeechSynthesizer({ ...PARAMS, url: server.url, apiKey });
  closers.push(() => synth.close());
  return synth;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('temporaryApiKey', () => {
  it('mints once for a pool whose connections all open at once', async () => {
    const mintedBefore = server.stats().tokensMinted;
    const acceptedBefore = server.stats().connectionsAccepted;
    const pool = new SpeechSynthesizerObjectPool({ url: server.url, apiKey: tempKey(), maxSize: 8 });
    closers.push(() => pool.shutdown({ graceMs: 0 }));
    await pool.ready();
    expect(server.stats().tokensMinted - mintedBefore).toBe(1);
    expect(server.stats().connectionsAccepted - acceptedBefore).toBe(8);
    const audio = await pool.withSynthesizer(PARAMS, (s) => s.call(TEXT));
    expect(audio!.length).toBeGreaterThan(0);
  });

  it('keeps one mint in flight however many callers ask at once', async () => {
    const before = server.stats().tokensMinted;
    const key = tempKey();
    const keys = await Promise.all(Array.from({ length: 50 }, () => key()));
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^st-/);
    expect(server.stats().tokensMinted - before).toBe(1);
    // Fresh: the next call does not mint.
    expect(await key()).toBe(keys[0]);
    expect(server.stats().tokensMinted - before).toBe(1);
  });

  it('mints the next key before the current one expires', async () => {
    const before = server.stats().tokensMinted;
    // 30 s keys refreshed when less than 29.5 s remain: due half a second after each mint.
    const key = tempKey({ expireInSeconds: 30, refreshBeforeExpiryMs: 29_500 });
    const first = await key();
    const mintedAt = Date.now();
    await until(() => Date.now() - mintedAt > 600, 'the refresh to be due');
    const second = await key();
    expect(second).not.toBe(first);
    expect(server.stats().tokensMinted - before).toBe(2);
    // The first key had not expired: the server still takes it.
    await synthesizer(first).call(TEXT);
    await synthesizer(second).call(TEXT);
  });

  it('keeps using the current key while it is valid if a refresh fails', async () => {
    let calls = 0;
    const key = temporaryApiKey({
      apiKey: () => {
        calls += 1;
        if (calls > 1) throw new Error('long-lived key unavailable');
        return KEY;
      },
      baseHttpApiUrl: server.httpBaseUrl,
      expireInSeconds: 30,
      refreshBeforeExpiryMs: 29_500,
    });
    const first = await key();
    const mintedAt = Date.now();
    await until(() => Date.now() - mintedAt > 600, 'the refresh to be due');
    expect(await key()).toBe(first);
    expect(calls).toBe(2);
  });

  it('is accepted by HTTP generation too', async () => {
    const result = await Generation.call({
      model: 'qwen-plus',
      prompt: 'hello',
      apiKey: tempKey(),
      baseHttpApiUrl: server.httpBaseUrl,
    });
    expect(result.statusCode).toBe(200);
  });

  it('fails the connection with an ApiKeyError carrying the HTTP error when the long-lived key is refused', async () => {
    const before = server.stats();
    const key = tempKey({ apiKey: 'sk-not-the-right-key-000000' });
    const mintError = (await rejection(key())) as HttpRequestError;
    expect(mintError).toBeInstanceOf(HttpRequestError);
    expect(mintError.status).toBe(401);
    expect(mintError.errorCode).toBe('InvalidApiKey');

    const error = (await rejection(synthesizer(key).call(TEXT))) as ApiKeyError;
    expect(error).toBeInstanceOf(ApiKeyError);
    expect(error.cause).toBeInstanceOf(HttpRequestError);
    expect(error.retryable).toBe(false);
    expect(error.message).not.toContain('sk-not-the-right-key-000000');
    const after = server.stats();
    expect(after.tokensMinted).toBe(before.tokensMinted);
    expect(after.connectionsAccepted).toBe(before.connectionsAccepted);

    // A pool gives up at once, as for a refused key.
    const pool = new SpeechSynthesizerObjectPool({ url: server.url, apiKey: key, maxSize: 2 });
    closers.push(() => pool.shutdown({ graceMs: 0 }));
    expect(await rejection(pool.ready({ timeoutMs: 20_000 }))).toBeInstanceOf(ApiKeyError);
  });

  it('validates its options before anything is sent', () => {
    const before = server.stats().tokensMinted;
    const cases: Array<[string, unknown]> = [
      ['expireInSeconds', 0],
      ['expireInSeconds', 1801],
      ['expireInSeconds', 1.5],
      ['expireInSeconds', '60'],
      ['expireInSeconds', 10n],
      ['expireInSeconds', Number.NaN],
      ['timeoutMs', 2 ** 31],
      ['refreshBeforeExpiryMs', 60_000],
      ['refreshBeforeExpiryMs', -1],
      ['baseHttpApiUrl', 'ftp://example.com/api/v1'],
      ['region', 'mars'],
      ['headers', { 'Bad Name': 'x' }],
    ];
    for (const [option, value] of cases) {
      let caught: unknown;
      try {
        temporaryApiKey({ apiKey: KEY, baseHttpApiUrl: server.httpBaseUrl, [option]: value });
      } catch (error) {
        caught = error;
      }
      expect(caught, `${option} = ${String(value)}`).toBeInstanceOf(InvalidOptionError);
      expect((caught as InvalidOptionError).option).toBe(option);
    }
    expect(() => temporaryApiKey(null as unknown as TemporaryApiKeyOptions)).toThrow(InvalidOptionError);
    expect(() => temporaryApiKey({ baseHttpApiUrl: server.httpBaseUrl, apiKey: '' })).toThrow(
      MissingApiKeyError,
    );
    expect(server.stats().tokensMinted).toBe(before);
  });
});

describe('the local server tokens endpoint', () => {
  it('answers {token, expires_at}, 60 seconds by default', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await fetch(`${server.httpBaseUrl}/tokens`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEY}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['expires_at', 'token']);
    expect(body.token).toMatch(/^st-[0-9a-f]{32}$/);
    expect(body.expires_at).toBeGreaterThanOrEqual(before + 60);
    expect(body.expires_at).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 61);
  });

  it.each([
    ['GET', '?expire_in_seconds=60', KEY, 405],
    ['POST', '?expire_in_seconds=0', KEY, 400],
    ['POST', '?expire_in_seconds=1801', KEY, 400],
    ['POST', '?expire_in_seconds=abc', KEY, 400],
    ['POST', '', undefined, 401],
    ['POST', '', 'sk-wrong', 401],
  ])('%s /tokens%s refuses with %s', async (method, query, key, status) => {
    const res = await fetch(`${server.httpBaseUrl}/tokens${query}`, {
      method,
      headers: key === undefined ? {} : { Authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(status);
    const body = (await res.json()) as { code: string; request_id: string };
    expect(typeof body.code).toBe('string');
    expect(typeof body.request_id).toBe('string');
  });

  it('does not let a temporary key mint another', async () => {
    const { token } = await mintToken(server, 60);
    await expect(mintToken(server, 60, token)).rejects.toThrow('HTTP 401');
  });

  it('refuses an expired temporary key with 401, on the upgrade and on HTTP generation', async () => {
    const { token, expiresAt } = await mintToken(server, 1);
    await synthesizer(token).call(TEXT);
    await until(() => Date.now() >= expiresAt * 1000 + 50, 'the token to expire');
    const refusedBefore = server.stats().upgradesRejected;
    const error = (await rejection(synthesizer(token).call(TEXT))) as AuthenticationError;
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.status).toBe(401);
    expect(error.errorCode).toBe('InvalidApiKey');
    expect(server.stats().upgradesRejected).toBe(refusedBefore + 1);
    const httpError = (await rejection(
      Generation.call({
        model: 'qwen-plus',
        prompt: 'hi',
        apiKey: token,
        baseHttpApiUrl: server.httpBaseUrl,
      }),
    )) as HttpRequestError;
    expect(httpError).toBeInstanceOf(HttpRequestError);
    expect(httpError.status).toBe(401);
  });
});
