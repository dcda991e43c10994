/**
 * When a failed task is tried again on a fresh connection, and after what back-off. Only before
 * its first audio frame: after that, a retry would repeat audio the caller already has.
 */
import type { DashScopeError } from '../errors/index.js';
import { ConnectionError, ConnectTimeoutError, HandshakeError, TaskFailedError } from '../errors/index.js';
import { fullJitter } from '../backoff.js';
import type { TaskRetryOptions } from './options.js';
import type { RetryKind, Task } from './task.js';

export class RetryPolicy {
  readonly #options: Readonly<Required<TaskRetryOptions>>;

  /** @param options resolved retry options (see `resolveRetryOptions`). */
  constructor(options: Readonly<Required<TaskRetryOptions>>) {
    this.#options = options;
  }

  /**
   * The kind of retry `error` allows for `task`, or undefined when the task must fail with it:
   * after audio arrived, after a cancel, for an error a fresh attempt cannot cure, or when the
   * retries of that kind are used up.
   */
  kindOf(task: Task, error: DashScopeError): RetryKind | undefined {
    if (task.cancelRequested || task.audioFrames > 0 || task.phase === 'cancelling') return undefined;
    if (error instanceof TaskFailedError && error.retryable) {
      return task.retries('throttling') < this.#options.throttling ? 'throttling' : undefined;
    }
    if (isConnectionFailure(error)) {
      return task.retries('connection') < this.#options.connectionFailures ? 'connection' : undefined;
    }
    return undefined;
  }

  /**
   * The wait before the next attempt, full jitter on a doubling step. The first retry after a
   * connection failure goes at once (a fresh connection most likely works); a throttled task
   * always waits.
   * @param retriesSoFar retries of this kind the task made before this one.
   */
  backoffMs(kind: RetryKind, retriesSoFar: number): number {
    if (kind === 'connection' && retriesSoFar === 0) return 0;
    return fullJitter(this.#options.initialDelayMs, this.#options.maxDelayMs, retriesSoFar);
  }
}

/** Errors after which the same task may succeed on a fresh connection. */
export function isConnectionFailure(error: DashScopeError): boolean {
  if (error instanceof ConnectionError || error instanceof ConnectTimeoutError) return true;
  return error instanceof HandshakeError && error.retryable;
}
