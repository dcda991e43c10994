/**
 * Many processes, one account: four real processes with a pool of 50 each against one local
 * server with account-wide limits, sharing a quota on a real Redis.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuotaTimeoutError } from '../../src/index.js';
import { createRedisQuota } from '../../src/redis/index.js';
import { startLocalServer, type AccountLimitOptions, type LocalServer } from '../../src/server/index.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

const WORKER = fileURLToPath(new URL('../fixtures/quota-worker.ts', import.meta.url));
const TSX = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

interface WorkerResult {
  finished: number;
  failed: Record<string, number>;
  quota?: { acquired: number; waited: number; store: { calls: number } };
}

let redisServer: RedisServer;
let redis: Redis;
const children = new Set<ChildProcessWithoutNullStreams>();

beforeAll(async () => {
  redisServer = await startRedisServer();
  redis = new Redis(redisServer.port, '127.0.0.1');
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  redis?.disconnect();
  await redisServer?.dispose();
});

function spawnWorker(config: Record<string, unknown>): {
  child: ChildProcessWithoutNullStreams;
  line: (text: string) => Promise<void>;
  result: Promise<WorkerResult>;
} {
  const child = spawn(process.execPath, ['--import', TSX, WORKER, JSON.stringify(config)], { stdio: 'pipe' });
  children.add(child);
  let output = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    for (const wake of waiters.splice(0)) wake();
  });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = once(child, 'exit').then(() => children.delete(child));
  const line = async (text: string): Promise<void> => {
    while (!output.includes(`${text}\n`)) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`worker exited before ${text}:\n${output}\n${errors}`);
      }
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  const result = exited.then(() => {
    const last = output.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(last) as WorkerResult;
    } catch {
      throw new Error(`worker printed no result:\n${output}\n${errors}`);
    }
  });
  result.catch(() => undefined);
  return { child, line, result };
}

/** Runs `count` workers that start together; resolves with their results. */
async function runFleet(count: number, config: Record<string, unknown>): Promise<WorkerResult[]> {
  const workers = Array.from({ length: count }, () => spawnWorker(config));
  await Promise.all(workers.map((w) => w.line('READY')));
  const started = performance.now();
  for (const w of workers) w.child.stdin.write('go\n');
  const results = await Promise.all(workers.map((w) => w.result));
  console.log(`fleet of ${count} ran in ${Math.round(performance.now() - started)} ms`);
  return results;
}

