/**
 * Section 6: throughput and errors while the server closes connections under load. Scenarios
 * alternate round by round against one server (faults are switched on the control channel):
 * - baseline: no faults;
 * - idle-close: the server closes sockets idle for 60 ms, while the pool has twice as many
 *   connections as workers (so idle sockets are closed as borrowers pick them);
 * - drop 5 %: 5 % of tasks have their connection dropped mid-stream (the server destroys it);
 * - kill all: every open connection is killed once, in the middle of the run.
 * Every task must end with audio or a typed error, none may hang, and the counts must add up.
 */
import { SpeechSynthesizerObjectPool } from '../src/pool/object-pool.js';
import { PARAMS, TEXT } from './lib/contenders.js';
import { errorCount, runLoad, type LoadResult } from './lib/load.js';
import { progress, runSection, sleep } from './lib/section.js';
import {
  BENCH_API_KEY,
  serverFault,
  serverStats,
  type Endpoint,
  type ServerStats,
} from './lib/server-process.js';
import { median, round, summarize } from './lib/stats.js';

const WORKERS = 64;
const POOL_SIZE = 128;

interface Scenario {
  name: string;
  description: string;
  arm(endpoint: Endpoint, timeLimitMs: number): Promise<() => Promise<void>>;
}

const SCENARIOS: Scenario[] = [
  { name: 'baseline', description: 'no faults', arm: () => Promise.resolve(() => Promise.resolve()) },
  {
    name: 'idle-close',
    description: 'server closes sockets idle > 60 ms',
    async arm(endpoint) {
      await serverFault(endpoint, { op: 'setIdleTimeout', ms: 60 });
      return async () => void (await serverFault(endpoint, { op: 'setIdleTimeout', ms: 600_000 }));
    },
  },
  {
    name: 'drop 5 %',
    description: '5 % of tasks: connection dropped mid-stream',
    async arm(endpoint) {
      await serverFault(endpoint, { op: 'setTaskFaultRate', fault: 'drop-mid-stream', probability: 0.05 });
      return async () => void (await serverFault(endpoint, { op: 'clearFaults' }));
    },
  },
  {
    name: 'kill all once',
    description: 'every connection killed once, mid-run',
    arm(endpoint, timeLimitMs) {
      const timer = setTimeout(() => {
        serverFault(endpoint, { op: 'killAllConnections' }).then(
          (answer) => progress(`killed ${(answer as { killed: number }).killed} connections`),
          () => undefined,
        );
      }, timeLimitMs / 2);
      return Promise.resolve(() => {
        clearTimeout(timer);
        return Promise.resolve();
      });
    },
  },
];

/** A scenario's sums over rounds: the load counters, plus per-round rates and server counts. */
interface Totals extends Pick<
  LoadResult,
  'started' | 'ok' | 'errors' | 'errorSamples' | 'untypedErrors' | 'hung' | 'emptyAudio' | 'firstPacketMs'
> {
  rounds: number;
  tasksPerSec: number[];
  serverFinished: number;
  serverFailed: number;
  serverAborted: number;
  retried: number;
  connectionsCreated: number;
}

function delta(after: ServerStats, before: ServerStats, key: 'finished' | 'failed' | 'aborted'): number {
  return after.tasks[key] - before.tasks[key];
}

async function batch(endpoint: Endpoint, scenario: Scenario, timeLimitMs: number) {
  const pool = new SpeechSynthesizerObjectPool({
    url: endpoint.url,
    apiKey: BENCH_API_KEY,
    maxSize: POOL_SIZE,
    connectConcurrency: 64,
    // A task the server leaves hanging must fail, not wait the default 30 s.
    responseTimeoutMs: 5_000,
    acquireTimeoutMs: 10_000,
  });
  await pool.ready({ timeoutMs: 30_000 });
  const before = await serverStats(endpoint);
  const disarm = await scenario.arm(endpoint, timeLimitMs);
  let load: LoadResult;
  try {
    load = await runLoad({
      tasks: Number.MAX_SAFE_INTEGER,
      concurrency: WORKERS,
      timeLimitMs,
      graceMs: 20_000,
      run: () =>
        pool.withSynthesizer(PARAMS, async (synth) => {
          const audio = await synth.call(TEXT);
          // Think time, so that connections sit idle now and then (the idle-close scenario).
          await sleep(Math.random() * 20);
          return { firstPacketMs: synth.getFirstPackageDelay(), bytes: audio?.length ?? 0 };
        }),
    });
  } finally {
    await disarm();
  }
  const metrics = pool.metrics();
  await pool.shutdown({ graceMs: 1_000 });
  await sleep(100);
  const after = await serverStats(endpoint);
  return { load, metrics, before, after };
}

