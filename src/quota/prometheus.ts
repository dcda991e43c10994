/** The quota's part of the Prometheus export (see `registerPoolMetrics`). */
import type { QuotaMetrics } from './types.js';

/** Sets a gauge's value, with or without labels (prom-client's `Gauge.set`). */
export interface GaugeSetter {
  set(labels: Record<string, string>, value: number): void;
  set(value: number): void;
}

/** Registers one gauge whose value is read at scrape time. */
export type DefineGauge = (
  name: string,
  help: string,
  collect: (gauge: GaugeSetter) => void,
  labelNames?: string[],
) => void;

/**
 * Registers the quota gauges: leases held and waiting, acquisitions by outcome, wait quantiles,
 * Redis calls and errors, the fleet's leases and processes, and the fallback state.
 */
export function registerQuotaGauges(define: DefineGauge, read: () => QuotaMetrics | undefined): void {
  const each = (collect: (gauge: GaugeSetter, metrics: QuotaMetrics) => void) => (gauge: GaugeSetter) => {
    const metrics = read();
    if (metrics) collect(gauge, metrics);
  };
  define(
    'quota_leases',
    'Fleet quota leases held by this process, waiting acquisitions, and leases across the fleet (last seen)',
    each((g, m) => {
      g.set({ kind: 'held' }, m.leasesHeld);
      g.set({ kind: 'waiting' }, m.waiting);
      g.set({ kind: 'fleet' }, m.fleet.leases);
    }),
    ['kind'],
  );
  define(
    'quota_acquisitions',
    'Fleet quota acquisitions by outcome (monotonic)',
    each((g, m) => {
      for (const outcome of [
        'acquired',
        'restarts',
        'waited',
        'timeouts',
        'aborted',
        'unavailable',
      ] as const) {
        g.set({ outcome }, m[outcome]);
      }
    }),
    ['outcome'],
  );
  define(
    'quota_wait_seconds',
    'Quantiles of the wait for the fleet quota over recent acquisitions, in seconds',
    each((g, m) => {
      for (const quantile of ['p50', 'p90', 'p95', 'p99'] as const) {
        g.set({ quantile: `0.${quantile.slice(1)}` }, m.waitMs[quantile] / 1000);
      }
    }),
    ['quantile'],
  );
  define(
    'quota_store_calls',
    'Redis calls of the fleet quota, and the failed or timed-out ones (monotonic)',
    each((g, m) => {
      g.set({ result: 'all' }, m.store.calls);
      g.set({ result: 'error' }, m.store.errors);
    }),
    ['result'],
  );
  define(
    'quota_fallback_active',
    '1 while the fleet quota runs on its local share because Redis failed, else 0',
    each((g, m) => g.set(m.fallback.active || m.mode === 'unavailable' ? 1 : 0)),
  );
  define(
    'quota_fallback_engaged',
    'Times the fleet quota fell back to its local share (monotonic)',
    each((g, m) => g.set(m.fallback.engaged)),
  );
}
