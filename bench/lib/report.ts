/**
 * Turns the sections' result files into bench/results/summary.md, the SVG chart and (after a
 * complete full run) the README's `## Performance` section.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import type { ClientCostResult } from '../client-cost.js';
import { renderFirstPacketChart } from './chart.js';
import type { MachineInfo } from './machine.js';
import { errorsText, fmt, table, times } from './markdown.js';
import { clientCostNote, clientCostTable, clientScaleTable } from './report-client-cost.js';
import type { SectionResult } from './section.js';
import { ratio } from './stats.js';
import type { ContenderResult } from './compare.js';
import type { Summary } from './stats.js';

interface Cell {
  transport: 'ws' | 'wss';
  rttMs: number;
  concurrency: number;
  contenders: Record<string, ContenderResult>;
}

export interface ReportOptions {
  outDir: string;
  quick: boolean;
  /** Every section ran and succeeded (only then is the README updated). */
  complete: boolean;
  command: string;
  readme: string;
}

type Results = Record<string, SectionResult<unknown>>;

function get<T>(results: Results, name: string): T | undefined {
  return results[name]?.result as T | undefined;
}

function link(cell: { transport: string; rttMs: number }): string {
  return `${cell.transport}:// ${cell.rttMs} ms`;
}

function poolingTable(cells: Cell[]): string {
  return table(
    [
      'link, RTT',
      'concurrency',
      'first packet pooled p50 / p95 / p99 (ms)',
      'fresh p50 / p95 / p99 (ms)',
      'tasks/s pooled',
      'tasks/s fresh',
      'pooled ÷ fresh tasks/s',
      'errors (pooled, fresh)',
    ],
    cells.map((cell) => {
      const p = cell.contenders.pooled!;
      const f = cell.contenders.fresh!;
      const pct = (r: ContenderResult): string =>
        `${fmt(r.firstPacketMs.p50)} / ${fmt(r.firstPacketMs.p95)} / ${fmt(r.firstPacketMs.p99)}`;
      return [
        link(cell),
        cell.concurrency,
        pct(p),
        pct(f),
        fmt(p.tasksPerSec, 0),
        fmt(f.tasksPerSec, 0),
        times(ratio(p.tasksPerSec, f.tasksPerSec)),
        `${errorsText(p.errors, p.hung)}; ${errorsText(f.errors, f.hung)}`,
      ];
    }),
  );
}

function overheadTable(cells: Cell[]): string {
  return table(
    [
      'link, RTT',
      'concurrency',
      'first packet p50 bare / library (ms)',
      'library ÷ bare p50',
      'p99 bare / library (ms)',
      'tasks/s bare / library',
      'library ÷ bare tasks/s',
      'within 10 %?',
    ],
    cells.map((cell) => {
      const b = cell.contenders.bare!;
      const p = cell.contenders.pooled!;
      const latency = ratio(p.firstPacketMs.p50, b.firstPacketMs.p50);
      const rate = ratio(p.tasksPerSec, b.tasksPerSec);
      const within = latency <= 1.1 && rate >= 0.9 ? 'yes' : 'no';
      return [
        link(cell),
        cell.concurrency,
        `${fmt(b.firstPacketMs.p50)} / ${fmt(p.firstPacketMs.p50)}`,
        times(latency),
        `${fmt(b.firstPacketMs.p99)} / ${fmt(p.firstPacketMs.p99)}`,
        `${fmt(b.tasksPerSec, 0)} / ${fmt(p.tasksPerSec, 0)}`,
        times(rate),
        within,
      ];
    }),
  );
}

function eagerTable(cells: Array<Omit<Cell, 'transport'>>): string {
  return table(
    ['link, RTT', 'concurrency', 'eager on p50 / p99 (ms)', 'eager off p50 / p99 (ms)', 'saved at p50 (ms)'],
    cells.map((cell) => {
      const on = cell.contenders['eager on']!;
      const off = cell.contenders['eager off']!;
      return [
        link({ transport: 'ws', rttMs: cell.rttMs }),
        cell.concurrency,
        `${fmt(on.firstPacketMs.p50)} / ${fmt(on.firstPacketMs.p99)}`,
        `${fmt(off.firstPacketMs.p50)} / ${fmt(off.firstPacketMs.p99)}`,
        fmt(off.firstPacketMs.p50 - on.firstPacketMs.p50),
      ];
    }),
  );
}

