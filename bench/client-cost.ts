/**
 * Section 0: what the library costs its client process, next to a bare `ws` client doing the
 * same wire exchange (eager start, same frames). The library (pooled) and the bare client each
 * run in their OWN process (bench/lib/cost-worker.ts) against one server in a third, so that
 * neither is charged for the other's work or for the server's:
 * - pre-open P = 100 connections (the pool's `ready()` with default options, vs 100 bare sockets
 *   opened all at once), alternating, every round;
 * - at concurrency 1, 10 and 50 on those 100 connections: client CPU per task
 *   (`process.cpuUsage()` over the measured batch), first-packet p50 / p99, tasks/s, and the
 *   server's share of a core during the batch (so a reader sees when tasks/s is the server's limit);
 * - pre-open 1,000 ws:// and wss:// connections (default options; bare all at once for reference);
 * - memory per pooled connection, idle and after one task, in a fresh process (`--expose-gc`).
 * Rounds alternate the contenders' order; round 0 is a discarded warm-up; ratios are taken per
 * round (library ÷ bare) and reported as median and range.
 */
import { loadavg } from 'node:os';
import { compileForBench } from './lib/compile.js';
import { CostWorker } from './lib/cost-client.js';
import type { MemoryReply, RunReply } from './lib/cost-worker.js';
import { processCpuMs } from './lib/proc-cpu.js';
import { progress, runSection } from './lib/section.js';
import { median, round } from './lib/stats.js';

/** Median and range of per-round figures. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  rounds: number[];
}

function spread(values: number[]): Spread {
  return {
    median: round(median(values)),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
    rounds: values.map(round),
  };
}

export interface CostRound {
  pooled: RunReply & { serverCoreShare: number | undefined };
  bare: RunReply & { serverCoreShare: number | undefined };
}

export interface CostCell {
  concurrency: number;
  /** MB of application data each contender's process holds besides it (0: a bare benchmark process). */
  appHeapMb: number;
  /** The bare client took the socket free longest for each task, as the pool lends its connections. */
  bareInTurn: boolean;
  tasksPerBatch: number;
  rounds: CostRound[];
  cpuPerTaskMs: { pooled: Spread; bare: Spread; ratio: Spread };
  firstPacketP50Ms: { pooled: Spread; bare: Spread; ratio: Spread };
  firstPacketP99Ms: { pooled: Spread; bare: Spread; ratio: Spread };
  tasksPerSec: { pooled: Spread; bare: Spread };
  /** The server process's CPU over the batch ÷ its wall time (1 = one core busy). */
  serverCoreShare: { pooled: Spread; bare: Spread } | undefined;
}

export interface PreOpenCompare {
  transport: 'ws' | 'wss';
  connections: number;
  pooledMs: Spread;
  bareMs: Spread;
  ratio: Spread;
}

export interface ClientCostResult {
  poolSize: number;
  /** Tasks of each process's discarded round 0. */
  warmUpTasks: number;
  text: string;
  loadAverage: { start: number[]; end: number[] };
  preOpen100: PreOpenCompare;
  cells: CostCell[];
  preOpen1000: PreOpenCompare[];
  memory: { pooled: MemoryReply; bare: MemoryReply };
}

/** The application data of the last cell's processes, MB. */
const APP_HEAP_MB = 64;

// Batches of a few seconds: a process that sat idle while the other contender ran starts cold
// (caches, a heap shrunk while idle), which short batches would count as cost per task.
function tasksPerBatch(quick: boolean): number {
  return quick ? 1_000 : 3_000;
}

// Round 0, discarded: V8 optimizes a function called once per task only after some thousands of
// calls (its tier-up counts calls and bytecode run), and the library has more such functions than
// the bare client: with a 3,000-task warm-up, their compiles (a few ms each, on V8's background
// thread, which process.cpuUsage() counts) still fell into rounds 1 and 2.
function warmUpTasks(quick: boolean): number {
  return quick ? 1_000 : 6_000;
}

