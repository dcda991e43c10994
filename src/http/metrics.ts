/**
 * Counters and latency percentiles of one HTTP connection pool. Latencies are kept in a bounded
 * ring (the most recent samples), so memory stays flat however long the process runs.
 */

/**
 * Latency percentiles in milliseconds over the most recent calls (0 when there were none). Same
 * fields as the TTS pool's `LatencySummary`.
 */
export interface HttpLatencySummary {
  /** Calls recorded since the start (the percentiles cover the most recent 2048). */
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

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

const RING_SIZE = 2048;

/** Mutable metrics; read them through `snapshot()`. */
export class HttpMetrics {
  #calls = 0;
  #errors = 0;
  #requests = 0;
  #reused = 0;
  #opened = 0;
  #stale = 0;
  #retries = 0;
  readonly #ring = new Float64Array(RING_SIZE);
  #samples = 0;

  /** Counts a started call. */
  callStarted(): void {
    this.#calls += 1;
  }

  /** Records a finished call: its latency, and whether it failed. */
  callFinished(latencyMs: number, failed: boolean): void {
    if (failed) this.#errors += 1;
    this.#ring[this.#samples % RING_SIZE] = latencyMs;
    this.#samples += 1;
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
      latencyMs: {
        ...summarize(this.#ring.subarray(0, Math.min(this.#samples, RING_SIZE))),
        count: this.#samples,
      },
    };
  }
}

/** Nearest-rank percentiles of `samples` (not modified). */
export function summarize(samples: ArrayLike<number>): HttpLatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  if (n === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 };
  const at = (p: number): number => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { count: n, mean: sum / n, p50: at(50), p90: at(90), p95: at(95), p99: at(99), max: sorted[n - 1]! };
}
