/**
 * Section 5: how far the pool scales on this machine.
 * - memory per pooled connection, idle and after one task (--expose-gc, RSS and heap deltas);
 * - time to pre-open 1,000 connections (ws:// and wss://, default and 128 parallel connects);
 * - a 2,000-task run at concurrency 200 (tasks/s, first packet, reuse ratio, errors);
 * - the most concurrent in-flight tasks with zero errors: tasks that wait 1.5 s for their first
 *   audio are all started at once, and the server's active-task count confirms the overlap.
 */
import { SpeechSynthesizerObjectPool } from '../src/pool/object-pool.js';
import { PARAMS, pooled, TEXT } from './lib/contenders.js';
import { errorCount, runLoad } from './lib/load.js';
import { collectGarbage, progress, runSection, sleep } from './lib/section.js';
import { BENCH_API_KEY, serverStats, type Endpoint } from './lib/server-process.js';
import { median, round, summarize } from './lib/stats.js';

function newPool(url: string, maxSize: number, connectConcurrency?: number): SpeechSynthesizerObjectPool {
  return new SpeechSynthesizerObjectPool({
    url,
    apiKey: BENCH_API_KEY,
    maxSize,
    ...(connectConcurrency ? { connectConcurrency } : {}),
  });
}

async function runTasks(pool: SpeechSynthesizerObjectPool, tasks: number, concurrency: number) {
  return runLoad({
    tasks,
    concurrency,
    timeLimitMs: 60_000,
    graceMs: 40_000,
    run: () =>
      pool.withSynthesizer(PARAMS, async (synth) => {
        const audio = await synth.call(TEXT);
        return { firstPacketMs: synth.getFirstPackageDelay(), bytes: audio?.length ?? 0 };
      }),
  });
}

async function memory(url: string, count: number) {
  await collectGarbage();
  const base = process.memoryUsage();
  const pool = newPool(url, count);
  try {
    await pool.ready({ timeoutMs: 120_000 });
    await sleep(500);
    await collectGarbage();
    const idle = process.memoryUsage();
    const load = await runTasks(pool, count, count);
    await sleep(500);
    await collectGarbage();
    const after = process.memoryUsage();
    const per = (m: NodeJS.MemoryUsage, key: 'rss' | 'heapUsed' | 'external'): number =>
      round((m[key] - base[key]) / count / 1024);
    const out = {
      connections: count,
      gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
      idleKiB: { rss: per(idle, 'rss'), heapUsed: per(idle, 'heapUsed'), external: per(idle, 'external') },
      afterTaskKiB: {
        rss: per(after, 'rss'),
        heapUsed: per(after, 'heapUsed'),
        external: per(after, 'external'),
      },
      tasksOk: load.ok,
      taskErrors: errorCount(load),
    };
    progress(
      `memory per pooled connection (${count}): idle ${JSON.stringify(out.idleKiB)} KiB, after a task ${JSON.stringify(out.afterTaskKiB)} KiB`,
    );
    return out;
  } finally {
    await pool.shutdown({ graceMs: 0 });
  }
}

async function preOpen(
  endpoint: Endpoint,
  count: number,
  connectConcurrency: number | undefined,
  rounds: number,
) {
  const times: number[] = [];
  // Round 0 is discarded: the process's first pool of this size pays its one-off growth (heap,
  // compiled code), which made whichever setting ran first look slower.
  for (let r = 0; r <= rounds; r++) {
    const t0 = performance.now();
    const pool = newPool(endpoint.url, count, connectConcurrency);
    try {
      await pool.ready({ timeoutMs: 120_000 });
      if (r > 0) times.push(performance.now() - t0);
    } finally {
      await pool.shutdown({ graceMs: 0 });
    }
    await sleep(200);
  }
  const out = {
    transport: endpoint.tls ? 'wss' : 'ws',
    connections: count,
    connectConcurrency: connectConcurrency ?? 256,
    medianMs: round(median(times)),
    runsMs: times.map(round),
  };
  progress(
    `pre-open ${count} over ${out.transport}:// (${out.connectConcurrency} parallel): median ${out.medianMs} ms`,
  );
  return out;
}

