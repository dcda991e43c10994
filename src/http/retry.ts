/**
 * The opt-in retry policy for throttled (429) and failed (5xx) calls: bounded attempts,
 * exponential back-off with full jitter, and at least the server's `Retry-After`.
 */
import { checkInteger, checkPositiveMs } from '../config.js';
import { describeValue } from '../util/describe-value.js';
import { HttpRequestError, InvalidOptionError } from '../errors/index.js';

/** Retry settings. Any field left out takes its default. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 3. */
  maxAttempts?: number | undefined;
  /** Back-off cap before the first retry, doubled per retry. Default 500 ms. */
  baseDelay?: number | undefined;
  /** Longest wait between attempts. A longer `Retry-After` ends the retries. Default 30 000 ms. */
  maxDelay?: number | undefined;
  /** HTTP statuses worth another attempt. Default 429, 500, 502, 503, 504. */
  statuses?: readonly number[] | undefined;
}

/** Retry settings after defaults and validation. */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelay: number;
  maxDelay: number;
  statuses: ReadonlySet<number>;
}

/** No retries: the default. */
export const NO_RETRY: RetryPolicy = Object.freeze({
  maxAttempts: 1,
  baseDelay: 500,
  maxDelay: 30_000,
  statuses: new Set<number>(),
});

/**
 * Resolves the `retry` call option: `false`/absent = no retries, `true` = defaults.
 * @throws {InvalidOptionError} naming the bad field and value.
 */
export function resolveRetryPolicy(option: boolean | RetryOptions | undefined): RetryPolicy {
  if (option === undefined || option === false) return NO_RETRY;
  if (option !== true && (typeof option !== 'object' || option === null)) {
    throw new InvalidOptionError(
      'retry',
      `invalid retry ${describeValue(option)}: expected a boolean or an object`,
    );
  }
  const o: RetryOptions = option === true ? {} : option;
  const policy = {
    maxAttempts: o.maxAttempts ?? 3,
    baseDelay: o.baseDelay ?? 500,
    maxDelay: o.maxDelay ?? 30_000,
    statuses: new Set(o.statuses ?? [429, 500, 502, 503, 504]),
  };
  checkInteger('retry.maxAttempts', policy.maxAttempts, 1, 100);
  checkPositiveMs('retry.baseDelay', policy.baseDelay);
  checkPositiveMs('retry.maxDelay', policy.maxDelay);
  for (const s of policy.statuses) checkInteger('retry.statuses', s, 100, 599);
  return policy;
}

/**
 * How long to wait before attempt `attempt + 1` after `error` failed attempt `attempt` (1-based),
 * or `undefined` when the call should not be retried.
 */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  error: unknown,
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  if (!(error instanceof HttpRequestError) || !policy.statuses.has(error.status)) return undefined;
  const cap = Math.min(policy.maxDelay, policy.baseDelay * 2 ** (attempt - 1));
  const jittered = random() * cap;
  if (error.retryAfterSeconds === undefined) return jittered;
  const floor = error.retryAfterSeconds * 1000;
  // Waiting longer than the caller allows is worse than failing now with the server's answer.
  if (floor > policy.maxDelay) return undefined;
  return Math.max(floor, jittered);
}
