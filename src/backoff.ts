/** Back-off delays. Both are per attempt and random, so that clients never retry in lock-step. */

/** Full jitter: uniform in [0, min(max, initial * 2^attempt)]. For retries of one request. */
export function fullJitter(initialMs: number, maxMs: number, attempt: number): number {
  return Math.random() * Math.min(maxMs, initialMs * 2 ** attempt);
}

/**
 * Equal jitter: half the exponential step plus a random half, so there is always a floor. For
 * reconnect loops, which must never spin however many run at once.
 */
export function equalJitter(initialMs: number, maxMs: number, attempt: number): number {
  const step = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return step / 2 + Math.random() * (step / 2);
}
