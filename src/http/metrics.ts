/**
 * Counters and latency percentiles of one HTTP connection pool. Latencies are kept in a bounded
 * ring (the most recent samples), so memory stays flat however long the process runs.
 */
import { LatencyRecorder, type LatencySummary } from '../metrics.js';

/** Latency percentiles of HTTP calls: the same shape as the TTS pool's. */
export type HttpLatencySummary = LatencySummary;

/** A snapshot of an HTTP connection pool's metrics. */
export interface HttpMetricsSnapshot {
  /** Calls started (`Generation.call`, a stream's first iteration, ...). */
  calls: number;
  /** Calls that ended in an error (aborts included). */
  errors: number;
  /** HTTP requests sent, retries included. */
  requests: number;
  /** Requests that went out on a kept-alive socket that had served an earlier request. */
  requestsOnReusedSocket: number;
  /** `requestsOnReusedSocket / requests` (0 before the first request). */
  reuseRatio: number;
  /** New TCP (or TLS) connections opened for requests. */
  socketsOpened: number;
  /** Requests re-sent once because a kept-alive socket turned out dead before any response byte. */
  staleSocketRetries: number;
  /** Requests re-sent by the opt-in retry policy (429 / 5xx). */
  retries: number;
  /** Whole-call latency: from the call to its last byte, queueing and retries included. */
  latencyMs: HttpLatencySummary;
}

/** Mutable metrics; read them through `snapshot()`. */
export class HttpMetrics {
  #calls = 0;
  #errors = 0;
  #requests = 0;
  #reused = 0;
  #opened = 0;
  #stale = 0;
  #retries = 0;
  readonly #latency = new LatencyRecorder(2048);

  /** Counts a started call. */
  callStarted(): void {
    this.#calls += 1;
  }

  /** Records a finished call: its latency, and whether it failed. */
  callFinished(latencyMs: number, failed: boolean): void {
    if (failed) this.#errors += 1;
    this.#latency.record(latencyMs);
  }

  /** Counts a request and the kind of socket it got. */
  requestSent(reusedSocket: boolean): void {
    this.#requests += 1;
    if (reusedSocket) this.#reused += 1;
    else this.#opened += 1;
  }

  /** Counts a stale-socket re-send. */
  staleSocketRetry(): void {
    this.#stale += 1;
  }

  /** Counts a retry by the retry policy. */
  retry(): void {
    this.#retries += 1;
  }

  /** A consistent copy of the counters. */
  snapshot(): HttpMetricsSnapshot {
    return {
      calls: this.#calls,
      errors: this.#errors,
      requests: this.#requests,
      requestsOnReusedSocket: this.#reused,
      reuseRatio: this.#requests === 0 ? 0 : this.#reused / this.#requests,
      socketsOpened: this.#opened,
      staleSocketRetries: this.#stale,
      retries: this.#retries,
      latencyMs: this.#latency.summary(),
    };
  }
}
