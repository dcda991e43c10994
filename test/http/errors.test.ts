/** Error mapping, the key never leaking, the opt-in retry policy and the stale-socket re-send. */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { HttpConnectionPool } from '../../src/index.js';
import {
  AbortError,
  Generation,
  HttpRequestError,
  InvalidOptionError,
  InvalidParameterError,
  MissingApiKeyError,
  MultiModalConversation,
  ProtocolError,
} from '../../src/index.js';
import { API_KEY, messages, until, useHttpFixture } from './helpers.js';

const fixture = useHttpFixture();
const newPool = fixture.newPool;

const base = (pool: HttpConnectionPool) => ({
  model: 'qwen-plus',
  messages: messages(),
  apiKey: API_KEY,
  baseHttpApiUrl: fixture.srv.baseUrl,
  pool,
});

const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('error mapping', () => {
  it('401 with the documented fields; the key appears nowhere', async () => {
    const pool = newPool();
    const wrongKey = 'sk-wrong-key-0123456789';
    const err = await failure(Generation.call({ ...base(pool), apiKey: wrongKey }));
    expect(err).toBeInstanceOf(HttpRequestError);
    expect(err).toMatchObject({
      code: 'DS_ERR_HTTP',
      status: 401,
      errorCode: 'InvalidApiKey',
      errorMessage: 'Invalid API-key provided.',
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
      retryable: false,
    });
    const e = err as HttpRequestError;
    for (const text of [e.message, String(e), inspect(e), JSON.stringify(e), e.stack ?? '']) {
      expect(text).not.toContain(wrongKey);
    }
    // The socket was not spoiled by the error body: the next call reuses it.
    const before = fixture.srv.connections();
    await Generation.call(base(pool));
    expect(fixture.srv.connections()).toBe(before);
  });

  it('an error status answers a stream request with plain JSON, mapped the same way', async () => {
    const pool = newPool();
    const err = await failure(
      (async () => {
        for await (const _ of Generation.stream({ ...base(pool), apiKey: 'sk-another-wrong-key' })) {
          /* nothing */
        }
      })(),
    );
    expect(err).toMatchObject({ code: 'DS_ERR_HTTP', status: 401, errorCode: 'InvalidApiKey' });
  });

  it('400 InvalidParameter from the server', async () => {
    const pool = newPool();
    const err = await failure(
      MultiModalConversation.call({
        ...base(pool),
        model: 'qwen-vl-plus',
        messages: undefined,
        input: { messages: [{ role: 'user' }] },
      }),
    );
    expect(err).toMatchObject({
      status: 400,
      errorCode: 'InvalidParameter',
      errorMessage: 'Required parameter(s) missing or invalid, please check the request parameters.',
    });
  });

  it('an HTML 502 keeps a shortened body as the message', async () => {
    const pool = newPool();
    fixture.srv.endpoint.faults.failNext(1, { status: 502, html: true });
    const err = await failure(Generation.call(base(pool)));
    expect(err).toMatchObject({ status: 502, errorCode: undefined, retryable: true });
    expect((err as HttpRequestError).errorMessage).toContain('502 Bad Gateway');
  });

  it('429 carries Retry-After and is retryable', async () => {
    const pool = newPool();
    fixture.srv.endpoint.faults.failNext(1, { status: 429, retryAfterSeconds: 7 });
    const err = await failure(Generation.call(base(pool)));
    expect(err).toMatchObject({
      status: 429,
      errorCode: 'Throttling.RateQuota',
      retryAfterSeconds: 7,
      retryable: true,
    });
  });

  it('bad calls fail before anything is sent, with typed errors', async () => {
    const pool = newPool();
    const requests = fixture.srv.endpoint.stats().requests;
    await expect(Generation.call({ ...base(pool), model: '' })).rejects.toBeInstanceOf(InvalidParameterError);
    await expect(Generation.call({ ...base(pool), messages: undefined })).rejects.toBeInstanceOf(
      InvalidParameterError,
    );
    await expect(Generation.call({ ...base(pool), baseHttpApiUrl: 'ftp://x' })).rejects.toMatchObject({
      code: 'DS_ERR_INVALID_OPTION',
      option: 'baseHttpApiUrl',
    });
    await expect(Generation.call({ ...base(pool), timeout: -1 })).rejects.toMatchObject({
      option: 'timeout',
    });
    await expect(Generation.call({ ...base(pool), retry: { maxAttempts: 0 } })).rejects.toMatchObject({
      option: 'retry.maxAttempts',
    });
    await expect(Generation.call({ ...base(pool), stream: true })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(Generation.call({ ...base(pool), headers: { 'X-Bad': 'a\nb' } })).rejects.toMatchObject({
      code: 'DS_ERR_INVALID_OPTION',
      option: 'headers',
    });
    const saved = process.env.DASHSCOPE_API_KEY;
    delete process.env.DASHSCOPE_API_KEY;
    try {
      await expect(Generation.call({ ...base(pool), apiKey: undefined })).rejects.toBeInstanceOf(
        MissingApiKeyError,
      );
      expect(() => Generation.stream({ ...base(pool), apiKey: undefined })).toThrow(MissingApiKeyError);
    } finally {
      if (saved !== undefined) process.env.DASHSCOPE_API_KEY = saved;
    }
    expect(fixture.srv.endpoint.stats().requests).toBe(requests);
  });

  it('sends the workspace, extra headers and the documented request headers', async () => {
    const pool = newPool();
    await Generation.call({ ...base(pool), workspace: 'ws-9', headers: { 'X-Custom': '1' } });
    const { headers, body } = fixture.srv.endpoint.stats().lastRequest!;
    expect(headers).toMatchObject({
      authorization: `Bearer ${API_KEY}`,
      'content-type': 'application/json; charset=utf-8',
      accept: 'application/json; charset=utf-8',
      'x-dashscope-workspace': 'ws-9',
      'x-custom': '1',
      connection: 'keep-alive',
    });
    expect(headers['x-dashscope-sse']).toBeUndefined();
    expect(headers['user-agent']).toMatch(/^dashscope-tts-pool\/[\d.]+; node\//);
    expect(body).toEqual({ model: 'qwen-plus', input: { messages: messages() } });
  });

  it('the key comes from DASHSCOPE_API_KEY and the base URL from DASHSCOPE_HTTP_BASE_URL', async () => {
    const pool = newPool();
    const saved = { key: process.env.DASHSCOPE_API_KEY, url: process.env.DASHSCOPE_HTTP_BASE_URL };
    process.env.DASHSCOPE_API_KEY = API_KEY;
    process.env.DASHSCOPE_HTTP_BASE_URL = `${fixture.srv.baseUrl}/`;
    try {
      const res = await Generation.call({ model: 'qwen-plus', messages: messages(), pool });
      expect(res.output.text).toBe('Hello');
    } finally {
      for (const [k, v] of [
        ['DASHSCOPE_API_KEY', saved.key],
        ['DASHSCOPE_HTTP_BASE_URL', saved.url],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('a non-JSON success body is a ProtocolError', async () => {
    const pool = newPool();
    fixture.srv.endpoint.faults.failNext(1, { status: 200, html: true });
    const err = await failure(Generation.call(base(pool)));
    expect(err).toBeInstanceOf(ProtocolError);
  });
});

describe('retry policy (opt-in)', () => {
  it('is off by default', async () => {
    const pool = newPool();
    fixture.srv.endpoint.faults.failNext(1, { status: 500 });
    const requests = fixture.srv.endpoint.stats().requests;
    await expect(Generation.call(base(pool))).rejects.toMatchObject({
      status: 500,
      errorCode: 'InternalError',
    });
    expect(fixture.srv.endpoint.stats().requests - requests).toBe(1);
  });

  it('retries 429 and 5xx with back-off, on the same connection', async () => {
    const pool = newPool();
    fixture.srv.endpoint.faults.failNext(1, { status: 429 });
    fixture.srv.endpoint.faults.failNext(1, { status: 503 });
    const before = fixture.srv.connections();
    const requests = fixture.srv.endpoint.stats().requests;
    const res = await Generation.call({ ...base(pool), retry: { maxAttempts: 3, baseDelay: 20 } });
    expect(res.output.text).toBe('Hello');
    expect(fixture.srv.endpoint.stats().requests - requests).toBe(3);
    expect(fixture.srv.connections() - before).toBe(1);
    expect(pool.metrics()).toMatchObject({ retries: 2, calls: 1, errors: 0 });
  });

  it('gives up after maxAttempts with the last error', async () => {
    const pool = newPool();
    fixture.srv.endpoint.faults.failNext(5, { status: 500 });
    const requests = fixture.srv.endpoint.stats().requests;
    await expect(
      Generation.call({ ...base(pool), retry: { maxAttempts: 2, baseDelay: 10 } }),
    ).rejects.toMatchObject({
      status: 500,
    });
    expect(fixture.srv.endpoint.stats().requests - requests).toBe(2);
  });

  it('does not retry 400', async () => {
    const pool = newPool();
    fixture.srv.endpoint.faults.failNext(1, { status: 400 });
    const requests = fixture.srv.endpoint.stats().requests;
    await expect(Generation.call({ ...base(pool), retry: true })).rejects.toMatchObject({ status: 400 });
    expect(fixture.srv.endpoint.stats().requests - requests).toBe(1);
  });

  it('waits at least Retry-After', async () => {
    const pool = newPool();
    fixture.srv.endpoint.faults.failNext(1, { status: 429, retryAfterSeconds: 1 });
    const started = Date.now();
    await Generation.call({ ...base(pool), retry: { baseDelay: 1 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
  });

  it('a Retry-After beyond maxDelay ends the retries at once', async () => {
    const pool = newPool();
    fixture.srv.endpoint.faults.failNext(1, { status: 429, retryAfterSeconds: 60 });
    const requests = fixture.srv.endpoint.stats().requests;
    await expect(Generation.call({ ...base(pool), retry: { maxDelay: 1_000 } })).rejects.toMatchObject({
      status: 429,
      retryAfterSeconds: 60,
    });
    expect(fixture.srv.endpoint.stats().requests - requests).toBe(1);
  });

  it('abort during the back-off', async () => {
    const pool = newPool();
    fixture.srv.endpoint.faults.failNext(1, { status: 429, retryAfterSeconds: 20 });
    const controller = new AbortController();
    const call = Generation.call({ ...base(pool), retry: { maxDelay: 30_000 }, signal: controller.signal });
    await until(() => pool.metrics().retries === 1);
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(AbortError);
  });
});

describe('stale kept-alive sockets', () => {
  it('a request reset on a reused socket before any response byte is re-sent once on a fresh socket', async () => {
    const pool = newPool();
    await Generation.call(base(pool));
    const before = fixture.srv.connections();
    fixture.srv.endpoint.faults.resetNextOnReusedSocket(1);
    const res = await Generation.call(base(pool));
    expect(res.output.text).toBe('Hello');
    expect(fixture.srv.connections() - before).toBe(1);
    expect(fixture.srv.endpoint.stats().resets).toBeGreaterThanOrEqual(1);
    expect(pool.metrics()).toMatchObject({ staleSocketRetries: 1, errors: 0 });
  });

  it('all idle sockets gone stale (server forgot them): the re-send does not pick another stale one', async () => {
    const pool = newPool({ connectionPoolSize: 4, maximumAsyncRequests: 4, maximumAsyncRequestsPerHost: 4 });
    await Promise.all(Array.from({ length: 4 }, () => Generation.call(base(pool))));
    await until(() => pool.stats().freeSockets === 4);
    fixture.srv.endpoint.faults.resetIdleSocketsAfterMs = 1;
    await new Promise((r) => setTimeout(r, 20));
    const res = await Generation.call(base(pool));
    expect(res.output.text).toBe('Hello');
    expect(pool.metrics().staleSocketRetries).toBe(1);
  });

  it('streams are re-sent too', async () => {
    const pool = newPool();
    await Generation.call(base(pool));
    fixture.srv.endpoint.faults.resetNextOnReusedSocket(1);
    const texts: string[] = [];
    for await (const ev of Generation.stream(base(pool))) texts.push(ev.output.text ?? '');
    expect(texts.join('')).toBe('Hello');
    expect(pool.metrics().staleSocketRetries).toBe(1);
  });

  it('only once: a reset on the fresh socket too is reported as a connection error', async () => {
    const pool = newPool();
    await Generation.call(base(pool));
    const requests = fixture.srv.endpoint.stats().requests;
    fixture.srv.endpoint.faults.resetNextRequests(2);
    const err = await failure(Generation.call(base(pool)));
    expect(err).toMatchObject({
      code: 'DS_ERR_HTTP_CONNECTION',
      socketCode: 'ECONNRESET',
      reusedSocket: false,
      retryable: true,
    });
    expect(fixture.srv.endpoint.stats().requests - requests).toBe(2);
    expect(pool.metrics()).toMatchObject({ staleSocketRetries: 1, errors: 1 });
  });

  it('a reset on a new socket is not re-sent (the request may have been processed)', async () => {
    const pool = newPool();
    const requests = fixture.srv.endpoint.stats().requests;
    fixture.srv.endpoint.faults.resetNextRequests(1);
    const err = await failure(Generation.call(base(pool)));
    expect(err).toMatchObject({ code: 'DS_ERR_HTTP_CONNECTION', reusedSocket: false });
    expect(fixture.srv.endpoint.stats().requests - requests).toBe(1);
    expect(pool.metrics().staleSocketRetries).toBe(0);
  });
});
