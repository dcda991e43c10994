/** Errors of a fleet-wide quota (`quota` option; `dashscope-tts-pool/redis`). */
import { DashScopeError } from './base.js';

/** The fleet's quota stayed full until the task's time ran out; nothing was sent. */
export class QuotaTimeoutError extends DashScopeError {
  /** How long the task waited for the quota, in milliseconds. */
  readonly waitedMs: number;

  constructor(waitedMs: number, limits: string) {
    super(
      'DS_ERR_QUOTA_TIMEOUT',
      `The fleet-wide quota (${limits}) stayed full for ${Math.round(waitedMs)} ms, so the task was not started: ` +
        'other processes sharing the quota hold it; raise the task timeoutMs, the pool acquireTimeoutMs or ' +
        "the quota's acquireTimeoutMs, or run fewer tasks at once",
      { retryable: true },
    );
    this.waitedMs = waitedMs;
  }
}

/**
 * The quota's store (Redis) failed and the quota's policy is `onRedisError: 'fail'`: tasks fail
 * at once until it answers again. `cause` holds the store's error.
 */
export class QuotaUnavailableError extends DashScopeError {
  constructor(cause: unknown) {
    const why = cause instanceof Error ? `: ${cause.message}` : '';
    super(
      'DS_ERR_QUOTA_UNAVAILABLE',
      `The fleet-wide quota cannot reach Redis${why}; tasks fail until it answers again ` +
        "(check Redis, or use onRedisError: 'local-share' to go on with a local share of the budget)",
      { cause, retryable: true },
    );
  }
}
