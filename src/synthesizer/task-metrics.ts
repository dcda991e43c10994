/** What a task reports about itself: how it ended, its timings and its sizes. */

export type TaskOutcome = 'finished' | 'cancelled' | 'failed';

/** Timings and sizes of one task. All durations in milliseconds. */
export interface TaskMetrics {
  /** The task's id (the `task_id` of its run-task, which the server reports as its request id). */
  taskId: string;
  /** How the task ended; `running` when the metrics are read before it ended. */
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
  /** Bytes of audio received (WAV and MP3 headers included); frames dropped after a cancel do not count. */
  audioBytes: number;
  /** Binary WebSocket messages of audio received (one server frame each). */
  audioFrames: number;
  /** Characters sent by the client (CJK counted twice). */
  charactersSent: number;
  /** Billable characters as reported by the server's `usage`. */
  billedCharacters: number | undefined;
}

/** What the synthesizer reports on for the current or last task. */
export interface TaskReport {
  /** The task_id (of the last attempt). */
  readonly id: string;
  readonly outcome: TaskOutcome | undefined;
  /** From the start of the task to its first audio frame; -1 if none arrived. */
  readonly firstPackageDelayMs: number;
  metrics(): TaskMetrics;
}

/**
 * The last task's report, kept by the synthesizer in place of the task: its figures are copied
 * into this one long-lived object, so that no object of a task outlives it. Objects kept past a
 * few young-generation collections are moved to the old generation, and collecting them there
 * costs the process far more (with a pool lending each connection in turn, a kept task would
 * live until its connection's next task). Durations are kept as numbers, NaN for "none", so
 * that the fields stay unboxed doubles.
 */
export class LastTask implements TaskReport {
  id = '';
  outcome: TaskOutcome = 'finished';
  firstPackageDelayMs = -1;
  #connectMs = Number.NaN;
  #taskStartedMs = Number.NaN;
  #totalMs = Number.NaN;
  #reusedConnection = false;
  #attempts = 0;
  #audioBytes = 0;
  #audioFrames = 0;
  #charactersSent = 0;
  #billedCharacters = -1;

  /** Lets go of the last task's id (the numbers are kept in place; nothing reads them until the next record). */
  forget(): void {
    this.id = '';
  }

  /** Copies an ended task's metrics in. */
  record(metrics: TaskMetrics): void {
    this.id = metrics.taskId;
    this.outcome = metrics.outcome === 'running' ? 'failed' : metrics.outcome;
    this.firstPackageDelayMs = metrics.firstPackageDelayMs;
    this.#connectMs = metrics.connectMs ?? Number.NaN;
    this.#taskStartedMs = metrics.taskStartedMs ?? Number.NaN;
    this.#totalMs = metrics.totalMs ?? Number.NaN;
    this.#reusedConnection = metrics.reusedConnection;
    this.#attempts = metrics.attempts;
    this.#audioBytes = metrics.audioBytes;
    this.#audioFrames = metrics.audioFrames;
    this.#charactersSent = metrics.charactersSent;
    this.#billedCharacters = metrics.billedCharacters ?? -1;
  }

  /** The metrics as the task reported them when it ended. */
  metrics(): TaskMetrics {
    const orNone = (ms: number): number | undefined => (Number.isNaN(ms) ? undefined : ms);
    return {
      taskId: this.id,
      outcome: this.outcome,
      connectMs: orNone(this.#connectMs),
      taskStartedMs: orNone(this.#taskStartedMs),
      firstPackageDelayMs: this.firstPackageDelayMs,
      totalMs: orNone(this.#totalMs),
      reusedConnection: this.#reusedConnection,
      openedConnection: !this.#reusedConnection,
      attempts: this.#attempts,
      audioBytes: this.#audioBytes,
      audioFrames: this.#audioFrames,
      charactersSent: this.#charactersSent,
      billedCharacters: this.#billedCharacters < 0 ? undefined : this.#billedCharacters,
    };
  }
}
