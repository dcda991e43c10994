/** The Redis quota in one process, on a real redis-server, through ioredis and node-redis. */
import { Redis } from 'ioredis';
import * as promClient from 'prom-client';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortError,
  ClosedError,
  ConnectionError,
  InvalidOptionError,
  QuotaTimeoutError,
  registerPoolMetrics,
  SpeechSynthesizer,
  SpeechSynthesizerObjectPool,
  TaskFailedError,
  TaskTimeoutError,
  type Quota,
} from '../../src/index.js';
import { createRedisQuota, type RedisClientLike, type RedisQuotaOptions } from '../../src/redis/index.js';
import { startLocalServer, type LocalServer } from '../../src/server/index.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

const PARAMS = { model: 'cosyvoice-v3-flash', voice: 'longanyang' } as const;
let redisServer: RedisServer;
let server: LocalServer;
let keys = 0;
const newKey = (): string => `quota-test-${process.pid}-${++keys}`;

beforeAll(async () => {
  [redisServer, server] = await Promise.all([startRedisServer(), startLocalServer({ engine: 'synthetic' })]);
});

afterAll(async () => {
  await Promise.all([redisServer?.dispose(), server?.close()]);
});

async function until(predicate: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Client {
  redis: RedisClientLike;
  zcard(key: string): Promise<number>;
  close(): Promise<void>;
}

const clients: Record<string, () => Promise<Client>> = {
  ioredis: () => {
    const redis = new Redis(redisServer.port, '127.0.0.1');
    return Promise.resolve({
      redis,
      zcard: (key) => redis.zcard(key),
      close: () => Promise.resolve(redis.disconnect()),
    });
  },
  'node-redis': async () => {
    const redis = createClient({ url: redisServer.url });
    redis.on('error', () => undefined);
    await redis.connect();
    return { redis, zcard: (key) => redis.zCard(key), close: async () => void (await redis.quit()) };
  },
};

describe.each(Object.keys(clients))('with %s', (name) => {
  let client: Client;
  beforeAll(async () => {
    client = await clients[name]!();
  });
  afterAll(async () => {
    await client?.close();
  });
  const quotaOf = (
    options: Partial<RedisQuotaOptions> = {},
  ): { quota: ReturnType<typeof createRedisQuota>; key: string } => {
    const key = newKey();
    return { quota: createRedisQuota({ redis: client.redis, key, maxConcurrentTasks: 2, ...options }), key };
  };

  it('grants up to maxConcurrentTasks, serves the rest first come first served, frees slots on release', async () => {
    const { quota, key } = quotaOf();
    try {
      const held = [await quota.acquire(), await quota.acquire()];
      expect(await client.zcard(`${key}:leases`)).toBe(2);
      const order: number[] = [];
      const waiting = [3, 4, 5].map((n) => quota.acquire().then((lease) => (order.push(n), lease)));
      await until(() => quota.metrics().waiting === 3, 'three waiters');
      held[0]!.release();
      const third = await waiting[0]!;
      held[1]!.release();
      const fourth = await waiting[1]!;
      third.release();
      fourth.release();
      (await waiting[2]!).release();
      expect(order).toEqual([3, 4, 5]);
      await until(async () => (await client.zcard(`${key}:leases`)) === 0, 'every lease released in Redis');
      const metrics = quota.metrics();
      expect(metrics).toMatchObject({
        mode: 'shared',
        leasesHeld: 0,
        acquired: 5,
        waited: 3,
        peakLeasesHeld: 2,
      });
      expect(metrics.store.errors).toBe(0);
    } finally {
      await quota.close();
    }
  });

  it('ends a wait with QuotaTimeoutError or AbortError, and holds nothing after', async () => {
    const { quota, key } = quotaOf({ maxConcurrentTasks: 1 });
    try {
      const lease = await quota.acquire();
      const timedOut = await quota.acquire({ maxWaitMs: 150 }).catch((error: unknown) => error);
      expect(timedOut).toBeInstanceOf(QuotaTimeoutError);
      expect((timedOut as QuotaTimeoutError).code).toBe('DS_ERR_QUOTA_TIMEOUT');
      expect((timedOut as QuotaTimeoutError).message).toContain('1 concurrent tasks');
      const controller = new AbortController();
      const aborted = quota.acquire({ signal: controller.signal }).catch((error: unknown) => error);
      controller.abort();
      expect(await aborted).toBeInstanceOf(AbortError);
      lease.release();
      await until(async () => (await client.zcard(`${key}:leases`)) === 0, 'the lease released');
      expect(quota.metrics()).toMatchObject({ timeouts: 1, aborted: 1, leasesHeld: 0, waiting: 0 });
    } finally {
      await quota.close();
    }
    await expect(quota.acquire()).rejects.toBeInstanceOf(ClosedError);
  });
});

describe('a synthesizer with a quota', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(redisServer.port, '127.0.0.1');
  });
  afterAll(() => redis?.disconnect());

  async function released(quota: Quota, key: string): Promise<void> {
    await until(
      async () => quota.metrics().leasesHeld === 0 && (await redis.zcard(`${key}:leases`)) === 0,
      'the lease released',
    );
  }

  it('releases the lease on every path: success, task-failed, timeout, abort, socket drop, close', async () => {
    const key = newKey();
    const quota = createRedisQuota({ redis, key, maxConcurrentTasks: 1 });
    const make = (): SpeechSynthesizer =>
      new SpeechSynthesizer({ url: server.url, apiKey: 'sk', ...PARAMS, quota });
    const synth = make();
    try {
      expect((await synth.call('Fine.'))!.length).toBeGreaterThan(0);
      await released(quota, key);

      server.faults.injectTaskFault('fail-at-start');
      await expect(synth.call('Failed.')).rejects.toBeInstanceOf(TaskFailedError);
      await released(quota, key);

      server.faults.injectTaskFault('hang');
      await expect(synth.call('Hangs.', { timeoutMs: 300 })).rejects.toBeInstanceOf(TaskTimeoutError);
      await released(quota, key);

      server.faults.injectTaskFault('hang');
      const controller = new AbortController();
      const aborted = synth.call('Aborted.', { signal: controller.signal }).catch((e: unknown) => e);
      await until(() => quota.metrics().leasesHeld === 1, 'the lease taken');
      controller.abort();
      expect(await aborted).toBeInstanceOf(AbortError);
      await released(quota, key);

      server.faults.injectTaskFault('drop-mid-stream');
      await expect(synth.call('Dropped.')).rejects.toBeInstanceOf(ConnectionError);
      await released(quota, key);

      server.faults.injectTaskFault('hang');
      const closing = synth.call('Closed.').catch((e: unknown) => e);
      await until(() => quota.metrics().leasesHeld === 1, 'the lease taken');
      await synth.close();
      expect(await closing).toBeInstanceOf(ClosedError);
      await released(quota, key);
      expect(quota.metrics()).toMatchObject({ acquired: 6, timeouts: 0 });
    } finally {
      server.faults.clearFaults();
      await synth.close();
      await quota.close();
    }
  });

  it('keeps one lease across a retry and takes one more start for it', async () => {
    const key = newKey();
    const quota = createRedisQuota({ redis, key, maxConcurrentTasks: 1, maxTasksPerSecond: 50 });
    const synth = new SpeechSynthesizer({
      url: server.url,
      apiKey: 'sk',
      ...PARAMS,
      quota,
      retry: { throttling: 1, initialDelayMs: 10 },
    });
    try {
      server.faults.injectTaskFault('throttle');
      expect((await synth.call('Retried.')).length).toBeGreaterThan(0);
      expect(synth.getTaskMetrics()!.attempts).toBe(2);
      await released(quota, key);
      expect(quota.metrics()).toMatchObject({ acquired: 1, restarts: 1 });
    } finally {
      server.faults.clearFaults();
      await synth.close();
      await quota.close();
    }
  });

  it("ends the wait at the task's timeoutMs with QuotaTimeoutError, before anything is sent", async () => {
    const key = newKey();
    const quota = createRedisQuota({ redis, key, maxConcurrentTasks: 1 });
    const synth = new SpeechSynthesizer({ url: server.url, apiKey: 'sk', ...PARAMS, quota });
    try {
      await synth.connect();
      const holder = await quota.acquire();
      const startedBefore = server.stats().tasks.started;
      const error = await synth.call('Waits.', { timeoutMs: 300 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QuotaTimeoutError);
      expect(server.stats().tasks.started).toBe(startedBefore);
      holder.release();
      await released(quota, key);
    } finally {
      await synth.close();
      await quota.close();
    }
  });

  it('is passed by a pool to its synthesizers, with the pool acquireTimeoutMs as the longest wait', async () => {
    const key = newKey();
    const quota = createRedisQuota({ redis, key, maxConcurrentTasks: 1, acquireTimeoutMs: 60_000 });
    const pool = new SpeechSynthesizerObjectPool({
      url: server.url,
      apiKey: 'sk',
      maxSize: 2,
      quota,
      acquireTimeoutMs: 400,
    });
    try {
      await pool.ready();
      const holder = await quota.acquire();
      const error = await pool.withSynthesizer(PARAMS, (s) => s.call('Waits.')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QuotaTimeoutError);
      holder.release();
      await pool.withSynthesizer(PARAMS, (s) => s.call('Runs.'));
      expect(pool.metrics().quota).toMatchObject({ acquired: 2, timeouts: 1, mode: 'shared' });
      const registry = new promClient.Registry();
      registerPoolMetrics(pool, promClient, { registry });
      const text = await registry.metrics();
      expect(text).toContain('dashscope_tts_quota_acquisitions{pool="default",outcome="timeouts"} 1');
      expect(text).toContain('dashscope_tts_quota_fallback_active{pool="default"} 0');
    } finally {
      await pool.shutdown();
      await quota.close();
    }
  });
});

describe('options', () => {
  it.each([
    ['redis', { redis: {} }],
    ['key', { key: '' }],
    ['maxConcurrentTasks', { maxConcurrentTasks: undefined }],
    ['maxConcurrentTasks', { maxConcurrentTasks: 1.5 }],
    ['leaseMs', { leaseMs: 10 }],
    ['commandTimeoutMs', { leaseMs: 3_000, commandTimeoutMs: 2_000 }],
    ['onRedisError', { onRedisError: 'ignore' }],
  ] as const)('names the bad option %s', (option, bad) => {
    const redis = new Redis({ lazyConnect: true });
    const error = (() => {
      try {
        createRedisQuota({ redis, key: 'k', maxConcurrentTasks: 5, ...(bad as object) });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe(option);
  });

  it('refuses a quota option that is not a quota', () => {
    expect(
      () =>
        new SpeechSynthesizerObjectPool({
          url: server.url,
          apiKey: 'sk',
          quota: {} as Quota,
          preOpen: false,
        }),
    ).toThrow(InvalidOptionError);
  });
});
