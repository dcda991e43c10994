/**
 * The soak's ledger and verdicts: what every task came to (audio checked against the server's,
 * or a typed error by code), what the periodic server-wide events were, how RSS moved, and the
 * checks that decide whether the run passed. Pure bookkeeping: no sockets, no timers.
 */
import { DashScopeError, TaskFailedError } from '../../src/errors/index.js';

/** What the soak was asked to do. */
export interface SoakSettings {
  durationMs: number;
  concurrency: number;
  poolSize: number;
  faultRate: number;
  eventEveryMs: number;
  warmUpMs: number;
}

/** One RSS reading. */
export interface RssSample {
  atMs: number;
  rssMB: number;
  heapUsedMB: number;
}

/** Every count of the run; `check()` turns it into verdicts. */
export interface SoakLedger {
  started: number;
  succeeded: number;
  failed: number;
  /** Typed failures by code (`DS_ERR_TASK_FAILED` split by the server's error code). */
  errorsByCode: Record<string, number>;
  /** The first message seen per code. */
  errorSamples: Record<string, string>;
  /** Failures that were not a DashScopeError. */
  untyped: string[];
  /** Tasks that succeeded with audio other than the reference audio of their text. */
  wrongAudio: number;
  /** Succeeded tasks whose byte count the server confirmed, and those it contradicted. */
  serverVerified: number;
  serverMismatch: number;
  /** Tasks that had not settled when the run ended (after the grace period). */
  hung: number;
  /** Server-wide events, by kind. */
  events: Record<string, number>;
  rss: RssSample[];
  rssAtWarmUpMB: number | undefined;
  rssAtEndMB: number | undefined;
  /** Open sockets the server still saw after `shutdown()` (polled up to a few seconds). */
  socketsAfterShutdown: number | undefined;
  elapsedMs: number;
  serverTasks: { started: number; finished: number; failed: number; aborted: number } | undefined;
  /** Control-channel calls a loaded server answered too late (skipped, retried later). */
  controlFailures: number;
}

/** A fresh ledger. */
export function newLedger(): SoakLedger {
  return {
    started: 0,
    succeeded: 0,
    failed: 0,
    errorsByCode: {},
    errorSamples: {},
    untyped: [],
    wrongAudio: 0,
    serverVerified: 0,
    serverMismatch: 0,
    hung: 0,
    events: {},
    rss: [],
    rssAtWarmUpMB: undefined,
    rssAtEndMB: undefined,
    socketsAfterShutdown: undefined,
    elapsedMs: 0,
    serverTasks: undefined,
    controlFailures: 0,
  };
}

/** Counts a failed task: typed by code, else untyped (a bug). Returns the code, or undefined. */
export function recordFailure(ledger: SoakLedger, error: unknown): string | undefined {
  ledger.failed += 1;
  if (!(error instanceof DashScopeError)) {
    if (ledger.untyped.length < 20) ledger.untyped.push(String(error).slice(0, 200));
    else ledger.untyped.push('…');
    return undefined;
  }
  const key = error instanceof TaskFailedError ? `${error.code}:${error.errorCode}` : error.code;
  ledger.errorsByCode[key] = (ledger.errorsByCode[key] ?? 0) + 1;
  ledger.errorSamples[key] ??= error.message.slice(0, 200);
  return error.code;
}

/** One pass/fail verdict. */
export interface Check {
  name: string;
  pass: boolean;
  detail: string;
  /** True when the run was too short for the check to mean anything: reported, not judged. */
  skipped?: boolean;
}

/** The verdicts of a run. */
export function check(ledger: SoakLedger, settings: SoakSettings): Check[] {
  const settled = ledger.succeeded + ledger.failed;
  const lost = ledger.started - settled - ledger.hung;
  const growth =
    ledger.rssAtWarmUpMB && ledger.rssAtEndMB
      ? (ledger.rssAtEndMB - ledger.rssAtWarmUpMB) / ledger.rssAtWarmUpMB
      : NaN;
  const judgeRss = settings.durationMs >= 3 * 60_000;
  return [
    {
      name: 'every task succeeded with the server audio or failed with a typed error',
      pass: ledger.untyped.length === 0 && ledger.wrongAudio === 0 && ledger.serverMismatch === 0,
      detail:
        `${ledger.succeeded} succeeded (${ledger.serverVerified} byte counts confirmed by the server, ` +
        `${ledger.serverMismatch} contradicted; ${ledger.wrongAudio} with wrong audio), ` +
        `${ledger.failed - ledger.untyped.length} typed failures, ${ledger.untyped.length} untyped`,
    },
    { name: 'zero hung', pass: ledger.hung === 0, detail: `${ledger.hung} unsettled at the end` },
    {
      name: 'zero lost',
      pass: lost === 0 && ledger.started > 0,
      detail: `${ledger.started} started = ${ledger.succeeded} + ${ledger.failed} + ${ledger.hung} hung (${lost} lost)`,
    },
    {
      name: 'RSS growth after warm-up < 5 %',
      pass: !judgeRss || growth < 0.05,
      skipped: !judgeRss,
      detail:
        `${fmt(ledger.rssAtWarmUpMB)} MB after warm-up → ${fmt(ledger.rssAtEndMB)} MB at the end ` +
        `(${Number.isNaN(growth) ? '?' : (growth * 100).toFixed(1)} %)` +
        (judgeRss ? '' : '; not judged: runs shorter than 3 minutes'),
    },
    {
      name: 'zero sockets after shutdown()',
      pass: ledger.socketsAfterShutdown === 0,
      detail: `${ledger.socketsAfterShutdown ?? '?'} open on the server`,
    },
  ];
}