interface PoolOpsResult {
  rows: Array<{
    size: number;
    openMs: number;
    idle: { borrowReturnUs: Summary; borrowUs: Summary; returnUs: Summary };
    waiting: { queueDepth: number; handoffUs: Summary; opsPerSec: number };
  }>;
}

function poolOpsTable(result: PoolOpsResult): string {
  return table(
    [
      'pool size',
      'pre-open (ms)',
      'borrow+return, none waiting: p50 / p95 / p99 (µs)',
      'borrow / return p50 (µs)',
      'waiting borrowers',
      'return → waiter holds it: p50 / p95 / p99 (µs)',
      'hand-offs/s',
    ],
    result.rows.map((row) => [
      fmt(row.size, 0),
      fmt(row.openMs, 0),
      `${fmt(row.idle.borrowReturnUs.p50, 1)} / ${fmt(row.idle.borrowReturnUs.p95, 1)} / ${fmt(row.idle.borrowReturnUs.p99, 1)}`,
      `${fmt(row.idle.borrowUs.p50, 1)} / ${fmt(row.idle.returnUs.p50, 1)}`,
      fmt(row.waiting.queueDepth, 0),
      `${fmt(row.waiting.handoffUs.p50, 1)} / ${fmt(row.waiting.handoffUs.p95, 1)} / ${fmt(row.waiting.handoffUs.p99, 1)}`,
      fmt(row.waiting.opsPerSec, 0),
    ]),
  );
}

interface ScaleResult {
  memory: {
    connections: number;
    idleKiB: { rss: number; heapUsed: number; external: number };
    afterTaskKiB: { rss: number; heapUsed: number; external: number };
  };
  preOpen: Array<{
    transport: string;
    connections: number;
    connectConcurrency: number;
    medianMs: number;
    runsMs: number[];
  }>;
  run2000: {
    tasks: number;
    concurrency: number;
    ok: number;
    errors: Record<string, number>;
    hung: number;
    tasksPerSec: number;
    firstPacketMs: { p50: number; p95: number; p99: number; max: number };
    poolFirstPacketMs: { p50: number; p99: number };
    connectionReuseRatio: number;
    connectionsCreated: number;
  };
  inFlight: {
    firstAudioDelayMs: number;
    maxZeroErrorInFlight: number;
    levels: Array<{
      level: number;
      ok: number;
      errors: Record<string, number>;
      hung: number;
      peakServerActive: number;
      openMs: number;
      firstPacketP50Ms: number;
    }>;
  };
}

function scaleTable(result: ScaleResult): string {
  const m = result.memory;
  const levels = result.inFlight.levels;
  const allPassed =
    levels.length > 0 && levels[levels.length - 1]!.level === result.inFlight.maxZeroErrorInFlight;
  const rows: Array<Array<string | number>> = [
    [
      `client memory per pooled connection, idle (${m.connections} connections)`,
      `RSS ${fmt(m.idleKiB.rss, 1)} KiB, heap ${fmt(m.idleKiB.heapUsed, 1)} KiB, external ${fmt(m.idleKiB.external, 1)} KiB`,
    ],
    [
      'same, after one task each',
      `RSS ${fmt(m.afterTaskKiB.rss, 1)} KiB, heap ${fmt(m.afterTaskKiB.heapUsed, 1)} KiB, external ${fmt(m.afterTaskKiB.external, 1)} KiB`,
    ],
    ...result.preOpen.map((p) => [
      `pre-open ${fmt(p.connections, 0)} connections, ${p.transport}://, ${p.connectConcurrency} parallel`,
      `${fmt(p.medianMs, 0)} ms (median of ${p.runsMs.length}: ${p.runsMs.map((v) => fmt(v, 0)).join(', ')})`,
    ]),
    [
      `most concurrent in-flight tasks with zero errors (tasks wait ${result.inFlight.firstAudioDelayMs} ms for first audio)`,
      `**${allPassed ? '≥ ' : ''}${fmt(result.inFlight.maxZeroErrorInFlight, 0)}**${allPassed ? ' (every level tried passed; the suite stops there to keep within its time budget)' : ''} (levels: ${result.inFlight.levels
        .map(
          (l) =>
            `${fmt(l.level, 0)} → ${l.ok} ok, ${errorsText(l.errors, l.hung)} errors, server peak active ${l.peakServerActive}`,
        )
        .join('; ')})`,
    ],
  ];
  return table(['measure', 'result'], rows);
}

