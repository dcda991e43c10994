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
