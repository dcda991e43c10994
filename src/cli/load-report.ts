/**
 * What `dashscope-tts load` reports: the figures DashScope's production checklist watches
 * (first-packet delay, error rate, pool utilization at peak, connection reuse) against their
 * targets, the throttling errors seen, and a `maxSize` for the measured peak; as a table or as
 * JSON. Pure: the run itself is in `load.ts`.
 */
import { HandshakeError, isDashScopeError, TaskFailedError } from '../index.js';

/** The checklist's targets. */
export const TARGETS = Object.freeze({
  firstPacketMs: 500,
  errorRate: 0.001,
  utilization: [0.6, 0.8] as const,
  connectionReuse: 0.95,
});
/** The utilization a suggested `maxSize` aims at, at the measured peak. */
const AIM_UTILIZATION = 0.7;
/** The largest `maxSize` the pool accepts. */
const MAX_POOL_SIZE = 10_000;

/** What a run counted; `report()` turns it into figures. */
export interface LoadCounts {
  /** Tasks that ended (succeeded or failed), not those cut off at the end. */
  tasks: number;
  failed: number;
  /** Tasks still running when the run stopped, ended by the pool's shutdown (not counted as errors). */
  cutOff: number;
  throttled: number;
  errorsByCode: Record<string, number>;
  /** From the worker's request (before the borrow) to the first audio frame, per task with audio. */
  firstPacketMs: number[];
  /** The most borrowers at once, lent out or waiting. */
  peakDemand: number;
  utilizationPeak: number;
  connectionReuse: number;
  elapsedMs: number;
}

/** One figure against its target. */
export interface TargetRow {
  figure: string;
  value: number | null;
  unit: 'ms' | 'ratio';
  target: string;
  met: boolean | null;
  note: string;
}

/** The JSON of `load --json`. */
export interface LoadReport {
  command: 'load';
  endpoint: string;
  concurrency: number;
  poolSize: number;
  durationMs: number;
  elapsedSeconds: number;
  tasks: number;
  tasksPerSecond: number;
  failed: number;
  cutOffAtEnd: number;
  errorRate: number;
  errorsByCode: Record<string, number>;
  throttlingErrors: number;
  firstPacketMs: { p50: number | null; p95: number | null; p99: number | null; max: number | null };
  utilizationPeak: number;
  connectionReuse: number;
  peakDemand: number;
  suggestedMaxSize: number;
  targets: TargetRow[];
  meetsTargets: boolean;
}

/** Counts a failed task by code (the server's code for a failed task); true when it was throttled. */
export function countFailure(counts: LoadCounts, error: unknown): void {
  counts.failed += 1;
  const key = !isDashScopeError(error)
    ? 'untyped'
    : error instanceof TaskFailedError
      ? `${error.code}:${error.errorCode}`
      : error.code;
  counts.errorsByCode[key] = (counts.errorsByCode[key] ?? 0) + 1;
  const throttled =
    (error instanceof TaskFailedError && error.errorCode.startsWith('Throttling')) ||
    (error instanceof HandshakeError && error.status === 429);
  if (throttled) counts.throttled += 1;
}

