/**
 * A client process of the client-cost section (bench/client-cost.ts): it holds ONE contender, the
 * pooled library or the bare `ws` client, and does what the orchestrator asks over the IPC
 * channel: open connections, run a batch of tasks, measure memory, profile. The CPU it reports is
 * this process's own (`process.cpuUsage()` over the measured phase only), so that the library and
 * the bare client are charged for exactly their own work. It exits when the channel closes.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { SpeechSynthesizerObjectPool } from '../../src/pool/object-pool.js';
import { openBareConnections, type BareConnection } from './bare-client.js';
import { PARAMS, TEXT, WIRE_PARAMETERS } from './contenders.js';
import { errorCount, runLoad, type TaskResult } from './load.js';
import { collectGarbage, sleep } from './section.js';
import { BENCH_API_KEY } from './server-process.js';
import { percentile, round } from './stats.js';

export type WorkerKind = 'pooled' | 'bare';

export type WorkerRequest =
  | { cmd: 'open'; url: string; count: number; poolOptions?: Record<string, unknown> }
  | { cmd: 'close' }
  | {
      cmd: 'run';
      concurrency: number;
      tasks: number;
      timeLimitMs: number;
      /**
       * Bare client only: take the socket that has been free longest for each task (as the pool
       * lends its connections), instead of worker i always using socket i.
       */
      inTurn?: boolean;
      /** Write a CPU profile of the batch here. */
      profileFile?: string;
      /** Write a sampling heap profile (allocations during the batch) here. */
      heapProfileFile?: string;
    }
  | { cmd: 'memory'; url: string; count: number };

export interface RunReply {
  ok: number;
  errors: number;
  errorSample: string | undefined;
  wallMs: number;
  /** User + system CPU of this process over the batch, in ms. */
  cpuMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  tasksPerSec: number;
  firstPacketMs: { n: number; p50: number; p99: number };
}

/** RSS, heap and external memory per connection, in KiB. */
export interface MemoryFigures {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

export interface MemoryStep {
  idleKiB: MemoryFigures;
  afterTaskKiB: MemoryFigures;
  tasksOk: number;
}

export interface MemoryReply {
  connections: number;
  /** The process's first `connections`: includes its one-off growth (heap spaces, allocator). */
  first: MemoryStep;
  /** As many again, in the same process: what one more connection costs. */
  marginal: MemoryStep;
}

const kind = process.argv[2] as WorkerKind;
// What an application holds besides the contender (its own data, long-lived): BENCH_APP_HEAP_MB
// of small objects, so that the process's heap is an application's, not a benchmark's 8 MB.
const appData: unknown[] = [];
const appHeapBytes = Number(process.env.BENCH_APP_HEAP_MB ?? 0) * 1024 * 1024;
const heapAtStart = process.memoryUsage().heapUsed;
for (let i = 0; process.memoryUsage().heapUsed - heapAtStart < appHeapBytes; i++) {
  appData.push(Array.from({ length: 1024 }, (_, j) => ({ id: i * 1024 + j, name: `record ${i}/${j}` })));
}
let pool: SpeechSynthesizerObjectPool | undefined;
let bare: BareConnection[] = [];

async function close(): Promise<void> {
  await pool?.shutdown({ graceMs: 0 });
  pool = undefined;
  for (const connection of bare) connection.close();
  bare = [];
  // Let the closing handshakes finish, so that the next phase starts from a quiet process.
  await sleep(100);
}

/** Opens `count` connections the contender's way and returns how long that took (ms). */
async function open(url: string, count: number, poolOptions: Record<string, unknown> = {}): Promise<number> {
  await close();
  const t0 = performance.now();
  if (kind === 'pooled') {
    pool = new SpeechSynthesizerObjectPool({ url, apiKey: BENCH_API_KEY, maxSize: count, ...poolOptions });
    await pool.ready({ timeoutMs: 120_000 });
  } else {
    // All at once: the fastest a hand-written client can open them.
    bare = await openBareConnections(url, BENCH_API_KEY, count, count);
  }
  return performance.now() - t0;
}

function runOne(worker: number, inTurn = false): Promise<TaskResult> {
  if (kind === 'bare' && inTurn) {
    const connection = bare.shift()!;
    return connection.runTask(PARAMS.model, WIRE_PARAMETERS, TEXT).finally(() => bare.push(connection));
  }
  if (kind === 'bare') return bare[worker]!.runTask(PARAMS.model, WIRE_PARAMETERS, TEXT);
  const t0 = performance.now();
  // Promise callbacks, not an async function, as the bare client is written: a suspended async
  // frame per task in flight (some 250 bytes, kept alive across scavenges) would be the
  // harness's cost, charged to the library.
  return pool!.withSynthesizer(PARAMS, (synth) => {
    const tCall = performance.now();
    return synth.call(TEXT).then((audio) => ({
      // The task's own clock starts inside call(); add the borrow time before it.
      firstPacketMs: tCall - t0 + synth.getFirstPackageDelay(),
      bytes: audio?.length ?? 0,
    }));
  });
}

async function run(request: Extract<WorkerRequest, { cmd: 'run' }>): Promise<RunReply> {
  let session: Session | undefined;
  if (request.profileFile || request.heapProfileFile) {
    session = new Session();
    session.connect();
  }
  if (session && request.profileFile) {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
  }
  if (session && request.heapProfileFile) {
    // Every allocation is a sample candidate: keep the samples of objects collected since.
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 512,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  const cpu0 = process.cpuUsage();
  const load = await runLoad({
    tasks: request.tasks,
    concurrency: request.concurrency,
    timeLimitMs: request.timeLimitMs,
    graceMs: 30_000,
    run: (worker) => runOne(worker, request.inTurn),
  });
  const cpu = process.cpuUsage(cpu0);
  if (session && request.profileFile) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(request.profileFile, JSON.stringify(profile));
  }
  if (session && request.heapProfileFile) {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(request.heapProfileFile, JSON.stringify(profile));
  }
  session?.disconnect();
  const sorted = [...load.firstPacketMs].sort((a, b) => a - b);
  return {
    ok: load.ok,
    errors: errorCount(load),
    errorSample: Object.keys(load.errors)[0],
    wallMs: round(load.elapsedMs),
    cpuMs: (cpu.user + cpu.system) / 1000,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    tasksPerSec: round(load.tasksPerSec),
    firstPacketMs: { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) },
  };
}

