/** Redis stopped mid-run, then restarted: the quota's failure policies, on a real redis-server. */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuotaUnavailableError, SpeechSynthesizerObjectPool } from '../../src/index.js';
import { createRedisQuota } from '../../src/redis/index.js';
import { startLocalServer, type LocalServer } from '../../src/server/index.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

const PARAMS = { model: 'cosyvoice-v3-flash', voice: 'longanyang' } as const;
let redisServer: RedisServer;
let server: LocalServer;
let redis: Redis;

beforeAll(async () => {
  [redisServer, server] = await Promise.all([
    startRedisServer(),
    startLocalServer({ engine: 'synthetic', pacing: { firstAudioDelayMs: 100 } }),
  ]);
  // The application's client: it reconnects by itself once Redis is back.
  redis = new Redis(redisServer.port, '127.0.0.1', { retryStrategy: () => 100 });
  redis.on('error', () => undefined);
});

afterAll(async () => {
  redis?.disconnect();
  await Promise.all([redisServer?.dispose(), server?.close()]);
});

async function until(predicate: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Redis stopped mid-run, then restarted', () => {
  it('falls back to the local share, hangs nothing, and hands back to Redis when it answers', async () => {
    const key = `outage-${Date.now()}`;
    const quota = createRedisQuota({
      redis,
      key,
      maxConcurrentTasks: 10,
      expectedProcesses: 2,
      leaseMs: 3_000,
      commandTimeoutMs: 300,
      probeIntervalMs: 200,
    });
    const pool = new SpeechSynthesizerObjectPool({ url: server.url, apiKey: 'sk', maxSize: 10, quota });
    const total = 80;
    let finished = 0;
    let failed = 0;
    let finishedInFallback = 0;
    let peakInFallback = 0;
    const events: string[] = [];
    quota.on('fallback', () => events.push('fallback'));
    quota.on('recover', () => events.push('recover'));
    try {
      await pool.ready();
      let next = 0;
      const run = async (): Promise<void> => {
        while (next < total) {
          next++;
          try {
            await pool.withSynthesizer(PARAMS, (s) => s.call('Through the outage.'));
            finished++;
            const metrics = quota.metrics();
            if (metrics.mode === 'fallback') {
              finishedInFallback++;
              peakInFallback = Math.max(peakInFallback, metrics.leasesHeld);
            }
          } catch {
            failed++;
          }
        }
      };
      const running = Promise.all(Array.from({ length: 10 }, () => run()));

      await until(() => finished >= 15, '15 tasks before the outage');
      await redisServer.stop();
      const outageAt = performance.now();
      await until(() => quota.metrics().mode === 'fallback', 'the fallback');
      const engagedMs = performance.now() - outageAt;
      await until(() => finishedInFallback >= 15, '15 tasks in the fallback');
      await redisServer.start();
      const restartedAt = performance.now();
      await until(() => quota.metrics().mode === 'shared', 'the hand-back to Redis');
      const recoveredMs = performance.now() - restartedAt;
      await running;

      const metrics = quota.metrics();
      console.log(
        'redis outage',
        JSON.stringify({
          engagedMs,
          recoveredMs,
          finished,
          failed,
          finishedInFallback,
          peakInFallback,
          metrics,
        }),
      );
      expect(finished + failed).toBe(total);
      expect(failed).toBe(0);
      expect(events).toEqual(['fallback', 'recover']);
      expect(metrics.fallback).toMatchObject({ active: false, engaged: 1, share: { maxConcurrentTasks: 5 } });
      expect(metrics.store.errors).toBeGreaterThan(0);
      expect(metrics.acquired).toBe(total);
      // Leases taken in the fallback were adopted by Redis, then released like the others.
      await until(async () => (await redis.zcard(`${key}:leases`)) === 0, 'every lease released in Redis');
      expect(quota.metrics().leasesHeld).toBe(0);
    } finally {
      await pool.shutdown();
      await quota.close();
    }
  }, 120_000);

  it("with onRedisError 'fail', fails tasks fast with QuotaUnavailableError until Redis answers", async () => {
    const quota = createRedisQuota({
      redis,
      key: `failfast-${Date.now()}`,
      maxConcurrentTasks: 4,
      onRedisError: 'fail',
      leaseMs: 3_000,
      commandTimeoutMs: 300,
      probeIntervalMs: 200,
    });
    try {
      (await quota.acquire()).release();
      await redisServer.stop();
      const unavailable = new Promise((resolve) => quota.once('unavailable', resolve));
      const first = await quota.acquire().catch((error: unknown) => error);
      expect(first).toBeInstanceOf(QuotaUnavailableError);
      expect((first as QuotaUnavailableError).code).toBe('DS_ERR_QUOTA_UNAVAILABLE');
      await unavailable;
      // Fast: no Redis round trip while it is known to be down.
      const before = performance.now();
      await expect(quota.acquire()).rejects.toBeInstanceOf(QuotaUnavailableError);
      expect(quota.metrics()).toMatchObject({ mode: 'unavailable', unavailable: 2 });
      const immediateMs = performance.now() - before;
      const recovered = new Promise((resolve) => quota.once('recover', resolve));
      await redisServer.start();
      await recovered;
      (await quota.acquire()).release();
      console.log('fail-fast rejected a task in', immediateMs.toFixed(2), 'ms while Redis was down');
      expect(quota.metrics().mode).toBe('shared');
    } finally {
      await quota.close();
    }
  }, 60_000);
});