function run2000Table(r: ScaleResult['run2000']): string {
  return table(
    [
      'tasks',
      'concurrency (pool size)',
      'tasks/s',
      'first packet p50 / p95 / p99 (ms)',
      'pool.metrics() p50 / p99 (ms)',
      'connection reuse ratio',
      'connections opened',
      'errors',
    ],
    [
      [
        fmt(r.tasks, 0),
        r.concurrency,
        fmt(r.tasksPerSec, 0),
        `${fmt(r.firstPacketMs.p50)} / ${fmt(r.firstPacketMs.p95)} / ${fmt(r.firstPacketMs.p99)}`,
        `${fmt(r.poolFirstPacketMs.p50)} / ${fmt(r.poolFirstPacketMs.p99)}`,
        fmt(r.connectionReuseRatio, 3),
        r.connectionsCreated,
        errorsText(r.errors, r.hung),
      ],
    ],
  );
}

interface FaultsResult {
  workers: number;
  poolSize: number;
  timeLimitMs: number;
  scenarios: Array<{
    name: string;
    description: string;
    rounds: number;
    tasksPerSec: number;
    started: number;
    ok: number;
    errors: Record<string, number>;
    untypedErrors: number;
    hung: number;
    lost: number;
    countsAddUp: boolean;
    retriedTasks: number;
    connectionsCreated: number;
    firstPacketMs: { p50: number; p99: number };
    errorSamples?: Record<string, string>;
  }>;
}

function faultsTable(result: FaultsResult): string {
  return table(
    [
      'scenario',
      'tasks/s (median)',
      'tasks started',
      'with audio',
      'typed errors',
      'untyped',
      'hung',
      'lost',
      'counts add up',
      'retried before audio',
      'connections opened',
      'first packet p50 / p99 (ms)',
    ],
    result.scenarios.map((s) => [
      `${s.name} (${s.description})`,
      fmt(s.tasksPerSec, 0),
      s.started,
      s.ok,
      errorsText(s.errors),
      s.untypedErrors,
      s.hung,
      s.lost,
      s.countsAddUp ? 'yes' : '**no**',
      s.retriedTasks,
      s.connectionsCreated,
      `${fmt(s.firstPacketMs.p50)} / ${fmt(s.firstPacketMs.p99)}`,
    ]),
  );
}

export interface Tables {
  clientCost?: string;
  clientScale?: string;
  clientCostNote?: string;
  pooling?: string;
  overhead?: string;
  eager?: string;
  poolOps?: string;
  scale?: string;
  run2000?: string;
  faults?: string;
  faultsNote?: string;
}

