/**
 * Whether the pool can serve at all: the fail-fast rule (tarn's `propagateCreateError`).
 *
 * The pool is *down* while it has no open connection and its last connection attempt failed.
 * A full *round* of failures is one failed attempt per connection it opens at once
 * (`min(maxSize, connectConcurrency)`) with none succeeding in between. While the pool is down,
 * a waiting borrower (or `ready()`) fails with `PoolUnavailableError`, its `cause` the last
 * connect error, at the first failed attempt after it began waiting once a round has failed, or
 * once it has waited `connectTimeoutMs`, whichever is first. It never fails on failures older
 * than its wait, so a caller that tries again at once waits for the next attempt (no hot loop),
 * and is served if that attempt succeeds. Failures while some connection is open change
 * nothing: borrowers wait as before.
 */
import type { DashScopeError } from '../errors/index.js';
import type { PoolMetricsRecorder } from './metrics.js';

export class Availability {
  readonly #metrics: PoolMetricsRecorder;
  readonly #roundSize: number;
  readonly #listeners = new Set<() => void>();
  /** Failed attempts since the last success or since some connection was open. */
  #failures = 0;
  /** Failed attempts while down, ever: a waiter compares it with its value when it began. */
  #failureCount = 0;
  #lastError: DashScopeError | undefined;

  /**
   * @param metrics whose `connections.open` says whether a connection is open.
   * @param roundSize failed attempts in a row that make a full round.
   */
  constructor(metrics: PoolMetricsRecorder, roundSize: number) {
    this.#metrics = metrics;
    this.#roundSize = Math.max(1, roundSize);
  }

  /** No connection is open and the last attempt failed. */
  get isDown(): boolean {
    return this.#failures > 0 && this.#metrics.connections.open === 0;
  }

  /** Down, and a full round of attempts has failed. */
  get roundFailed(): boolean {
    return this.isDown && this.#failures >= this.#roundSize;
  }

  /** How many attempts have failed while the pool was down, since it was made. */
  get failureCount(): number {
    return this.#failureCount;
  }

  /** The error of the last failed attempt while down. */
  get lastError(): DashScopeError | undefined {
    return this.#lastError;
  }

  /** Counts a failed connect; listeners are told when the pool is down. */
  recordFailure(error: DashScopeError): void {
    if (this.#metrics.connections.open > 0) {
      this.#failures = 0;
      return;
    }
    this.#failures += 1;
    this.#failureCount += 1;
    this.#lastError = error;
    for (const listener of [...this.#listeners]) listener();
  }

  /** A connection opened: the pool is up. */
  recordSuccess(): void {
    this.#failures = 0;
    this.#lastError = undefined;
  }

  /** Calls `listener` after every failed attempt while the pool is down; returns the unsubscribe. */
  onFailure(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
