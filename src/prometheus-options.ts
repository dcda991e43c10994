/**
 * The options and structural types of the Prometheus export (`registerPoolMetrics`).
 */
import type { PoolMetrics } from './pool/metrics.js';
import type { PoolStats } from './pool/object-pool.js';
import type { TaskMetrics } from './synthesizer/task-metrics.js';

/**
 * The prom-client module, or anything with compatible `Gauge`, `Counter` and `Histogram`
 * classes (and, unless a registry is passed, a default `register`).
 */
export interface PromClientLike {
  /** prom-client's `Gauge` class. */
  Gauge: MetricClassLike;
  /** prom-client's `Counter` class. */
  Counter: MetricClassLike;
  /** prom-client's `Histogram` class. */
  Histogram: MetricClassLike;
  /** prom-client's default registry, used when no `registry` option is given. */
  register?: unknown;
}

/** A prom-client metric class (`Gauge`, `Counter`, `Histogram`), seen structurally. */
export interface MetricClassLike {
  /**
   * Creates and registers a metric from its configuration.
   * @param config The metric's name, help, labels, registries (and buckets, collect).
   */
  // `never` accepts prom-client's own constructor types without importing them.
  new (config: never): unknown;
}

/** Options of {@link registerPoolMetrics}. */
export interface PoolMetricsOptions {
  /** A prom-client `Registry`. Default: prom-client's default registry (`client.register`). */
  registry?: unknown;
  /**
   * The value of the `pool` label on every series of this pool. Each pool exported to the same
   * registry (with the same prefix) needs its own name. Default `default`.
   */
  name?: string;
  /** Prefix of every metric name. Default `dashscope_tts_`. */
  prefix?: string;
  /**
   * Histogram bucket upper bounds in seconds, per histogram. They take effect when the histogram
   * is first created in a registry; later pools share it. Defaults: first packet 5 ms to 10 s,
   * task duration 50 ms to 120 s, borrow wait 0.1 ms to 30 s.
   */
  buckets?: Partial<Record<'firstPacketDelay' | 'taskDuration' | 'borrowWait', number[]>>;
}

/** Default histogram buckets, in seconds. */
export const DEFAULT_BUCKETS = Object.freeze({
  /** First audio typically arrives within 0.2–0.8 s of a task's start on the real service. */
  firstPacketDelay: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1, 1.5, 2, 3, 5, 10],
  /** Whole tasks last as long as their text takes to synthesize. */
  taskDuration: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120],
  /** Zero when a connection is free; up to `acquireTimeoutMs` when the pool is exhausted. */
  borrowWait: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
});

/**
 * What the export reads from a pool: `stats()`, `metrics()` and two of its events: `borrow` for
 * the borrow wait, `task` (every task that ends) for first-packet delay and task duration.
 */
export interface PoolMetricsSource {
  /** The pool's size right now. */
  stats(): PoolStats;
  /** The pool's counters, ratios and percentiles. */
  metrics(): PoolMetrics;
  /** Subscribes to the pool's `borrow` event. */
  on(event: 'borrow', listener: (info: { waitMs: number }) => void): unknown;
  /** Subscribes to the pool's `task` event. */
  on(event: 'task', listener: (metrics: TaskMetrics) => void): unknown;
  /** Unsubscribes from the pool's `borrow` event. */
  off(event: 'borrow', listener: (info: { waitMs: number }) => void): unknown;
  /** Unsubscribes from the pool's `task` event. */
  off(event: 'task', listener: (metrics: TaskMetrics) => void): unknown;
}

/** Undoes a {@link registerPoolMetrics}: the pool's series disappear from the registry. */
export type UnregisterPoolMetrics = () => void;
