/** Connection reuse, proven by counting TCP connections on the server; limits queue, not open sockets. */
import http from 'node:http';
import type { HttpConnectionPool } from '../../src/index.js';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Generation,
  HttpPoolClosedError,
  MultiModalConversation,
  RequestQueueFullError,
  RequestQueueTimeoutError,
  closeConnectionPool,
  getHttpMetrics,
  getHttpPoolStats,
  setConnectionConfigurations,
} from '../../src/index.js';
import { API_KEY, messages, until, useHttpFixture } from './helpers.js';

const fixture = useHttpFixture();
const newPool = fixture.newPool;
afterAll(() => {
  closeConnectionPool();
  setConnectionConfigurations({});
});

/** A plain text-generation call through `pool` to the fixture's server. */
const callOptions = (pool: HttpConnectionPool) => ({
  model: 'qwen-plus',
  messages: messages(),
  apiKey: API_KEY,
  baseHttpApiUrl: fixture.srv.baseUrl,
  pool,
});

describe('connection reuse', () => {
  it('N sequential calls on the shared pool use one TCP connection', async () => {
    const before = fixture.srv.connections();
    for (let i = 0; i < 10; i += 1) {
      const res = await Generation.call({
        model: 'qwen-plus',
        messages: messages(),
        apiKey: API_KEY,
        baseHttpApiUrl: fixture.srv.baseUrl,
      });
      expect(res.output.text).toBe('Hello');
    }
    expect(fixture.srv.connections() - before).toBe(1);
    const m = getHttpMetrics();
    expect(m.requests).toBeGreaterThanOrEqual(10);
    expect(m.socketsOpened).toBe(1);
    expect(m.reuseRatio).toBeCloseTo(9 / 10, 5);
    expect(m.latencyMs.count).toBeGreaterThanOrEqual(10);
    expect(m.latencyMs.p99).toBeGreaterThanOrEqual(m.latencyMs.p50);
    expect(getHttpPoolStats()).toMatchObject({ active: 0, queued: 0, busySockets: 0, freeSockets: 1 });
  });

  it('text and multimodal calls share the connection, streams included', async () => {
    const pool = newPool();
    const before = fixture.srv.connections();
    const opts = { apiKey: API_KEY, baseHttpApiUrl: fixture.srv.baseUrl, pool };
    await Generation.call({ model: 'qwen-plus', messages: messages(), ...opts });
    for await (const _ of Generation.stream({ model: 'qwen-plus', messages: messages(), ...opts })) {
      /* drain */
    }
    await MultiModalConversation.call({ model: 'qwen-vl-plus', messages: messages(), ...opts });
    for await (const _ of MultiModalConversation.stream({
      model: 'qwen-vl-plus',
      messages: messages(),
      ...opts,
    })) {
      /* drain */
    }
    expect(fixture.srv.connections() - before).toBe(1);
    expect(pool.metrics()).toMatchObject({
      calls: 4,
      requests: 4,
      socketsOpened: 1,
      requestsOnReusedSocket: 3,
    });
  });

  it('N concurrent calls open no more sockets than maximumAsyncRequestsPerHost, and the rest queue', async () => {
    const pool = newPool({ connectionPoolSize: 8, maximumAsyncRequests: 4, maximumAsyncRequestsPerHost: 3 });
    const before = fixture.srv.connections();
    fixture.srv.endpoint.faults.headDelayMs = 50;
    const calls = Array.from({ length: 12 }, () =>
      Generation.call({
        model: 'qwen-plus',
        messages: messages(),
        apiKey: API_KEY,
        baseHttpApiUrl: fixture.srv.baseUrl,
        pool,
      }),
    );
    await until(() => pool.stats().active === 3);
    expect(pool.stats().queued).toBe(9);
    const results = await Promise.all(calls);
    expect(results.every((r) => r.output.text === 'Hello')).toBe(true);
    expect(fixture.srv.connections() - before).toBe(3);
    expect(pool.metrics().socketsOpened).toBe(3);
    expect(pool.stats()).toMatchObject({ active: 0, queued: 0, freeSockets: 3 });
  });

  it("a second wave of concurrent calls reuses the first wave's sockets", async () => {
    const pool = newPool({ connectionPoolSize: 4, maximumAsyncRequests: 4, maximumAsyncRequestsPerHost: 4 });
    const before = fixture.srv.connections();
    const wave = () =>
      Promise.all(
        Array.from({ length: 4 }, () =>
          Generation.call({
            model: 'qwen-plus',
            messages: messages(),
            apiKey: API_KEY,
            baseHttpApiUrl: fixture.srv.baseUrl,
            pool,
          }),
        ),
      );
    await wave();
    const afterFirst = fixture.srv.connections() - before;
    await wave();
    await wave();
    expect(afterFirst).toBeLessThanOrEqual(4);
    expect(fixture.srv.connections() - before).toBe(afterFirst);
  });

  it('a full queue fails at once with RequestQueueFullError; a queue timeout fires', async () => {
    const pool = newPool({
      connectionPoolSize: 1,
      maximumAsyncRequests: 1,
      maximumAsyncRequestsPerHost: 1,
      maxQueuedRequests: 1,
      queueTimeout: 300,
    });
    fixture.srv.endpoint.faults.headDelayMs = 3_000;
    const opts = callOptions(pool);
    const first = Generation.call(opts);
    const second = Generation.call(opts);
    const third = Generation.call(opts);
    await expect(third).rejects.toBeInstanceOf(RequestQueueFullError);
    await expect(second).rejects.toBeInstanceOf(RequestQueueTimeoutError);
    await expect(second).rejects.toMatchObject({ code: 'DS_ERR_HTTP_QUEUE_TIMEOUT' });
    await expect(first).resolves.toMatchObject({ statusCode: 200 });
  });

  it('closing a pool fails its waiting calls with HttpPoolClosedError', async () => {
    const pool = newPool({ connectionPoolSize: 1, maximumAsyncRequests: 1, maximumAsyncRequestsPerHost: 1 });
    fixture.srv.endpoint.faults.headDelayMs = 200;
    const opts = callOptions(pool);
    const first = Generation.call(opts);
    const second = Generation.call(opts);
    await until(() => pool.stats().queued === 1);
    pool.close();
    await expect(second).rejects.toBeInstanceOf(HttpPoolClosedError);
    await expect(first).rejects.toMatchObject({ code: expect.stringMatching(/^DS_ERR_/) as unknown });
    await expect(Generation.call(opts)).rejects.toBeInstanceOf(HttpPoolClosedError);
  });

  it('idle sockets expire after connectionIdleTimeout; the next call connects again', async () => {
    const pool = newPool({ connectionIdleTimeout: 200 });
    const before = fixture.srv.connections();
    await Generation.call({
      model: 'qwen-plus',
      messages: messages(),
      apiKey: API_KEY,
      baseHttpApiUrl: fixture.srv.baseUrl,
      pool,
    });
    expect(pool.stats().freeSockets).toBe(1);
    await until(() => pool.stats().freeSockets === 0);
    await Generation.call({
      model: 'qwen-plus',
      messages: messages(),
      apiKey: API_KEY,
      baseHttpApiUrl: fixture.srv.baseUrl,
      pool,
    });
    expect(fixture.srv.connections() - before).toBe(2);
    expect(pool.metrics().staleSocketRetries).toBe(0);
  });

  it('a server that answers Connection: close costs a connection per call, without errors', async () => {
    const pool = newPool();
    fixture.srv.endpoint.faults.closeConnections = true;
    const before = fixture.srv.connections();
    for (let i = 0; i < 3; i += 1) {
      await Generation.call({
        model: 'qwen-plus',
        messages: messages(),
        apiKey: API_KEY,
        baseHttpApiUrl: fixture.srv.baseUrl,
        pool,
      });
    }
    expect(fixture.srv.connections() - before).toBe(3);
    expect(pool.metrics()).toMatchObject({ errors: 0, socketsOpened: 3, reuseRatio: 0 });
  });

  it('a caller-owned agent is used and never closed', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const before = fixture.srv.connections();
    for (let i = 0; i < 3; i += 1) {
      await Generation.call({
        model: 'qwen-plus',
        messages: messages(),
        apiKey: API_KEY,
        baseHttpApiUrl: fixture.srv.baseUrl,
        agent,
      });
    }
    expect(fixture.srv.connections() - before).toBe(1);
    closeConnectionPool();
    // Still usable: the library did not destroy it.
    await Generation.call({
      model: 'qwen-plus',
      messages: messages(),
      apiKey: API_KEY,
      baseHttpApiUrl: fixture.srv.baseUrl,
      agent,
    });
    expect(fixture.srv.connections() - before).toBe(1);
    expect(Object.values(agent.freeSockets).flat()).toHaveLength(1);
    agent.destroy();
  });

  it('setConnectionConfigurations takes effect for the next call', async () => {
    setConnectionConfigurations({
      connectionPoolSize: 2,
      maximumAsyncRequests: 2,
      maximumAsyncRequestsPerHost: 2,
    });
    fixture.srv.endpoint.faults.headDelayMs = 50;
    const before = fixture.srv.connections();
    await Promise.all(
      Array.from({ length: 6 }, () =>
        Generation.call({
          model: 'qwen-plus',
          messages: messages(),
          apiKey: API_KEY,
          baseHttpApiUrl: fixture.srv.baseUrl,
        }),
      ),
    );
    expect(fixture.srv.connections() - before).toBe(2);
    expect(getHttpMetrics().socketsOpened).toBe(2);
  });
});