function buildTables(results: Results): Tables {
  const tables: Tables = {};
  const clientCost = get<ClientCostResult>(results, 'client-cost');
  if (clientCost) {
    tables.clientCost = clientCostTable(clientCost);
    tables.clientScale = clientScaleTable(clientCost);
    tables.clientCostNote = clientCostNote(clientCost);
  }
  const pooling = get<{ cells: Cell[] }>(results, 'pooling');
  if (pooling) {
    tables.pooling = poolingTable(pooling.cells);
    tables.overhead = overheadTable(pooling.cells);
  }
  const eager = get<{ cells: Array<Omit<Cell, 'transport'>> }>(results, 'eager');
  if (eager) tables.eager = eagerTable(eager.cells);
  const poolOps = get<PoolOpsResult>(results, 'pool-ops');
  if (poolOps) tables.poolOps = poolOpsTable(poolOps);
  const scale = get<ScaleResult>(results, 'scale');
  if (scale) {
    tables.scale = scaleTable(scale);
    tables.run2000 = run2000Table(scale.run2000);
  }
  const faults = get<FaultsResult>(results, 'faults');
  if (faults) {
    tables.faults = faultsTable(faults);
    const samples = faults.scenarios.flatMap((sc) =>
      Object.entries(sc.errorSamples ?? {}).map(([name, message]) => `${sc.name}: ${name} "${message}"`),
    );
    tables.faultsNote = `${faults.workers} workers, pool of ${faults.poolSize}, ${faults.timeLimitMs / 1000} s per batch, scenarios alternated round by round (warm-up discarded), 0–20 ms think time between tasks. "Lost" = started − with audio − errors − hung; it must be 0. The pool retries a task whose connection failed before its first audio (connectionRetries 1); a connection lost after audio started fails the task with a typed ConnectionError (its audio is incomplete).${samples.length > 0 ? ` First error message per scenario and class: ${samples.join('; ')}.` : ''}`;
  }
  return tables;
}

function machineLine(machine: MachineInfo | undefined): string {
  if (!machine) return 'unknown machine';
  return `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}`;
}

function summaryMarkdown(
  results: Results,
  tables: Tables,
  options: ReportOptions,
  chartFile: string,
): string {
  const machine = Object.values(results)[0]?.machine;
  const out: string[] = [
    '# TTS benchmark results',
    '',
    `Command: \`${options.command}\` · date: ${machine?.date ?? new Date().toISOString()}`,
    '',
    `Machine: ${machineLine(machine)} (shared with other work: numbers are noisy).`,
    '',
    'Server: the project\'s local DashScope-compatible server, **synthetic engine** (the point is the transport, not speech synthesis), in a separate process on 127.0.0.1. Task: one continue-task "Hello." → ~12 KB of 16 kHz PCM in 2 frames. RTT 20 ms: a TCP proxy in front of the server delays each direction by 10 ms and holds the first client bytes one more RTT (the TCP handshake), so fresh connections pay TCP, TLS and upgrade round trips as on a real network. Contenders alternate in every round; the first round is a discarded warm-up; first-packet percentiles pool all measured tasks, tasks/s is the median over rounds. First packet = from the caller\'s request (before borrowing or connecting) to the first audio frame.',
    '',
  ];
  const add = (title: string, body: string | undefined, note?: string): void => {
    if (!body) return;
    out.push(`## ${title}`, '');
    if (note) out.push(note, '');
    out.push(body, '');
  };
  add(
    '0. Client cost: library vs bare `ws`, each in its own process',
    tables.clientCost,
    tables.clientCostNote,
  );
  add('0b. Pre-open and memory', tables.clientScale);
  add('1. Pooled vs a fresh connection per task', tables.pooling, `Chart: [${chartFile}](${chartFile}).`);
  add(
    '2. Library overhead vs the bare `ws` exchange',
    tables.overhead,
    'Bare: a hand-written client on persistent sockets (one per worker) doing the same run-task / continue-task / finish-task exchange; library: the pool. Same runs as table 1. Aim: library within 10 % of bare (p50 ratio ≤ 1.10 and tasks/s ratio ≥ 0.90).',
  );
  add(
    '3. Eager start',
    tables.eager,
    'Through the pool; eager on sends continue-task right after run-task, off waits for task-started.',
  );
  add(
    '4. Pool operations',
    tables.poolOps,
    'Real pre-opened sockets to the local server (heartbeats off); no task runs, so only pool code is timed, in one process with `performance.now()`. None waiting: one caller borrows and returns in a loop (after 200 warm-up pairs). Waiting: the whole pool is lent out and as many borrowers again (at most 1,000) wait; each step returns one synthesizer and times until the oldest waiter holds it.',
  );
  add(
    '5. Scale',
    tables.scale,
    'ws:// and wss:// at RTT 0; memory is measured in a fresh client process with `--expose-gc` (double gc before each reading), deltas divided by the number of connections.',
  );
  add(
    '5b. 2,000 tasks at concurrency 200 through the pool (ws://, RTT 0)',
    tables.run2000,
    'Pool of 200 pre-opened connections, after a 400-task warm-up on another pool.',
  );
  add('6. Faults under load', tables.faults, tables.faultsNote);
  const missing = ['client-cost', 'pooling', 'eager', 'pool-ops', 'scale', 'faults'].filter(
    (name) => !results[name],
  );
  if (missing.length > 0) out.push(`Sections missing from this run: ${missing.join(', ')}.`, '');
  return out.join('\n');
}

