/**
 * Prometheus export of a pool through `prom-client`, an optional peer dependency: the caller
 * passes the module in, so the library never imports it.
 *
 * Names follow Prometheus' conventions: monotonic counts are counters ending in `_total`,
 * latencies are histograms in seconds, and every series carries a `pool` label, so that several
 * pools share one registry (each registration adds its pool to the same metric objects).
 *
 * ```ts
 * import * as promClient from 'prom-client';
 * registerPoolMetrics(pool, promClient, { name: 'tts' }); // default registry, dashscope_tts_*
 * ```
 */
import { InvalidOptionError } from './errors/index.js';
import {
  DEFAULT_BUCKETS,
  type PoolMetricsOptions,
  type PoolMetricsSource,
  type PromClientLike,
  type UnregisterPoolMetrics,
} from './prometheus-options.js';
import type { TaskMetrics } from './synthesizer/task-metrics.js';
import { registerQuotaGauges, type DefineGauge, type GaugeSetter } from './quota/prometheus.js';

export type {
  MetricClassLike,
  PoolMetricsOptions,
  PoolMetricsSource,
  PromClientLike,
  UnregisterPoolMetrics,
} from './prometheus-options.js';

// The structural parts of prom-client's metrics used here.
type Labels = Record<string, string>;
interface Collected {
  name: string;
  reset(): void;
  set?(labels: Labels, value: number): void;
  inc?(labels: Labels, value: number): void;
}
interface HistogramLike {
  observe(labels: Labels, value: number): void;
  zero(labels: Labels): void;
  remove(labels: Labels): void;
}
interface MetricConfig {
  name: string;
  help: string;
  labelNames: string[];
  registers: unknown[];
  buckets?: number[];
  collect?: (this: Collected) => void;
}
type MetricClass = new (config: MetricConfig) => unknown;
interface RegistryLike {
  getSingleMetric?(name: string): unknown;
}

/** One metric object in one registry, shared by every pool exported there. */
interface Shared {
  metric: unknown;
  /** Per pool name: writes that pool's values at scrape time (a no-op for histograms). */
  readers: Map<string, (metric: Collected) => void>;
}

type Reader = (metric: Collected) => void;
type Write = (value: number, labels?: Labels) => void;

const registries = new WeakMap<object, Map<string, Shared>>();

/**
 * Exports a pool's state to Prometheus through prom-client. Gauges and counters read the pool's
 * `stats()` and `metrics()` at every scrape; histograms observe each borrow (and each task, once
 * the pool emits `task` events).
 *
 * Series (with the default prefix `dashscope_tts_`, each labelled `pool`):
 * gauges `pool_max_size`, `pool_size`, `pool_synthesizers{state}` (available, borrowed,
 * connecting, closing), `pool_waiting_borrowers`, `pool_utilization_ratio`,
 * `pool_peak_utilization_ratio`, `connections_open`; counters `tasks_total{outcome}` (finished,
 * failed, cancelled), `tasks_retried_total`, `tasks_reused_connection_total`,
 * `connections_created_total`, `connections_closed_total`, `connections_renewed_total`,
 * `connection_failures_total`, `borrows_total`, `returns_total{result}` (kept, discarded);
 * histograms `first_packet_delay_seconds`, `task_duration_seconds` (finished tasks) and
 * `borrow_wait_seconds`.
 *
 * @param pool The pool to export.
 * @param client The prom-client module (`import * as promClient from 'prom-client'`).
 * @param options Registry, pool name, prefix and buckets.
 * @returns A function that removes this pool's series again.
 * @throws {InvalidOptionError} when the registry already exports a pool of the same name, when
 *   a metric of the same name was registered by something else, or for a bad option.
 */
