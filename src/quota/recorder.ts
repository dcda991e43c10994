/** The counters and latency samples behind a quota's `metrics()`. */
import { LatencyRecorder } from '../metrics.js';
import type { QuotaMetrics, QuotaMode, QuotaStepResult } from './types.js';
import type { Waiter } from './waiter.js';

export interface QuotaState {
  mode: QuotaMode;
  limits: QuotaMetrics['limits'];
  leasesHeld: number;
  waiting: number;
  fallbackActive: boolean;
  fallbackSinceMs: number;
  share: QuotaMetrics['fallback']['share'];
}

export class QuotaRecorder {
  acquired = 0;
  restarts = 0;
  waited = 0;
  timeouts = 0;
  aborted = 0;
  unavailable = 0;
  peakHeld = 0;
  fleetLeases = 0;
  /** Processes the store saw at its last answer (1 before any). */
  processes = 1;
  calls = 0;
  errors = 0;
  lastErrorObject: Error | undefined;
  fallbackEngagedCount = 0;
  fallbackTotalMs = 0;
  readonly #waits = new LatencyRecorder();
  readonly #roundTrips = new LatencyRecorder();

  held(count: number): void {
    this.peakHeld = Math.max(this.peakHeld, count);
  }

  granted(waiter: Waiter): void {
    if (waiter.kind === 'lease') this.acquired++;
    else this.restarts++;
    if (waiter.refused) this.waited++;
    this.#waits.record(waiter.waitedMs);
  }

  stored(roundTripMs: number, result: QuotaStepResult): void {
    this.calls++;
    this.#roundTrips.record(roundTripMs);
    this.fleetLeases = result.fleetLeases;
    this.processes = Math.max(1, result.processes);
  }

  storeError(error: Error): void {
    this.calls++;
    this.errors++;
    this.lastErrorObject = error;
  }

  fallbackEngaged(): void {
    this.fallbackEngagedCount++;
  }

  fallbackEnded(ms: number): void {
    this.fallbackTotalMs += ms;
  }

  snapshot(state: QuotaState): QuotaMetrics {
    return {
      mode: state.mode,
      limits: state.limits,
      leasesHeld: state.leasesHeld,
      peakLeasesHeld: this.peakHeld,
      waiting: state.waiting,
      acquired: this.acquired,
      restarts: this.restarts,
      waited: this.waited,
      waitMs: this.#waits.summary(),
      timeouts: this.timeouts,
      aborted: this.aborted,
      unavailable: this.unavailable,
      fleet: { leases: this.fleetLeases, processes: this.processes },
      store: {
        calls: this.calls,
        errors: this.errors,
        lastError: this.lastErrorObject?.message,
        roundTripMs: this.#roundTrips.summary(),
      },
      fallback: {
        active: state.fallbackActive,
        engaged: this.fallbackEngagedCount,
        totalMs: this.fallbackTotalMs + state.fallbackSinceMs,
        share: state.share,
      },
    };
  }
}