async function run2000(url: string, tasks: number, concurrency: number) {
  const contender = pooled(url);
  // A short warm-up on its own pool, so that the measured pool's metrics hold only the run.
  await contender.setup(concurrency);
  await runLoad({ tasks: 400, concurrency, timeLimitMs: 10_000, run: () => contender.run(0) });
  await contender.teardown();
  const pool = newPool(url, concurrency, 64);
  try {
    await pool.ready({ timeoutMs: 60_000 });
    const load = await runTasks(pool, tasks, concurrency);
    const metrics = pool.metrics();
    const fp = summarize(load.firstPacketMs);
    const out = {
      tasks,
      concurrency,
      poolSize: concurrency,
      ok: load.ok,
      errors: load.errors,
      hung: load.hung,
      tasksPerSec: round(load.tasksPerSec),
      elapsedMs: round(load.elapsedMs),
      firstPacketMs: { p50: round(fp.p50), p95: round(fp.p95), p99: round(fp.p99), max: round(fp.max) },
      poolFirstPacketMs: {
        p50: round(metrics.firstPacketDelayMs.p50),
        p99: round(metrics.firstPacketDelayMs.p99),
      },
      connectionReuseRatio: round(metrics.connectionReuseRatio),
      connectionsCreated: metrics.connections.created,
      errorRate: metrics.errorRate,
    };
    progress(
      `${tasks} tasks at c=${concurrency}: ${out.tasksPerSec} tasks/s, first packet p50 ${out.firstPacketMs.p50} ms p99 ${out.firstPacketMs.p99} ms, reuse ${out.connectionReuseRatio}, errors ${errorCount(load)}`,
    );
    return out;
  } finally {
    await pool.shutdown({ graceMs: 0 });
  }
}

async function inFlight(endpoint: Endpoint, levels: number[], deadline: number) {
  const rows: Array<Record<string, unknown>> = [];
  let best = 0;
  for (const level of levels) {
    if (rows.length > 0 && performance.now() > deadline) {
      progress(`in-flight: time budget reached before level ${level}`);
      break;
    }
    const pool = newPool(endpoint.url, level, 128);
    let peakActive = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        try {
          peakActive = Math.max(peakActive, (await serverStats(endpoint)).tasks.active);
        } catch {
          // A busy server may answer late; the next poll counts.
        }
        await sleep(200);
      }
    })();
    try {
      const t0 = performance.now();
      await pool.ready({ timeoutMs: 120_000 });
      const openMs = performance.now() - t0;
      const load = await runTasks(pool, level, level);
      polling = false;
      await poller;
      const errors = errorCount(load);
      const fp = summarize(load.firstPacketMs);
      const row = {
        level,
        openMs: round(openMs),
        ok: load.ok,
        errors: load.errors,
        hung: load.hung,
        peakServerActive: peakActive,
        firstPacketP50Ms: round(fp.p50),
        firstPacketP99Ms: round(fp.p99),
        elapsedMs: round(load.elapsedMs),
      };
      rows.push(row);
      progress(
        `in-flight ${level}: ${load.ok} ok, ${errors} errors, server peak active ${peakActive}, first packet p50 ${row.firstPacketP50Ms} ms`,
      );
      if (errors > 0 || load.ok !== level) break;
      best = level;
    } finally {
      polling = false;
      await poller;
      await pool.shutdown({ graceMs: 0 });
    }
    // Let the server see the closes before the next, bigger level.
    for (let i = 0; i < 50 && (await serverStats(endpoint)).openConnections > 0; i++) await sleep(100);
  }
  return { firstAudioDelayMs: endpoint.firstAudioDelayMs, maxZeroErrorInFlight: best, levels: rows };
}

runSection(async (context) => {
  const quick = context.quick;
  const ws = context.endpoints['ws-0']!;
  const wss = context.endpoints['wss-0']!;
  const start = performance.now();
  const mem = await memory(ws.url, quick ? 200 : 1_000);
  const preOpenRuns = [
    await preOpen(ws, 1_000, undefined, quick ? 1 : 3),
    await preOpen(wss, 1_000, undefined, quick ? 1 : 3),
    ...(quick ? [] : [await preOpen(ws, 1_000, 128, 3), await preOpen(wss, 1_000, 128, 3)]),
  ];
  const big = await run2000(ws.url, 2_000, 200);
  const levels = quick ? [250, 500] : [1_000, 2_000, 3_000, 4_000, 5_000, 6_000];
  const flight = await inFlight(context.endpoints.slow!, levels, start + context.budgetMs - 10_000);
  return { memory: mem, preOpen: preOpenRuns, run2000: big, inFlight: flight };
});
