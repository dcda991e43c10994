/**
 * The state of one synthesis task on one connection: its phase, timings, audio bookkeeping and
 * the two promises that callers and the synthesizer wait on.
 */
import type { Connection } from './connection.js';
import type { DashScopeError } from './errors/index.js';
import { Deferred } from './util/async.js';

export type TaskPhase =
  /** run-task sent (or about to be); task-started not yet received. */
  | 'starting'
  /** task-started received; text may be sent. */
  | 'started'
  /** finish-task sent; waiting for task-finished. */
  | 'finishing'
  /** cancel directive sent; waiting for task-finished. */
  | 'cancelling'
  /** The server is done with the task (finished or failed) or the connection is gone. */
  | 'ended';

export type TaskOutcome = 'finished' | 'cancelled' | 'failed';

/** Timings and sizes of one task. All durations in milliseconds. */
export interface TaskMetrics {
  taskId: string;
  outcome: TaskOutcome | 'running';
  /** Time to open the connection, when this task had to open it; undefined when it was already open. */
  connectMs: number | undefined;
  /** From sending run-task to receiving task-started. */
  taskStartedMs: number | undefined;
  /** From the start of the task (before any connect) to the first audio frame; -1 if none arrived. */
  firstPackageDelayMs: number;
  /** From the start of the task to its end. */
  totalMs: number | undefined;
  /** True when the task found its connection already open (pre-opened or kept from an earlier task). */
  reusedConnection: boolean;
  /** True when the task had to open a connection first (the opposite of `reusedConnection`). */
  openedConnection: boolean;
  /** 1, or more when the task was retried before its first audio. */
  attempts: number;
  audioBytes: number;
  audioFrames: number;
  /** Characters sent by the client (CJK counted twice). */
  charactersSent: number;
  /** Billable characters as reported by the server's `usage`. */
  billedCharacters: number | undefined;
}

/** One thing the client sends within a task, kept so that a failed attempt can be replayed. */
export type ScriptEntry = { kind: 'text'; text: string } | { kind: 'flush' } | { kind: 'finish' };

export class Task {
  /** The task_id of the current attempt (a retry gets a new one). */
  id: string;
  /** What the client sends, in order; `sent` entries of it went out on the current attempt. */
  readonly script: ScriptEntry[] = [];
  sent = 0;
  /** Attempts made so far (1 for the first); a pump of an older attempt stops itself. */
  attempt = 1;
  connectionRetries = 0;
  throttlingRetries = 0;
  /** Do not start the current attempt before this `performance.now()` (retry back-off). */
  notBefore = 0;
  /** When the task's `timeoutMs` runs out (`performance.now()`), if it has one; for the quota. */
  deadline: number | undefined;
  /** True while the pump is opening the connection or waiting to start. */
  pumping = false;
  /** The watchdog counts silence from here at the earliest (reset by a retry). */
  waitingSince = performance.now();
  // Created only when something waits on the task's behalf (a connect, a hook, a back-off):
  // aborting an AbortController builds a DOMException, a cost most tasks need not pay.
  #abortController: AbortController | undefined;
  readonly startedAt = performance.now();
  phase: TaskPhase = 'starting';
  outcome: TaskOutcome | undefined;
  error: DashScopeError | undefined;
  connection: Connection | undefined;

  connectMs: number | undefined;
  reusedConnection = false;
  runTaskSentAt: number | undefined;
  taskStartedAt: number | undefined;
  firstAudioAt: number | undefined;
  endedAt: number | undefined;

  /** Collected audio, when the caller wants one Buffer at the end; emptied once handed over. */
  chunks: Buffer[] | undefined;
  /** Receives each audio frame; returns false to ask for backpressure. */
  sink: ((chunk: Buffer) => boolean) | undefined;
  audioBytes = 0;
  audioFrames = 0;
  charactersSent = 0;
  textMessages = 0;
  billedCharacters: number | undefined;
  /** True once the task-started notification (`open`) was delivered. */
  openNotified = false;
  /** True once the user cancelled or aborted: the end is then `cancelled`, not a failure. */
  cancelRequested = false;
  /** True once the client asked to finish (call(), stream() or streamingComplete()). */
  finishRequested = false;
  /** The error that made the task retry, for diagnostics. */
  lastRetryError: DashScopeError | undefined;
  watchdogArmed = false;

  /** Settles with the task's result for callers: resolves at task-finished, rejects on any failure. */
  readonly result = new Deferred<void>();
  /** Resolves at task-started, or when the attempt ends without it (never rejects). */
  started = new Deferred<void>();
  /** Resolves when run-task of the first attempt was sent; rejects if the task ends before. */
  readonly runTaskSent = new Deferred<void>();
  runTaskEverSent = false;
  /** Resolves when the connection is free of this task (never rejects). */
  readonly released = new Deferred<void>();

  /** Timers owned by the task; all cleared when it ends. */
  readonly timers = new Set<NodeJS.Timeout>();
  /** Cleanup callbacks (abort listeners) run when the task ends. */
  readonly cleanups: Array<() => void> = [];

  constructor(id: string, collectAudio: boolean) {
    this.id = id;
    this.chunks = collectAudio ? [] : undefined;
    // The synthesizer reports failures through events too; a caller that never awaits the
    // result must not cause an unhandled rejection.
    this.result.promise.catch(() => undefined);
    this.runTaskSent.promise.catch(() => undefined);
  }

  get isActive(): boolean {
    return this.phase !== 'ended';
  }

  /** Stops every timer and listener the task owns. */
  /** Aborted when the task ends, so that anything waiting on its behalf stops. */
  get signal(): AbortSignal {
    this.#abortController ??= new AbortController();
    if (this.phase === 'ended') this.#abortController.abort();
    return this.#abortController.signal;
  }

  dispose(): void {
    this.#abortController?.abort();
    this.sink = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  metrics(): TaskMetrics {
    return {
      taskId: this.id,
      outcome: this.outcome ?? 'running',
      connectMs: this.connectMs,
      taskStartedMs:
        this.taskStartedAt !== undefined && this.runTaskSentAt !== undefined
          ? this.taskStartedAt - this.runTaskSentAt
          : undefined,
      firstPackageDelayMs: this.firstAudioAt === undefined ? -1 : this.firstAudioAt - this.startedAt,
      totalMs: this.endedAt === undefined ? undefined : this.endedAt - this.startedAt,
      reusedConnection: this.reusedConnection,
      openedConnection: !this.reusedConnection,
      attempts: this.attempt,
      audioBytes: this.audioBytes,
      audioFrames: this.audioFrames,
      charactersSent: this.charactersSent,
      billedCharacters: this.billedCharacters,
    };
  }
}