/** Nearest-rank percentile (as the pool's metrics take them); null without samples. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The figures of a run against the targets. */
export function report(
  counts: LoadCounts,
  settings: { endpoint: string; concurrency: number; poolSize: number; durationMs: number },
): LoadReport {
  const sorted = [...counts.firstPacketMs].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p95 = percentile(sorted, 95);
  const errorRate = counts.tasks === 0 ? 0 : counts.failed / counts.tasks;
  const [low, high] = TARGETS.utilization;
  const u = counts.utilizationPeak;
  const suggestedMaxSize = Math.min(
    MAX_POOL_SIZE,
    Math.max(1, Math.ceil(counts.peakDemand / AIM_UTILIZATION)),
  );
  const targets: TargetRow[] = [
    latencyRow('first packet p50', p50),
    latencyRow('first packet p95', p95),
    {
      figure: 'error rate',
      value: errorRate,
      unit: 'ratio',
      target: '< 0.1 %',
      met: counts.tasks === 0 ? null : errorRate < TARGETS.errorRate,
      note: counts.tasks === 0 ? 'no task ended' : `${counts.failed} of ${counts.tasks}`,
    },
    {
      figure: 'pool utilization at peak',
      value: u,
      unit: 'ratio',
      target: '60–80 %',
      met: u >= low && u <= high,
      note:
        u > high
          ? `too high: no headroom at the peak; maxSize ${suggestedMaxSize} would put it at about 70 %`
          : u < low
            ? `too low: maxSize ${suggestedMaxSize} would do`
            : 'ok',
    },
    {
      figure: 'connection reuse',
      value: counts.connectionReuse,
      unit: 'ratio',
      target: '> 95 %',
      met: counts.tasks === 0 ? null : counts.connectionReuse > TARGETS.connectionReuse,
      note: 'tasks that found their connection already open',
    },
  ];
  const round = (value: number | null): number | null =>
    value === null ? null : Math.round(value * 10) / 10;
  return {
    command: 'load',
    endpoint: settings.endpoint,
    concurrency: settings.concurrency,
    poolSize: settings.poolSize,
    durationMs: settings.durationMs,
    elapsedSeconds: Math.round(counts.elapsedMs / 100) / 10,
    tasks: counts.tasks,
    tasksPerSecond: Math.round((counts.tasks / (counts.elapsedMs / 1000)) * 10) / 10,
    failed: counts.failed,
    cutOffAtEnd: counts.cutOff,
    errorRate,
    errorsByCode: counts.errorsByCode,
    throttlingErrors: counts.throttled,
    firstPacketMs: {
      p50: round(p50),
      p95: round(p95),
      p99: round(percentile(sorted, 99)),
      max: round(sorted.at(-1) ?? null),
    },
    utilizationPeak: u,
    connectionReuse: counts.connectionReuse,
    peakDemand: counts.peakDemand,
    suggestedMaxSize,
    targets,
    meetsTargets: targets.every((row) => row.met !== false),
  };
}

function latencyRow(figure: string, value: number | null): TargetRow {
  return {
    figure,
    value: value === null ? null : Math.round(value * 10) / 10,
    unit: 'ms',
    target: `< ${TARGETS.firstPacketMs} ms`,
    met: value === null ? null : value < TARGETS.firstPacketMs,
    note: 'from the request (borrow included) to the first audio',
  };
}

/** The table `load` prints without --json. */
export function reportTable(r: LoadReport): string {
  const shown = (row: TargetRow): string =>
    row.value === null ? '–' : row.unit === 'ms' ? `${row.value.toFixed(0)} ms` : percent(row.value);
  const verdict = (row: TargetRow): string => (row.met === null ? 'n/a' : row.met ? 'ok' : 'MISSED');
  const rows: string[][] = [
    ['figure', 'measured', 'target', '', 'note'],
    ...r.targets.map((row) => [row.figure, shown(row), row.target, verdict(row), row.note]),
    [
      'throttling errors',
      String(r.throttlingErrors),
      '0',
      r.throttlingErrors === 0 ? 'ok' : 'MISSED',
      'Throttling.* and HTTP 429',
    ],
    [
      'suggested maxSize',
      String(r.suggestedMaxSize),
      '',
      '',
      `peak of ${r.peakDemand} borrowers at once, at about 70 %`,
    ],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const errors = Object.entries(r.errorsByCode)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  return [
    `load: ${r.tasks} tasks in ${r.elapsedSeconds} s (${r.tasksPerSecond} tasks/s), concurrency ${r.concurrency}, ` +
      `pool ${r.poolSize}, ${r.endpoint}`,
    '',
    ...lines,
    '',
    `errors by code: ${errors || 'none'}${r.cutOffAtEnd > 0 ? `; ${r.cutOffAtEnd} tasks cut off at the end (not counted)` : ''}`,
    r.meetsTargets ? 'all targets met' : 'some targets missed',
  ].join('\n');
}

function percent(ratio: number): string {
  const value = ratio * 100;
  const digits = value === 0 || value >= 10 ? 0 : value >= 1 ? 1 : 2;
  return `${value.toFixed(digits)} %`;
}