async function withServer<T>(
  limits: AccountLimitOptions,
  fn: (server: LocalServer) => Promise<T>,
): Promise<T> {
  const server = await startLocalServer({
    engine: 'synthetic',
    accountLimits: limits,
    // Every task lasts a little, so that tasks of different processes overlap.
    pacing: { firstAudioDelayMs: 150 },
  });
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

function totals(results: WorkerResult[]): { finished: number; failed: Record<string, number> } {
  const failed: Record<string, number> = {};
  let finished = 0;
  for (const result of results) {
    finished += result.finished;
    for (const [code, n] of Object.entries(result.failed)) failed[code] = (failed[code] ?? 0) + n;
  }
  return { finished, failed };
}

const FLEET = { poolSize: 50, concurrency: 50, tasks: 50, text: 'Hello from the fleet.' };

describe('four processes, one account of 60 concurrent tasks', () => {
  it('without a shared quota, the account throttles the fleet', async () => {
    await withServer({ maxConcurrentTasks: 60 }, async (server) => {
      const results = await runFleet(4, {
        ...FLEET,
        url: server.url,
        redisPort: redisServer.port,
        key: 'none',
        quota: null,
      });
      const { finished, failed } = totals(results);
      const account = server.stats().account;
      console.log('fleet without quota', JSON.stringify({ finished, failed, account }));
      expect(finished + Object.values(failed).reduce((a, b) => a + b, 0)).toBe(200);
      expect(account.throttled.concurrency).toBeGreaterThan(0);
      expect(failed['DS_ERR_TASK_FAILED:Throttling.RateQuota']).toBe(account.throttled.total);
      expect(account.peakConcurrentTasks).toBeLessThanOrEqual(60);
    });
  }, 180_000);

  it('with the quota, no task is throttled and the server never sees more than 60', async () => {
    await withServer({ maxConcurrentTasks: 60 }, async (server) => {
      const key = `fleet-${Date.now()}`;
      const started = performance.now();
      const results = await runFleet(4, {
        ...FLEET,
        url: server.url,
        redisPort: redisServer.port,
        key,
        quota: { maxConcurrentTasks: 60 },
      });
      const { finished, failed } = totals(results);
      const account = server.stats().account;
      const quota = results.map((r) => r.quota!);
      console.log(
        'fleet with quota',
        JSON.stringify({ finished, failed, account, ms: Math.round(performance.now() - started), quota }),
      );
      expect(failed).toEqual({});
      expect(finished).toBe(200);
      expect(account.throttled.total).toBe(0);
      expect(account.peakConcurrentTasks).toBeLessThanOrEqual(60);
      expect(quota.reduce((sum, q) => sum + q.acquired, 0)).toBe(200);
      expect(await redis.zcard(`${key}:leases`)).toBe(0);
    });
  }, 180_000);
});

describe('the rate across processes', () => {
  it('keeps the fleet at maxTasksPerSecond, evenly spaced, as the server counts run-tasks', async () => {
    const rate = 20;
    await withServer({}, async (server) => {
      const starts: number[] = [];
      server.events.on('task-started', () => starts.push(performance.now()));
      const results = await runFleet(4, {
        poolSize: 10,
        concurrency: 10,
        tasks: 15,
        text: 'Paced.',
        url: server.url,
        redisPort: redisServer.port,
        key: `rate-${Date.now()}`,
        quota: { maxTasksPerSecond: rate },
      });
      const { finished } = totals(results);
      const account = server.stats().account;
      const spanMs = starts[starts.length - 1]! - starts[0]!;
      console.log('fleet rate', JSON.stringify({ finished, spanMs, account }));
      expect(finished).toBe(60);
      expect(starts).toHaveLength(60);
      // 60 starts at 20/s take 2.95 s of Redis time; scheduling noise can only shift a few.
      expect(spanMs).toBeGreaterThan(((60 - 1) / rate) * 1000 * 0.6);
      expect(account.peakTasksPerSecond).toBeLessThanOrEqual(rate * 2);
    });
  }, 180_000);
});

describe('a process killed while holding leases', () => {
  it('gives its capacity back within leaseMs, on Redis time', async () => {
    const leaseMs = 2_000;
    await withServer({}, async (server) => {
      server.faults.injectTaskFault('hang', { count: 5, match: 'HANG' });
      const key = `kill-${Date.now()}`;
      const limits = { maxConcurrentTasks: 5, leaseMs };
      const worker = spawnWorker({
        poolSize: 5,
        concurrency: 5,
        tasks: 0,
        hold: 5,
        text: 'HANG forever.',
        url: server.url,
        redisPort: redisServer.port,
        key,
        quota: limits,
      });
      await worker.line('HOLDING');
      const quota = createRedisQuota({ redis, key, ...limits });
      try {
        await expect(quota.acquire({ maxWaitMs: 300 })).rejects.toBeInstanceOf(QuotaTimeoutError);
        worker.child.kill('SIGKILL');
        await once(worker.child, 'exit');
        const [seconds, micros] = (await redis.time()) as [string | number, string | number];
        const killedAt = Number(seconds) * 1000 + Number(micros) / 1000;
        const scores = (await redis.zrange(`${key}:leases`, 0, -1, 'WITHSCORES')).filter(
          (_, i) => i % 2 === 1,
        );
        expect(scores).toHaveLength(5);
        // Every lease of the dead process expires within leaseMs of its death.
        expect(Math.max(...scores.map(Number))).toBeLessThanOrEqual(killedAt + leaseMs);
        const waitStarted = performance.now();
        const lease = await quota.acquire({ maxWaitMs: 30_000 });
        console.log('capacity back after SIGKILL in', Math.round(performance.now() - waitStarted), 'ms');
        lease.release();
      } finally {
        await quota.close();
      }
    });
  }, 120_000);
});