export function registerPoolMetrics(
  pool: PoolMetricsSource,
  client: PromClientLike,
  options: PoolMetricsOptions = {},
): UnregisterPoolMetrics {
  const { prefix, name, registry } = resolveOptions(client, options);
  let owned = registries.get(registry);
  if (!owned) registries.set(registry, (owned = new Map<string, Shared>()));
  const metrics = owned;
  const full = (metric: string): string => `${prefix}${metric}`;
  /** Our entry for a metric, unless the registry has since dropped it (`registry.clear()`). */
  const live = (key: string): Shared | undefined => {
    const entry = metrics.get(key);
    if (entry && registry.getSingleMetric && registry.getSingleMetric(key) !== entry.metric) {
      metrics.delete(key);
      return undefined;
    }
    return entry;
  };
  for (const metric of METRIC_NAMES) {
    if (live(full(metric))?.readers.has(name)) {
      throw new InvalidOptionError(
        'name',
        `a pool named ${JSON.stringify(name)} is already exported to this registry: ` +
          'give each pool its own name option',
      );
    }
  }
  for (const metric of METRIC_NAMES) {
    if (!metrics.has(full(metric)) && registry.getSingleMetric?.(full(metric)) !== undefined) {
      throw new InvalidOptionError(
        'prefix',
        `a metric named ${full(metric)} is already registered in this registry by something else: ` +
          'pass another prefix or registry',
      );
    }
  }

  /** The registry's metric of that name, created on first use; this pool joins it. */
  const join = (
    metric: string,
    Class: MetricClass,
    help: string,
    labels: string[],
    reader: Reader,
    extra = {},
  ) => {
    const key = full(metric);
    let entry = live(key);
    if (!entry) {
      const readers = new Map<string, Reader>();
      const made = new Class({
        name: key,
        help,
        labelNames: ['pool', ...labels],
        registers: [registry],
        ...extra,
      });
      entry = { metric: made, readers };
      metrics.set(key, entry);
    }
    entry.readers.set(name, reader);
    return entry.metric;
  };
  const collectAll = {
    collect(this: Collected) {
      this.reset();
      for (const read of metrics.get(this.name)?.readers.values() ?? []) read(this);
    },
  };
  const pl = { pool: name };
  const gauge = (metric: string, help: string, read: (set: Write) => void, labels: string[] = []): void =>
    void join(
      metric,
      client.Gauge as unknown as MetricClass,
      help,
      labels,
      (m) => read((v, l) => m.set!({ ...pl, ...l }, v)),
      collectAll,
    );
  const counter = (metric: string, help: string, read: (inc: Write) => void, labels: string[] = []): void =>
    void join(
      metric,
      client.Counter as unknown as MetricClass,
      help,
      labels,
      (m) => read((v, l) => m.inc!({ ...pl, ...l }, v)),
      collectAll,
    );
  const histogram = (metric: string, help: string, buckets: readonly number[]): HistogramLike => {
    const Class = client.Histogram as unknown as MetricClass;
    const h = join(metric, Class, help, [], () => undefined, { buckets: [...buckets] }) as HistogramLike;
    // The series exists from the start with zero counts, like the counters.
    h.zero(pl);
    return h;
  };

  gauge('pool_max_size', 'Configured maximum number of pooled synthesizers', (set) =>
    set(pool.stats().maxSize),
  );
  gauge('pool_size', 'Pooled synthesizers that exist or are being created', (set) => set(pool.stats().size));
  gauge(
    'pool_synthesizers',
    'Pooled synthesizers by state',
    (set) => {
      const stats = pool.stats();
      for (const state of ['available', 'borrowed', 'connecting', 'closing'] as const) {
        set(stats[state], { state });
      }
    },
    ['state'],
  );
  gauge('pool_waiting_borrowers', 'Borrowers waiting for a synthesizer', (set) => set(pool.stats().pending));
  gauge('pool_utilization_ratio', 'Borrowed synthesizers / maximum pool size', (set) =>
    set(pool.metrics().utilization.current),
  );
  gauge('pool_peak_utilization_ratio', 'Highest borrowed / maximum pool size so far', (set) =>
    set(pool.metrics().utilization.peak),
  );
  gauge('connections_open', 'Open WebSocket connections', (set) => set(pool.metrics().connections.open));
  counter(
    'tasks_total',
    'Tasks ended, by outcome',
    (inc) => {
      const { tasks } = pool.metrics();
      for (const outcome of ['finished', 'failed', 'cancelled'] as const) inc(tasks[outcome], { outcome });
    },
    ['outcome'],
  );
  counter('tasks_retried_total', 'Tasks retried on a fresh connection before their first audio', (inc) =>
    inc(pool.metrics().tasks.retried),
  );
  counter('tasks_reused_connection_total', 'Tasks that found their connection already open', (inc) => {
    const m = pool.metrics();
    // metrics() gives the ratio over all tasks; the count behind it is an integer.
    inc(Math.round(m.connectionReuseRatio * m.tasks.total));
  });
  const connections = {
    connections_created_total: ['created', 'WebSocket connections opened'],
    connections_closed_total: ['closed', 'WebSocket connections closed'],
    connections_renewed_total: ['renewed', 'Idle connections renewed before the server would close them'],
    connection_failures_total: ['failedAttempts', 'Failed connection attempts'],
  } as const;
  for (const [metric, [key, help]] of Object.entries(connections)) {
    counter(metric, help, (inc) => inc(pool.metrics().connections[key]));
  }
  counter('borrows_total', 'Synthesizers lent out', (inc) => inc(pool.metrics().borrows));
  counter('borrows_abandoned_total', 'Synthesizers taken back from borrowers that left them idle', (inc) =>
    inc(pool.metrics().abandoned),
  );
  counter(
    'returns_total',
    'Synthesizers given back, by result (kept by the pool, or discarded and replaced)',
    (inc) => {
      const { returns } = pool.metrics();
      inc(returns.kept, { result: 'kept' });
      inc(returns.discarded, { result: 'discarded' });
    },
    ['result'],
  );

  // The fleet quota's gauges (dashscope_tts_quota_*), when the pool has a quota.
  const quotaNames: string[] = [];
  if (pool.metrics().quota) {
    const define: DefineGauge = (metric, help, collect, labels) => {
      quotaNames.push(metric);
      const setter = (set: Write): GaugeSetter => ({
        set: (a: Labels | number, b?: number) => (typeof a === 'number' ? set(a) : set(b ?? 0, a)),
      });
      gauge(metric, help, (set) => collect(setter(set)), labels);
    };
    registerQuotaGauges(define, () => pool.metrics().quota);
  }

  const buckets = { ...DEFAULT_BUCKETS, ...options.buckets };
  const firstPacket = histogram(
    'first_packet_delay_seconds',
    'From the start of a task to its first audio',
    buckets.firstPacketDelay,
  );
  const duration = histogram(
    'task_duration_seconds',
    'From the start of a finished task to its end',
    buckets.taskDuration,
  );
  const borrowWait = histogram(
    'borrow_wait_seconds',
    'How long a borrower waited for a synthesizer',
    buckets.borrowWait,
  );

  const onBorrow = (info: { waitMs: number }): void => borrowWait.observe(pl, info.waitMs / 1000);
  const onTask = (task: TaskMetrics): void => {
    if (task.firstPackageDelayMs >= 0) firstPacket.observe(pl, task.firstPackageDelayMs / 1000);
    if (task.outcome === 'finished' && task.totalMs !== undefined) duration.observe(pl, task.totalMs / 1000);
  };
  pool.on('borrow', onBorrow);
  pool.on('task', onTask);

  let registered = true;
  return () => {
    if (!registered) return;
    registered = false;
    pool.off('borrow', onBorrow);
    pool.off('task', onTask);
    for (const metric of [...METRIC_NAMES, ...quotaNames]) metrics.get(full(metric))?.readers.delete(name);
    for (const h of [firstPacket, duration, borrowWait]) h.remove(pl);
  };
}

