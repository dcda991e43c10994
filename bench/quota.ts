/**
 * What the fleet-wide Redis quota costs: Redis round trips and client CPU per task, and the
 * throughput of one process at the same concurrency limit with and without the quota (the limit
 * as the pool size, or as the quota's maxConcurrentTasks over a bigger pool). The server runs in
 * its own process, Redis is a real redis-server on 127.0.0.1; client CPU is this process's.
 *
 *   node --import tsx bench/quota.ts [--tasks N] [--limit N]
 *
 * Writes bench/results/quota.json and bench/results/quota.md. Standalone: not part of run-all.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { SpeechSynthesizerObjectPool, type PoolOptions } from '../src/index.js';
import { createRedisQuota } from '../src/redis/index.js';
import { startRedisServer } from '../test/redis/redis-server.js';
import { machineInfo } from './lib/machine.js';
import { fmt, table } from './lib/markdown.js';
import { BENCH_API_KEY, startServerProcess } from './lib/server-process.js';

const { values } = parseArgs({
  options: { tasks: { type: 'string', default: '1000' }, limit: { type: 'string', default: '20' } },
});
const TASKS = Number(values.tasks);
const LIMIT = Number(values.limit);
const PARAMS = { model: 'cosyvoice-v3-flash', voice: 'longanyang' } as const;
const TEXT = 'A short sentence for the quota benchmark.';

interface Run {
  name: string;
  tasks: number;
  failed: number;
  wallMs: number;
  tasksPerSecond: number;
  /** Client CPU (user + system) per task, microseconds. */
  cpuUsPerTask: number;
  redisCallsPerTask: number | null;
  redisRoundTripMs: { p50: number; p99: number } | null;
  quotaWaitMs: { p50: number; p99: number } | null;
}

async function run(name: string, url: string, options: PoolOptions, concurrency: number): Promise<Run> {
  const pool = new SpeechSynthesizerObjectPool({ url, apiKey: BENCH_API_KEY, ...options });
  await pool.ready({ timeoutMs: 60_000 });
  // Warm-up: JIT, connections, the script cached in Redis.
  await Promise.all(
    Array.from({ length: concurrency }, () => pool.withSynthesizer(PARAMS, (s) => s.call(TEXT))),
  );
  const before = pool.metrics();
  const cpu = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < TASKS) {
        next++;
        await pool.withSynthesizer(PARAMS, (s) => s.call(TEXT)).catch(() => failed++);
      }
    }),
  );
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const after = pool.metrics();
  await pool.shutdown();
  const quota = after.quota;
  return {
    name,
    tasks: TASKS,
    failed,
    wallMs,
    tasksPerSecond: (TASKS / wallMs) * 1000,
    cpuUsPerTask: (used.user + used.system) / TASKS,
    redisCallsPerTask: quota ? (quota.store.calls - before.quota!.store.calls) / TASKS : null,
    redisRoundTripMs: quota ? { p50: quota.store.roundTripMs.p50, p99: quota.store.roundTripMs.p99 } : null,
    quotaWaitMs: quota ? { p50: quota.waitMs.p50, p99: quota.waitMs.p99 } : null,
  };
}

async function main(): Promise<void> {
  const redisServer = await startRedisServer();
  const servers = await startServerProcess([{ name: 'local', tls: false, rttMs: 0, firstAudioDelayMs: 20 }]);
  const redis = new Redis(redisServer.port, '127.0.0.1');
  const url = servers.endpoints.local!.url;
  const runs: Run[] = [];
  try {
    runs.push(await run(`pool of ${LIMIT}, no quota`, url, { maxSize: LIMIT }, LIMIT));
    const quota = createRedisQuota({ redis, key: `bench-${Date.now()}`, maxConcurrentTasks: LIMIT });
    runs.push(
      await run(`pool of ${LIMIT}, quota of ${LIMIT} (never full)`, url, { maxSize: LIMIT, quota }, LIMIT),
    );
    runs.push(
      await run(
        `pool of ${LIMIT * 2}, quota of ${LIMIT} (full)`,
        url,
        { maxSize: LIMIT * 2, quota },
        LIMIT * 2,
      ),
    );
    await quota.close();
  } finally {
    redis.disconnect();
    await servers.stop();
    await redisServer.dispose();
  }

  const base = runs[0]!;
  const rows = runs.map((r) => [
    r.name,
    fmt(r.tasksPerSecond, 0),
    fmt(r.cpuUsPerTask, 0),
    fmt(r.cpuUsPerTask - base.cpuUsPerTask, 0),
    r.redisCallsPerTask === null ? '–' : fmt(r.redisCallsPerTask, 2),
    r.redisRoundTripMs ? `${fmt(r.redisRoundTripMs.p50, 2)} / ${fmt(r.redisRoundTripMs.p99, 2)}` : '–',
    r.quotaWaitMs ? `${fmt(r.quotaWaitMs.p50, 1)} / ${fmt(r.quotaWaitMs.p99, 1)}` : '–',
    r.failed,
  ]);
  const markdown = [
    `# Fleet quota cost (${TASKS} tasks, limit ${LIMIT} concurrent tasks, one process)`,
    '',
    table(
      [
        'run',
        'tasks/s',
        'client CPU µs/task',
        'quota CPU µs/task',
        'Redis calls/task',
        'Redis RTT p50 / p99 (ms)',
        'quota wait p50 / p99 (ms)',
        'failed',
      ],
      rows,
    ),
    '',
    `Machine: ${JSON.stringify(machineInfo())}`,
    '',
  ].join('\n');
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/quota.json', `${JSON.stringify({ machine: machineInfo(), runs }, null, 2)}\n`);
  writeFileSync('bench/results/quota.md', markdown);
  process.stdout.write(markdown);
}

await main();
