/**
 * The pool's lifecycle events, typed, and an emit that a throwing listener cannot break.
 */
import type { EventEmitter } from 'eventemitter3';
import type { ConnectionCloseInfo } from '../connection.js';
import type { DashScopeError } from '../errors/index.js';
import type { TaskMetrics } from '../synthesizer/task-metrics.js';

/**
 * Why the pool closed one of its synthesizers (the `discard` event):
 * - `idle-unhealthy`: idle in the pool, its socket died or it idled too close to the server's
 *   idle close;
 * - `returned-busy`: returned with a task still running (the task fails);
 * - `returned-unusable`: returned after a failed task, or closed, or with a dead or stale socket;
 * - `shutdown`: still borrowed at `shutdown()`: closed at once when idle, else when its running
 *   task ended or the grace period did;
 * - `abandoned`: borrowed and idle longer than `abandonedAfterMs` (see the `abandon` event).
 */
export type DiscardReason =
  'idle-unhealthy' | 'returned-busy' | 'returned-unusable' | 'shutdown' | 'abandoned';

/** What the `abandon` event tells about a synthesizer the pool took back from its borrower. */
export interface AbandonInfo {
  /** The connection it held, if one was open. */
  connectionId: number | undefined;
  /** How long it had been borrowed, ms. */
  borrowedForMs: number;
  /** How long it had run no task, ms (at least `abandonedAfterMs`). */
  idleMs: number;
  /** The stack of the `borrowSynthesizer()` call that took it: where the return is missing. */
  stack: string | undefined;
}

/** Events of `SpeechSynthesizerObjectPool`. Listeners must not throw (their throws are ignored). */
export interface PoolEvents {
  /** A connection opened. */
  connect: (info: { connectionId: number; connectMs: number }) => void;
  /** A connection closed, by either side. */
  disconnect: (info: { connectionId: number } & ConnectionCloseInfo) => void;
  /** Opening or renewing a connection failed. */
  connectError: (error: DashScopeError) => void;
  /** An idle connection was replaced by a fresh one, make-before-break. */
  renew: (info: { connectionId: number | undefined }) => void;
  /** A synthesizer was lent, after `waitMs` of waiting. */
  borrow: (info: { waitMs: number }) => void;
  /** A synthesizer came back; `kept` is false when it was closed instead. */
  return: (info: { kept: boolean }) => void;
  /** A synthesizer was closed for `reason`; a replacement opens. */
  discard: (info: { reason: DiscardReason }) => void;
  /**
   * A synthesizer borrowed and idle longer than `abandonedAfterMs` was taken back: it is closed
   * (the borrower's reference refuses new tasks) and a replacement opens. Followed by `discard`.
   */
  abandon: (info: AbandonInfo) => void;
  /**
   * A task on one of the pool's synthesizers ended (finished, failed or cancelled), with its
   * timings and sizes; once per task, after its `close`, and already counted in `metrics()`.
   */
  task: (metrics: TaskMetrics) => void;
}

/** Emits a pool event; a listener's throw is swallowed so that it cannot break the pool. */
export type EmitPoolEvent = <E extends keyof PoolEvents>(
  event: E,
  ...args: Parameters<PoolEvents[E]>
) => void;

/** An {@link EmitPoolEvent} for `emitter`. */
export function safeEmitter(emitter: EventEmitter<PoolEvents>): EmitPoolEvent {
  return (event, ...args) => {
    try {
      (emitter.emit as (event: keyof PoolEvents, ...args: unknown[]) => boolean)(event, ...args);
    } catch {
      // A listener's throw must not break the pool.
    }
  };
}