runSection(async (context): Promise<ClientCostResult> => {
  const quick = context.quick;
  const ws = context.endpoints['ws-0']!;
  const wss = context.endpoints['wss-0']!;
  const serverPid = context.serverPid;
  const rounds = quick ? 3 : 5;
  const poolSize = 100;
  const start = loadavg().map(round);
  // Both contenders run as plain JavaScript, the way the library ships (see compile.ts).
  const compiled = compileForBench('bench/lib/cost-worker.ts');
  // Each phase (and each concurrency) gets a fresh pair of processes: a process that opened and
  // closed pools again and again, or ran another cell, is not the process of a user with one pool
  // (the JavaScript heap sizes itself to what ran before; see the README's notes).
  let workers: CostWorker[] = [];
  const freshPair = async (appHeapMb = 0): Promise<void> => {
    await Promise.all(workers.map((w) => w.stop()));
    const env = { ...process.env, BENCH_APP_HEAP_MB: String(appHeapMb) };
    workers = [CostWorker.start('pooled', compiled, env), CostWorker.start('bare', compiled, env)];
  };
  // Round r runs the contenders in this order, so that a noisy neighbour hits both alike.
  const order = (r: number): CostWorker[] => (r % 2 === 0 ? workers : [...workers].reverse());

  async function preOpen(url: string, transport: 'ws' | 'wss', count: number, n: number) {
    const times: Record<string, number[]> = { pooled: [], bare: [] };
    for (let r = 0; r <= n; r++) {
      for (const worker of order(r)) {
        const { ms } = await worker.request<{ ms: number }>({ cmd: 'open', url, count });
        if (r > 0) times[worker.kind]!.push(ms);
      }
    }
    const ratios = times.pooled!.map((ms, i) => ms / times.bare![i]!);
    const out: PreOpenCompare = {
      transport,
      connections: count,
      pooledMs: spread(times.pooled!),
      bareMs: spread(times.bare!),
      ratio: spread(ratios),
    };
    progress(
      `pre-open ${count} ${transport}://: library ${out.pooledMs.median} ms, bare ${out.bareMs.median} ms, ratio ${out.ratio.median} (${out.ratio.min}–${out.ratio.max})`,
    );
    return out;
  }

  async function batch(worker: CostWorker, concurrency: number, tasks: number, inTurn: boolean) {
    const cpu0 = serverPid === undefined ? undefined : processCpuMs(serverPid);
    const t0 = performance.now();
    const reply = await worker.request<RunReply>({
      cmd: 'run',
      concurrency,
      tasks,
      timeLimitMs: (quick ? 8_000 : 15_000) * Math.ceil(tasks / tasksPerBatch(quick)),
      inTurn,
    });
    const cpu1 = serverPid === undefined ? undefined : processCpuMs(serverPid);
    const share =
      cpu0 === undefined || cpu1 === undefined ? undefined : round((cpu1 - cpu0) / (performance.now() - t0));
    if (reply.errors > 0) progress(`  ${worker.kind}: ${reply.errors} errors (${reply.errorSample})`);
    return { ...reply, serverCoreShare: share };
  }

  try {
    await freshPair();
    // Opening 100 takes some 25 ms, which a neighbour's burst on this shared machine can double:
    // many more rounds than the task batches, for a steadier median (single rounds ranged from
    // 0.8 to 2.7× in a run of 15).
    const preOpen100 = await preOpen(ws.url, 'ws', poolSize, rounds * 6);
    const cells: CostCell[] = [];
    // The last cell again at 50, in processes that also hold an application's data: V8 sizes its
    // heuristics by the heap, and an 8 MB benchmark process is not an application's process.
    // And 10 again with the bare client using its sockets in turn, as the pool does: with the
    // server saturated, which sockets carry the tasks shapes the first-packet distribution.
    const plan = [
      { concurrency: 1, appHeapMb: 0, bareInTurn: false },
      { concurrency: 10, appHeapMb: 0, bareInTurn: false },
      { concurrency: 10, appHeapMb: 0, bareInTurn: true },
      { concurrency: 50, appHeapMb: 0, bareInTurn: false },
      { concurrency: 50, appHeapMb: APP_HEAP_MB, bareInTurn: false },
    ];
    for (const { concurrency, appHeapMb, bareInTurn } of plan) {
      await freshPair(appHeapMb);
      for (const worker of workers) await worker.request({ cmd: 'open', url: ws.url, count: poolSize });
      const tasks = tasksPerBatch(quick);
      const measured: CostRound[] = [];
      for (let r = 0; r <= rounds; r++) {
        const got: Partial<CostRound> = {};
        const n = r === 0 ? warmUpTasks(quick) : tasks;
        for (const worker of order(r)) got[worker.kind] = await batch(worker, concurrency, n, bareInTurn);
        const row = got as CostRound;
        const perTask = (x: RunReply): number => x.cpuMs / Math.max(1, x.ok);
        progress(
          `c=${concurrency}${appHeapMb ? ` +${appHeapMb} MB app` : ''}${bareInTurn ? ' bare in turn' : ''} ${r === 0 ? 'warm-up' : `round ${r}/${rounds}`}: CPU/task library ${perTask(row.pooled).toFixed(3)} ms, bare ${perTask(row.bare).toFixed(3)} ms (×${(perTask(row.pooled) / perTask(row.bare)).toFixed(2)}); p50 ${row.pooled.firstPacketMs.p50.toFixed(2)} / ${row.bare.firstPacketMs.p50.toFixed(2)} ms (×${(row.pooled.firstPacketMs.p50 / row.bare.firstPacketMs.p50).toFixed(2)}); server ${row.pooled.serverCoreShare ?? '?'} / ${row.bare.serverCoreShare ?? '?'} core`,
        );
        if (r > 0) measured.push(row);
      }
      const pick = (f: (x: RunReply) => number) => ({
        pooled: spread(measured.map((m) => f(m.pooled))),
        bare: spread(measured.map((m) => f(m.bare))),
        ratio: spread(measured.map((m) => f(m.pooled) / f(m.bare))),
      });
      const cpu = (x: RunReply): number => x.cpuMs / Math.max(1, x.ok);
      const shares = measured.map((m) => [m.pooled.serverCoreShare, m.bare.serverCoreShare]);
      cells.push({
        concurrency,
        appHeapMb,
        bareInTurn,
        tasksPerBatch: tasks,
        rounds: measured,
        cpuPerTaskMs: pick(cpu),
        firstPacketP50Ms: pick((x) => x.firstPacketMs.p50),
        firstPacketP99Ms: pick((x) => x.firstPacketMs.p99),
        tasksPerSec: {
          pooled: spread(measured.map((m) => m.pooled.tasksPerSec)),
          bare: spread(measured.map((m) => m.bare.tasksPerSec)),
        },
        serverCoreShare: shares.every(([a, b]) => a !== undefined && b !== undefined)
          ? { pooled: spread(shares.map(([a]) => a!)), bare: spread(shares.map(([, b]) => b!)) }
          : undefined,
      });
    }
    await freshPair();
    const big = quick ? 2 : 3;
    const preOpen1000 = [await preOpen(ws.url, 'ws', 1_000, big), await preOpen(wss.url, 'wss', 1_000, big)];
    await Promise.all(workers.map((w) => w.request({ cmd: 'close' })));
    await Promise.all(workers.map((w) => w.stop()));

    // Memory in fresh processes: nothing of the runs above in their heaps.
    const memoryOf = async (kind: 'pooled' | 'bare'): Promise<MemoryReply> => {
      const fresh = CostWorker.start(kind, compiled);
      try {
        return await fresh.request<MemoryReply>({ cmd: 'memory', url: ws.url, count: 1_000 });
      } finally {
        await fresh.stop();
      }
    };
    const memory = { pooled: await memoryOf('pooled'), bare: await memoryOf('bare') };
    for (const [kind, m] of Object.entries(memory)) {
      progress(
        `memory per connection, ${kind}: first ${m.connections} idle ${m.first.idleKiB.rss} KiB, after a task ${m.first.afterTaskKiB.rss} KiB; next ${m.connections} idle ${m.marginal.idleKiB.rss} KiB, after a task ${m.marginal.afterTaskKiB.rss} KiB (RSS)`,
      );
    }
    return {
      poolSize,
      warmUpTasks: warmUpTasks(quick),
      text: 'Hello.',
      loadAverage: { start, end: loadavg().map(round) },
      preOpen100,
      cells,
      preOpen1000,
      memory,
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
});
