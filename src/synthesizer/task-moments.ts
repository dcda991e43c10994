/**
 * The moments of a task that callers may wait for: its result, task-started of the current
 * attempt, run-task of the first attempt going out, and the connection being free again. The
 * result is awaited by almost every task, the others rarely (streaming methods, a cancel, a
 * start that waits): their promises are made only when asked for and the moment itself is kept
 * as a flag, so that a task in flight holds as little as possible.
 */
import { AbortError, type DashScopeError } from '../errors/index.js';
import { LazyDeferred } from '../util/async.js';
import { TaskScope } from './task-scope.js';

// The bits of `#came`: the connection is free of the task, task-started of the current attempt
// came (or never will), run-task of the first attempt went out, the task ended.
const RELEASED = 1;
const STARTED = 2;
const RUN_TASK_SENT = 4;
const ENDED = 8;

export class TaskMoments extends TaskScope {
  // Promises made only when someone waits (LazyDeferred): a caller that never awaits a result
  // the synthesizer also reports through events must not cause an unhandled rejection.
  /**
   * Settles with the task's result for callers: resolves at task-finished with the collected
   * audio (null when it was not collected), rejects on any failure.
   */
  readonly result = new LazyDeferred<Buffer | null>();
  #released: LazyDeferred<void> | undefined;
  #started: LazyDeferred<void> | undefined;
  #runTaskSent: LazyDeferred<void> | undefined;
  /** The moments that came, as bits (RELEASED…): one field, not one each. */
  #came = 0;
  /** The error the task ended with (for a late waiter on run-task). */
  #endError: DashScopeError | undefined;

  /** Resolves at task-started of the current attempt, or when the attempt ends without it. */
  get whenStarted(): Promise<void> {
    if ((this.#came & STARTED) !== 0) return Promise.resolve();
    return (this.#started ??= new LazyDeferred<void>()).promise;
  }

  /** Resolves once run-task of the first attempt went out; rejects if the task ends before. */
  get whenRunTaskSent(): Promise<void> {
    if (this.#runTaskSent === undefined) {
      this.#runTaskSent = new LazyDeferred<void>();
      if ((this.#came & RUN_TASK_SENT) !== 0) this.#runTaskSent.resolve();
      else if ((this.#came & ENDED) !== 0) this.#runTaskSent.reject(this.#endedWithout());
    }
    return this.#runTaskSent.promise;
  }

  /** Resolves when the connection is free of this task (never rejects). */
  get whenReleased(): Promise<void> {
    if ((this.#came & RELEASED) !== 0) return Promise.resolve();
    return (this.#released ??= new LazyDeferred<void>()).promise;
  }

  /** run-task went out: anyone waiting for the task to be under way may go on. */
  markRunTaskSent(): void {
    this.#came |= RUN_TASK_SENT;
    this.#runTaskSent?.resolve();
  }

  /** The connection is free of this task (after the end's notifications). */
  markReleased(): void {
    this.#came |= RELEASED;
    this.#released?.resolve();
  }

  /** Whoever waits for task-started of the current attempt goes on (it came, or never will). */
  protected startedOrGone(): void {
    this.#came |= STARTED;
    this.#started?.resolve();
  }

  /** A new attempt: waiters on the old one's task-started go on, the new one's is pending. */
  protected newAttemptMoments(): void {
    this.startedOrGone();
    this.#started = undefined;
    this.#came &= ~STARTED;
  }

  /** The task ended (with `error` unless it finished): waiters on what will not come go on. */
  protected endMoments(error: DashScopeError | undefined): void {
    this.#came |= ENDED;
    this.#endError = error;
    this.startedOrGone();
    if ((this.#came & RUN_TASK_SENT) === 0) this.#runTaskSent?.reject(this.#endedWithout());
  }

  /** Why a waiter on run-task is let down: the task ended before it went out. */
  #endedWithout(): DashScopeError {
    return this.#endError ?? new AbortError('the task was cancelled');
  }
}