function resolveOptions(
  client: PromClientLike,
  options: PoolMetricsOptions,
): { prefix: string; name: string; registry: RegistryLike } {
  const prefix = options.prefix ?? 'dashscope_tts_';
  const name = options.name ?? 'default';
  if (typeof prefix !== 'string' || !/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/.test(prefix)) {
    throw new InvalidOptionError(
      'prefix',
      `invalid prefix ${JSON.stringify(prefix)}: expected letters, digits, _ and :, not starting with a digit`,
    );
  }
  if (typeof name !== 'string' || name === '') {
    throw new InvalidOptionError('name', `invalid name ${JSON.stringify(name)}: expected a non-empty string`);
  }
  const registry = options.registry ?? client.register;
  if (typeof registry !== 'object' || registry === null) {
    throw new InvalidOptionError(
      'registry',
      'no registry: pass the prom-client module itself (it has a default register) or a registry option',
    );
  }
  return { prefix, name, registry };
}

const HISTOGRAM_NAMES: readonly string[] = [
  'first_packet_delay_seconds',
  'task_duration_seconds',
  'borrow_wait_seconds',
];

/** Every metric the export registers, without the prefix. */
const METRIC_NAMES: readonly string[] = Object.freeze([
  'pool_max_size',
  'pool_size',
  'pool_synthesizers',
  'pool_waiting_borrowers',
  'pool_utilization_ratio',
  'pool_peak_utilization_ratio',
  'connections_open',
  'tasks_total',
  'tasks_retried_total',
  'tasks_reused_connection_total',
  'connections_created_total',
  'connections_closed_total',
  'connections_renewed_total',
  'connection_failures_total',
  'borrows_total',
  'borrows_abandoned_total',
  'returns_total',
  ...HISTOGRAM_NAMES,
]);