function readmeSection(results: Results, tables: Tables, options: ReportOptions): string {
  const machine = Object.values(results)[0]?.machine;
  return [
    '## Performance',
    '',
    `Measured with \`${options.command}\` on ${machineLine(machine)}, ${machine?.date.slice(0, 10) ?? ''}, against the local server (synthetic engine) in a separate process on 127.0.0.1. Full tables, method and raw JSON: [bench/results/summary.md](bench/results/summary.md); chart: [bench/results/tts-first-packet.svg](bench/results/tts-first-packet.svg).`,
    '',
    ...(tables.clientCost
      ? [
          '**Client cost: library vs a bare `ws` client, each in its own process** (CPU per task and first packet; ratios are per round, median and range):',
          '',
          tables.clientCost,
          '',
          tables.clientScale ?? '',
          '',
          tables.clientCostNote ?? '',
          '',
        ]
      : []),
    '**Pooled vs a fresh connection per task** (first packet = from the request to the first audio frame; RTT 20 ms includes the TCP/TLS/upgrade handshakes a fresh connection pays):',
    '',
    tables.pooling ?? '',
    '',
    '**Library vs a bare `ws` client** (same exchange on persistent sockets):',
    '',
    tables.overhead ?? '',
    '',
    ...(tables.eager ? ['**Eager start:**', '', tables.eager, ''] : []),
    ...(tables.poolOps ? ['**Pool operations:**', '', tables.poolOps, ''] : []),
    ...(tables.scale ? ['**Scale:**', '', tables.scale, ''] : []),
    ...(tables.run2000 ? ['**2,000 tasks at concurrency 200:**', '', tables.run2000, ''] : []),
    ...(tables.faults ? ['**Faults under load:**', '', tables.faults, ''] : []),
  ].join('\n');
}

/** Formats markdown the way the repository's prettier config wants it (tables aligned). */
async function formatMarkdown(text: string, path: string): Promise<string> {
  const config = (await prettier.resolveConfig(path)) ?? {};
  return prettier.format(text, { ...config, parser: 'markdown' });
}

/** Replaces (or appends) the README's `## Performance` section, leaving everything else as is. */
async function updateReadme(path: string, raw: string): Promise<void> {
  const section = await formatMarkdown(raw, path);
  const text = readFileSync(path, 'utf8');
  const start = text.search(/^## Performance\s*$/m);
  if (start < 0) {
    writeFileSync(path, `${text.trimEnd()}\n\n${section.trimEnd()}\n`);
    return;
  }
  const rest = text.slice(start + '## Performance'.length);
  const next = rest.search(/^## /m);
  const after = next < 0 ? '' : `\n${rest.slice(next)}`;
  writeFileSync(path, `${text.slice(0, start)}${section.trimEnd()}\n${after}`);
}

/** Writes the summary and chart (and the README section after a complete full run); returns the files. */
export async function writeReport(results: Results, options: ReportOptions): Promise<string[]> {
  const files: string[] = [];
  const tables = buildTables(results);
  const chartFile = 'tts-first-packet.svg';
  const pooling = get<{ cells: Cell[] }>(results, 'pooling');
  if (pooling) {
    writeFileSync(join(options.outDir, chartFile), await renderFirstPacketChart(pooling.cells));
    files.push(join(options.outDir, chartFile));
  }
  const summary = join(options.outDir, 'summary.md');
  writeFileSync(summary, await formatMarkdown(summaryMarkdown(results, tables, options, chartFile), summary));
  files.push(summary);
  process.stdout.write(`\n${readFileSync(summary, 'utf8')}\n`);
  if (options.complete && !options.quick) {
    await updateReadme(options.readme, readmeSection(results, tables, options));
    files.push(options.readme);
  }
  return files;
}