/**
 * Memory per connection, idle and after one task each (all at once), for this worker's contender
 * (needs --expose-gc): for the process's first `count` connections, then for as many more.
 */
async function memory(url: string, count: number): Promise<MemoryReply> {
  await close();
  const held: Array<() => unknown> = [];
  const step = async (): Promise<MemoryStep> => {
    await collectGarbage();
    const base = process.memoryUsage();
    const per = (m: NodeJS.MemoryUsage): MemoryFigures => ({
      rss: round((m.rss - base.rss) / count / 1024),
      heapUsed: round((m.heapUsed - base.heapUsed) / count / 1024),
      heapTotal: round((m.heapTotal - base.heapTotal) / count / 1024),
      external: round((m.external - base.external) / count / 1024),
    });
    let run: (i: number) => Promise<TaskResult>;
    if (kind === 'pooled') {
      const p = new SpeechSynthesizerObjectPool({ url, apiKey: BENCH_API_KEY, maxSize: count });
      held.push(() => p.shutdown({ graceMs: 0 }));
      await p.ready({ timeoutMs: 120_000 });
      // Promise callbacks, as in runOne().
      run = () =>
        p.withSynthesizer(PARAMS, (synth) =>
          synth.call(TEXT).then((audio) => ({ firstPacketMs: 0, bytes: audio?.length ?? 0 })),
        );
    } else {
      const connections = await openBareConnections(url, BENCH_API_KEY, count, count);
      held.push(() => connections.forEach((c) => c.close()));
      run = (i) => connections[i]!.runTask(PARAMS.model, WIRE_PARAMETERS, TEXT);
    }
    await sleep(500);
    await collectGarbage();
    const idle = per(process.memoryUsage());
    const load = await runLoad({
      tasks: count,
      concurrency: count,
      timeLimitMs: 60_000,
      run: (_worker, i) => run(i),
    });
    await sleep(500);
    await collectGarbage();
    return { idleKiB: idle, afterTaskKiB: per(process.memoryUsage()), tasksOk: load.ok };
  };
  try {
    const first = await step();
    const marginal = await step();
    return { connections: count, first, marginal };
  } finally {
    for (const release of held) await release();
  }
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.cmd) {
    case 'open':
      return { ms: await open(request.url, request.count, request.poolOptions) };
    case 'close':
      await close();
      return {};
    case 'run':
      return run(request);
    case 'memory':
      return memory(request.url, request.count);
  }
}

process.on('message', (message: { id: number; request: WorkerRequest }) => {
  handle(message.request).then(
    (result) => process.send!({ id: message.id, result }),
    (error: unknown) =>
      process.send!({
        id: message.id,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  );
});
// The orchestrator went away (whatever the way): nothing of this process may outlive it.
process.on('disconnect', () => process.exit(0));
