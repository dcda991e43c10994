/** Counters and latency percentiles over a sliding window of recent samples. */

/** Percentiles of recent samples, in milliseconds. */
export interface LatencySummary {
  /** Samples recorded since the start (the percentiles cover the most recent window). */
  count: number;
  /** Mean of the window, ms. */
  mean: number;
  /** Median of the window, ms. */
  p50: number;
  /** 90th percentile of the window, ms. */
  p90: number;
  /** 95th percentile of the window, ms. */
  p95: number;
  /** 99th percentile of the window, ms. */
  p99: number;
  /** Largest sample of the window, ms. */
  max: number;
}

/** Keeps the last `capacity` samples in a ring buffer; percentiles are computed on demand. */
export class LatencyRecorder {
  readonly #samples: Float64Array;
  #next = 0;
  #size = 0;
  #count = 0;

  constructor(capacity = 4096) {
    this.#samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#samples.length;
    if (this.#size < this.#samples.length) this.#size += 1;
    this.#count += 1;
  }

  get count(): number {
    return this.#count;
  }

  summary(): LatencySummary {
    if (this.#size === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 };
    const sorted = this.#samples.slice(0, this.#size).sort();
    let sum = 0;
    for (const value of sorted) sum += value;
    return {
      count: this.#count,
      mean: sum / sorted.length,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1]!,
    };
  }
}

/** Nearest-rank percentile of ascending `sorted` values. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}