/** The JSON summary printed last. */
export interface SoakSummary {
  settings: SoakSettings;
  tasks: number;
  tasksPerSecond: number;
  succeeded: number;
  failed: number;
  errorRate: number;
  errorsByCode: Record<string, number>;
  errorSamples: Record<string, string>;
  untyped: string[];
  hung: number;
  lost: number;
  wrongAudio: number;
  serverVerified: number;
  serverMismatch: number;
  serverTasks: SoakLedger['serverTasks'];
  controlFailures: number;
  events: Record<string, number>;
  rssMB: {
    atWarmUp: number | undefined;
    at2Minutes: number | undefined;
    atEnd: number | undefined;
    max: number;
  };
  socketsAfterShutdown: number | undefined;
  elapsedSeconds: number;
  checks: Check[];
  pass: boolean;
}

/** The summary of a run, from its ledger and verdicts. */
export function summarize(ledger: SoakLedger, settings: SoakSettings, checks: Check[]): SoakSummary {
  const seconds = ledger.elapsedMs / 1000;
  const tasks = ledger.succeeded + ledger.failed;
  const rssAt = (atMs: number): number | undefined =>
    ledger.rss.find((sample) => sample.atMs >= atMs)?.rssMB ?? ledger.rss.at(-1)?.rssMB;
  return {
    settings,
    tasks,
    tasksPerSecond: round(tasks / seconds),
    succeeded: ledger.succeeded,
    failed: ledger.failed,
    errorRate: round(tasks === 0 ? 0 : ledger.failed / tasks, 4),
    errorsByCode: ledger.errorsByCode,
    errorSamples: ledger.errorSamples,
    untyped: ledger.untyped,
    hung: ledger.hung,
    lost: ledger.started - tasks - ledger.hung,
    wrongAudio: ledger.wrongAudio,
    serverVerified: ledger.serverVerified,
    serverMismatch: ledger.serverMismatch,
    serverTasks: ledger.serverTasks,
    controlFailures: ledger.controlFailures,
    events: ledger.events,
    rssMB: {
      atWarmUp: ledger.rssAtWarmUpMB,
      at2Minutes: rssAt(120_000),
      atEnd: ledger.rssAtEndMB,
      max: Math.max(0, ...ledger.rss.map((sample) => sample.rssMB)),
    },
    socketsAfterShutdown: ledger.socketsAfterShutdown,
    elapsedSeconds: round(seconds),
    checks,
    pass: checks.every((c) => c.pass),
  };
}

/** The human summary. */
export function summaryText(s: SoakSummary): string {
  const list = (entries: Array<[string, number]>, joiner: string): string =>
    entries.map(([name, n]) => `${name}${joiner}${n}`).join(', ') || 'none';
  return [
    `soak: ${s.tasks} tasks in ${s.elapsedSeconds} s (${s.tasksPerSecond} tasks/s): ` +
      `${s.succeeded} succeeded, ${s.failed} failed, ${s.hung} hung, ${s.lost} lost`,
    `errors by code: ${list(
      Object.entries(s.errorsByCode).sort((a, b) => b[1] - a[1]),
      ' ',
    )}`,
    `server-wide events: ${list(Object.entries(s.events), ' ×')}`,
    `RSS: ${fmt(s.rssMB.atWarmUp)} MB after warm-up, ${fmt(s.rssMB.at2Minutes)} MB at 2 min, ` +
      `${fmt(s.rssMB.atEnd)} MB at the end, ${fmt(s.rssMB.max)} MB max`,
    ...s.checks.map((c) => `  ${c.skipped ? 'SKIP' : c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`),
    s.pass ? 'soak passed' : 'soak FAILED',
  ].join('\n');
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function fmt(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '?' : value.toFixed(1);
}