runSection(async (context) => {
  const endpoint = context.endpoints.faults!;
  const timeLimitMs = context.quick ? 1_000 : 3_000;
  const rounds = context.quick ? 1 : 3;
  const totals = new Map<string, Totals>();
  for (const s of SCENARIOS) {
    totals.set(s.name, {
      rounds: 0,
      started: 0,
      ok: 0,
      errors: {},
      errorSamples: {},
      untypedErrors: 0,
      hung: 0,
      emptyAudio: 0,
      tasksPerSec: [],
      firstPacketMs: [],
      serverFinished: 0,
      serverFailed: 0,
      serverAborted: 0,
      retried: 0,
      connectionsCreated: 0,
    });
  }
  for (let r = 0; r <= rounds; r++) {
    const order = SCENARIOS.map((_, i) => SCENARIOS[(i + r) % SCENARIOS.length]!);
    for (const scenario of order) {
      const { load, metrics, before, after } = await batch(endpoint, scenario, timeLimitMs);
      const accounted = load.ok + errorCount(load);
      progress(
        `${r === 0 ? 'warm-up' : `round ${r}/${rounds}`} ${scenario.name}: ${load.tasksPerSec.toFixed(0)} tasks/s, ` +
          `${load.started} started = ${load.ok} ok + ${errorCount(load) - load.hung} errors + ${load.hung} hung` +
          `${accounted === load.started ? '' : ' (COUNTS DO NOT ADD UP)'} ${JSON.stringify(load.errors)}`,
      );
      if (r === 0) continue;
      const t = totals.get(scenario.name)!;
      t.rounds += 1;
      t.started += load.started;
      t.ok += load.ok;
      t.untypedErrors += load.untypedErrors;
      t.hung += load.hung;
      t.emptyAudio += load.emptyAudio;
      t.tasksPerSec.push(load.tasksPerSec);
      t.firstPacketMs.push(...load.firstPacketMs);
      for (const [name, n] of Object.entries(load.errors)) t.errors[name] = (t.errors[name] ?? 0) + n;
      for (const [name, message] of Object.entries(load.errorSamples)) t.errorSamples[name] ??= message;
      t.serverFinished += delta(after, before, 'finished');
      t.serverFailed += delta(after, before, 'failed');
      t.serverAborted += delta(after, before, 'aborted');
      t.retried += metrics.tasks.retried;
      t.connectionsCreated += metrics.connections.created;
    }
  }
  const scenarios = SCENARIOS.map((s) => {
    const t = totals.get(s.name)!;
    const errors = Object.values(t.errors).reduce((a, b) => a + b, 0);
    const fp = summarize(t.firstPacketMs);
    return {
      name: s.name,
      description: s.description,
      rounds: t.rounds,
      tasksPerSec: round(median(t.tasksPerSec)),
      started: t.started,
      ok: t.ok,
      errors: t.errors,
      errorSamples: t.errorSamples,
      errorCount: errors,
      untypedErrors: t.untypedErrors,
      hung: t.hung,
      lost: t.started - t.ok - errors - t.hung,
      countsAddUp: t.started === t.ok + errors + t.hung,
      emptyAudio: t.emptyAudio,
      retriedTasks: t.retried,
      connectionsCreated: t.connectionsCreated,
      firstPacketMs: { p50: round(fp.p50), p99: round(fp.p99) },
      server: { finished: t.serverFinished, failed: t.serverFailed, aborted: t.serverAborted },
    };
  });
  return { workers: WORKERS, poolSize: POOL_SIZE, timeLimitMs, scenarios };
});
