/**
 * The pool's production metrics, as DashScope recommends watching them: task outcomes, first
 * packet and end-to-end latency, borrow wait, utilization, connection reuse and connection churn.
 */
import type { QuotaMetrics } from '../quota/types.js';
import { LatencyRecorder, type LatencySummary } from '../metrics.js';
import type { TaskMetrics } from '../synthesizer/task-metrics.js';

/** Production metrics, as DashScope recommends watching them. */
export interface PoolMetrics {
  /** Tasks that ended on the pool's synthesizers since the pool was made, by outcome. */
  tasks: {
    /** Every ended task: finished + failed + cancelled. */
    total: number;
    /** Ended with task-finished, all their audio delivered. */
    finished: number;
    /** Ended with an error: task-failed, a lost connection, a timeout, a throwing callback, a close. */
    failed: number;
    /** Cancelled by an abort signal, `streamingCancel()` or a destroyed stream. */
    cancelled: number;
    /** Ended tasks (of any outcome) that needed more than one attempt; each counts once. */
    retried: number;
  };
  /** failed / total. */
  errorRate: number;
  /** Ms from a task's start (before any connect) to its first audio, for every task that got audio. */
  firstPacketDelayMs: LatencySummary;
  /** Ms from a task's start to its end, for finished tasks only. */
  endToEndMs: LatencySummary;
  /** Ms a borrower waited for a synthesizer, for every successful borrow (near 0 when one was free). */
  borrowWaitMs: LatencySummary;
  /** Borrowed / maxSize, now and at its peak. */
  utilization: {
    /** Synthesizers lent out now / maxSize, from 0 to 1. */
    current: number;
    /** The highest borrowed / maxSize reached by a borrow since the pool was made. */
    peak: number;
  };
  /** Tasks that found their connection already open / all tasks. */
  connectionReuseRatio: number;
  /** WebSocket connections of the pool's synthesizers, since the pool was made. */
  connections: {
    /** Open now (a renewal briefly holds two for one synthesizer: make-before-break). */
    open: number;
    /** Opened: pre-opened ones, replacements and renewals. */
    created: number;
    /** Closed, by either side. */
    closed: number;
    /** Idle connections replaced by fresh ones before the server's idle close. */
    renewed: number;
    /** Opens and renewals that failed; every attempt counts. */
    failedAttempts: number;
  };
  /** Synthesizers lent out since the pool was made. */
  borrows: number;
  /** Synthesizers given back with `returnSynthesizer` (or by `withSynthesizer`), by what became of them. */
  returns: {
    /** Kept for the next borrower. */
    kept: number;
    /** Closed (failed, busy, dead or stale) and replaced by a fresh one. */
    discarded: number;
  };
  /** Synthesizers taken back from borrowers that kept them idle longer than `abandonedAfterMs`. */
  abandoned: number;
  /** The fleet quota's figures, when the pool has a `quota`. */
  quota?: QuotaMetrics | undefined;
}

/** Counts what the pool does; {@link snapshot} turns the counts into {@link PoolMetrics}. */
export class PoolMetricsRecorder {
  /** Connection counters, bumped directly by the parts that open, renew and close connections. */
  readonly connections = { open: 0, created: 0, closed: 0, renewed: 0, failedAttempts: 0 };
  readonly #firstPacket = new LatencyRecorder();
  readonly #endToEnd = new LatencyRecorder();
  readonly #borrowWait = new LatencyRecorder();
  readonly #tasks = { total: 0, finished: 0, failed: 0, cancelled: 0, retried: 0 };
  readonly #returns = { kept: 0, discarded: 0 };
  #reusedTasks = 0;
  #peakBorrowed = 0;
  #borrows = 0;
  #abandoned = 0;

  /** Counts a task that ended, from the metrics its synthesizer reports. */
  recordTask(metrics: TaskMetrics): void {
    this.#tasks.total += 1;
    if (metrics.outcome === 'finished') this.#tasks.finished += 1;
    else if (metrics.outcome === 'cancelled') this.#tasks.cancelled += 1;
    else this.#tasks.failed += 1;
    if (metrics.attempts > 1) this.#tasks.retried += 1;
    if (metrics.reusedConnection) this.#reusedTasks += 1;
    if (metrics.firstPackageDelayMs >= 0) this.#firstPacket.record(metrics.firstPackageDelayMs);
    if (metrics.outcome === 'finished' && metrics.totalMs !== undefined)
      this.#endToEnd.record(metrics.totalMs);
  }

  /** Counts a borrow that waited `waitMs` and left `borrowedNow` synthesizers lent out. */
  recordBorrow(waitMs: number, borrowedNow: number): void {
    this.#peakBorrowed = Math.max(this.#peakBorrowed, borrowedNow);
    this.#borrowWait.record(waitMs);
    this.#borrows += 1;
  }

  /** Counts a return: kept for the next borrower, or closed. */
  recordReturn(kept: boolean): void {
    if (kept) this.#returns.kept += 1;
    else this.#returns.discarded += 1;
  }

  /** Counts a synthesizer taken back from a borrower who kept it idle too long. */
  recordAbandoned(): void {
    this.#abandoned += 1;
  }

  /** The metrics now, with utilization taken against `maxSize`. */
  snapshot(borrowedNow: number, maxSize: number): PoolMetrics {
    const { total } = this.#tasks;
    return {
      tasks: { ...this.#tasks },
      errorRate: total === 0 ? 0 : this.#tasks.failed / total,
      firstPacketDelayMs: this.#firstPacket.summary(),
      endToEndMs: this.#endToEnd.summary(),
      borrowWaitMs: this.#borrowWait.summary(),
      utilization: { current: borrowedNow / maxSize, peak: this.#peakBorrowed / maxSize },
      connectionReuseRatio: total === 0 ? 0 : this.#reusedTasks / total,
      connections: { ...this.connections },
      borrows: this.#borrows,
      returns: { ...this.#returns },
      abandoned: this.#abandoned,
    };
  }
}
