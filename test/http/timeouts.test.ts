/** Every timeout fires with its phase; abort works at every stage; nothing is left behind. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortError, Generation, RequestTimeoutError } from '../../src/index.js';
import { API_KEY, messages, startSilentServer, until, useHttpFixture } from './helpers.js';

const fixture = useHttpFixture();
const newPool = fixture.newPool;
let silent: { port: number; close(): Promise<void> };
beforeAll(async () => {
  silent = await startSilentServer();
});
afterAll(async () => {
  await silent.close();
});

const base = () => ({
  model: 'qwen-plus',
  messages: messages(),
  apiKey: API_KEY,
  baseHttpApiUrl: fixture.srv.baseUrl,
});

describe('timeouts', () => {
  it('connect timeout: a TLS handshake that never completes', async () => {
    const pool = newPool({ connectTimeout: 300 });
    const err = await Generation.call({
      ...base(),
      baseHttpApiUrl: `https://127.0.0.1:${silent.port}/api/v1`,
      pool,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect(err).toMatchObject({ code: 'DS_ERR_REQUEST_TIMEOUT', phase: 'connect', timeoutMs: 300 });
    await until(() => pool.stats().busySockets === 0 && pool.stats().active === 0);
  });

  it('write timeout: a body the server never reads', async () => {
    const pool = newPool({ writeTimeout: 300 });
    const huge = 'x'.repeat(48 * 1024 * 1024);
    const err = await Generation.call({
      ...base(),
      messages: messages(huge),
      baseHttpApiUrl: `http://127.0.0.1:${silent.port}/api/v1`,
      pool,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DS_ERR_REQUEST_TIMEOUT', phase: 'write' });
  });

  it('read timeout: no response head in time; the socket is dropped, not reused', async () => {
    const pool = newPool({ readTimeout: 300 });
    fixture.srv.endpoint.faults.headDelayMs = 5_000;
    const err = await Generation.call({ ...base(), pool }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DS_ERR_REQUEST_TIMEOUT', phase: 'read', timeoutMs: 300 });
    await until(() => pool.stats().busySockets === 0 && pool.stats().active === 0);
    expect(pool.stats().freeSockets).toBe(0);
  });

  it('read timeout between stream events', async () => {
    const pool = newPool({ readTimeout: 300 });
    fixture.srv.endpoint.faults.eventDelayMs = 5_000;
    const seen: string[] = [];
    const err = await (async () => {
      for await (const ev of Generation.stream({ ...base(), pool })) seen.push(ev.output.text ?? '');
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['Hel']);
    expect(err).toMatchObject({ code: 'DS_ERR_REQUEST_TIMEOUT', phase: 'read' });
  });

  it('the read timeout does not run while the consumer holds an event', async () => {
    const pool = newPool({ readTimeout: 200 });
    const seen: string[] = [];
    for await (const ev of Generation.stream({ ...base(), pool })) {
      seen.push(ev.output.text ?? '');
      if (seen.length === 1) await new Promise((r) => setTimeout(r, 600));
    }
    expect(seen.join('')).toBe('Hello');
  });

  it('total timeout covers the whole call', async () => {
    const pool = newPool();
    fixture.srv.endpoint.faults.headDelayMs = 5_000;
    const err = await Generation.call({ ...base(), pool, timeout: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect(err).toMatchObject({ phase: 'total', timeoutMs: 300 });
  });

  it('abort before sending, while waiting for the head, while queued and mid-stream', async () => {
    const pool = newPool({ connectionPoolSize: 1, maximumAsyncRequests: 1, maximumAsyncRequestsPerHost: 1 });
    const pre = new AbortController();
    pre.abort();
    await expect(Generation.call({ ...base(), pool, signal: pre.signal })).rejects.toBeInstanceOf(AbortError);

    fixture.srv.endpoint.faults.headDelayMs = 5_000;
    const inFlight = new AbortController();
    const queued = new AbortController();
    const first = Generation.call({ ...base(), pool, signal: inFlight.signal });
    const second = Generation.call({ ...base(), pool, signal: queued.signal });
    await until(() => pool.stats().queued === 1);
    queued.abort();
    await expect(second).rejects.toMatchObject({ code: 'DS_ERR_ABORTED' });
    inFlight.abort('stop');
    await expect(first).rejects.toMatchObject({ code: 'DS_ERR_ABORTED', cause: 'stop' });
    await until(() => pool.stats().active === 0);

    fixture.srv.endpoint.faults.reset();
    fixture.srv.endpoint.faults.eventDelayMs = 200;
    const mid = new AbortController();
    const seen: unknown[] = [];
    const err = await (async () => {
      for await (const ev of Generation.stream({ ...base(), pool, signal: mid.signal })) {
        seen.push(ev);
        mid.abort();
      }
    })().catch((e: unknown) => e);
    expect(seen).toHaveLength(1);
    expect(err).toBeInstanceOf(AbortError);
    await until(() => pool.stats().active === 0);
  });
});
