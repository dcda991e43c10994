/**
 * Prometheus export of a pool's stats and metrics through `prom-client`, an optional peer
 * dependency: the caller passes the module in, so the library never imports it.
 *
 * ```ts
 * import * as promClient from 'prom-client';
 * registerPoolMetrics(pool, promClient);            // default registry, prefix dashscope_tts_
 * ```
 */
import type { SpeechSynthesizerObjectPool } from './pool.js';
import { registerQuotaGauges } from './quota/prometheus.js';

/** The part of prom-client's Gauge used here (structural, so prom-client's types are not needed). */
interface GaugeLike {
  set(labels: Record<string, string>, value: number): void;
  set(value: number): void;
}

interface GaugeConfig {
  name: string;
  help: string;
  labelNames?: string[];
  registers?: unknown[];
  collect?: (this: GaugeLike) => void;
}

/** The prom-client module, or anything with a compatible `Gauge` class. */
export interface PromClientLike {
  // `never` accepts prom-client's own constructor type without importing its types.
  Gauge: new (config: never) => unknown;
}

export interface PoolMetricsOptions {
  /** A prom-client Registry; default: prom-client's global registry. */
  registry?: unknown;
  /** Prefix of every metric name. Default `dashscope_tts_`. */
  prefix?: string;
}

/**
 * Registers gauges that read the pool's `stats()` and `metrics()` at every scrape: pool size and
 * state, utilization, connection reuse ratio, error rate, task and connection counts, and
 * first-packet, end-to-end and borrow-wait quantiles (seconds), and the fleet quota's gauges
 * when the pool has a `quota` (leases, waits, Redis calls and errors, fallback state).
 */
export function registerPoolMetrics(
  pool: SpeechSynthesizerObjectPool,
  client: PromClientLike,
  options: PoolMetricsOptions = {},
): void {
  const prefix = options.prefix ?? 'dashscope_tts_';
  const registers = options.registry === undefined ? undefined : [options.registry];
  const Gauge = client.Gauge as unknown as new (config: GaugeConfig) => GaugeLike;
  const gauge = (
    name: string,
    help: string,
    collect: (g: GaugeLike) => void,
    labelNames?: string[],
  ): void => {
    new Gauge({
      name: `${prefix}${name}`,
      help,
      ...(labelNames ? { labelNames } : {}),
      ...(registers ? { registers } : {}),
      collect() {
        collect(this);
      },
    });
  };

  gauge(
    'pool_synthesizers',
    'Pooled synthesizers by state',
    (g) => {
      const stats = pool.stats();
      for (const state of ['size', 'available', 'borrowed', 'pending', 'connecting', 'closing'] as const) {
        g.set({ state }, stats[state]);
      }
    },
    ['state'],
  );
  gauge('pool_max_size', 'Configured maximum pool size', (g) => g.set(pool.stats().maxSize));
  gauge(
    'pool_utilization_ratio',
    'Borrowed / maxSize, now and at its peak',
    (g) => {
      const { utilization } = pool.metrics();
      g.set({ kind: 'current' }, utilization.current);
      g.set({ kind: 'peak' }, utilization.peak);
    },
    ['kind'],
  );
  gauge('connection_reuse_ratio', 'Tasks that found an open connection / all tasks', (g) =>
    g.set(pool.metrics().connectionReuseRatio),
  );
  gauge('task_error_ratio', 'Failed tasks / all tasks', (g) => g.set(pool.metrics().errorRate));
  gauge(
    'tasks',
    'Tasks ended, by outcome (monotonic)',
    (g) => {
      const { tasks } = pool.metrics();
      for (const outcome of ['finished', 'failed', 'cancelled', 'retried'] as const)
        g.set({ outcome }, tasks[outcome]);
    },
    ['outcome'],
  );
  gauge(
    'connections',
    'Connection events (monotonic) and open connections',
    (g) => {
      const { connections } = pool.metrics();
      for (const event of ['open', 'created', 'closed', 'renewed', 'failedAttempts'] as const) {
        g.set({ event }, connections[event]);
      }
    },
    ['event'],
  );
  if (pool.metrics().quota) registerQuotaGauges(gauge, () => pool.metrics().quota);
  const latencies = {
    first_packet_delay_seconds: 'firstPacketDelayMs',
    end_to_end_seconds: 'endToEndMs',
    borrow_wait_seconds: 'borrowWaitMs',
  } as const;
  for (const [name, key] of Object.entries(latencies)) {
    gauge(
      name,
      `Quantiles of ${key.replace(/Ms$/, '')} over recent tasks, in seconds`,
      (g) => {
        const summary = pool.metrics()[key];
        for (const quantile of ['p50', 'p90', 'p95', 'p99'] as const) {
          g.set({ quantile: `0.${quantile.slice(1)}` }, summary[quantile] / 1000);
        }
      },
      ['quantile'],
    );
  }
}
