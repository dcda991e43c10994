/**
 * The contract between the synthesizer (or pool) and a quota shared by many processes: a lease
 * per running task, a start per run-task, and a store that decides both atomically. Types only;
 * nothing here knows about Redis.
 */
import type { LatencySummary } from '../metrics.js';

/** How long, and until what, an acquisition may wait. */
export interface QuotaAcquireOptions {
  /** Gives up waiting (with `AbortError`) when it aborts. */
  signal?: AbortSignal | undefined;
  /** A `performance.now()` time by which the wait must be over (the task's `timeoutMs`). */
  deadline?: number | undefined;
  /** Longest wait in ms; default the quota's `acquireTimeoutMs` (a pool passes its own). */
  maxWaitMs?: number | undefined;
}

/** One running task's share of the fleet's concurrency. */
export interface QuotaLease {
  /** Unique across the fleet (`<process id>:<sequence>`). */
  readonly id: string;
  /**
   * Takes one more start (the rate part only) for a further run-task of the same task, a retry,
   * waiting as {@link Quota.acquire} does. The lease keeps its slot meanwhile.
   * @throws {QuotaTimeoutError} / {AbortError} / {QuotaUnavailableError} as `acquire` does.
   */
  restart(options?: QuotaAcquireOptions): Promise<void>;
  /** Gives the slot back; idempotent, never throws (the store is told in the background). */
  release(): void;
}

/** A budget shared by every process that uses the same store and key. */
export interface Quota {
  /**
   * Waits (first come, first served in this process) until a task may start: a free slot of
   * `maxConcurrentTasks` and a start of `maxTasksPerSecond`.
   * @throws {QuotaTimeoutError} when the wait ran past the deadline or `maxWaitMs`.
   * @throws {AbortError} when `signal` aborted. {QuotaUnavailableError} when the store failed
   *   and the policy is to fail fast. {ClosedError} after `close()`.
   */
  acquire(options?: QuotaAcquireOptions): Promise<QuotaLease>;
  /** Waits, leases, store round trips and errors, fallback state. */
  metrics(): QuotaMetrics;
  /**
   * Rejects waiters, releases this process's leases in the store (best effort, bounded) and
   * stops every timer. The store's client (e.g. the Redis client) is left open. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * `shared`: the store decides. `fallback`: the store failed, this process runs on its local share.
 * `unavailable`: the store failed and the policy fails tasks fast. `closed`: after close().
 */
export type QuotaMode = 'shared' | 'fallback' | 'unavailable' | 'closed';

/** What a quota has done in this process, and what it last heard of the fleet. */
export interface QuotaMetrics {
  /** Whether the quota runs on the shared budget, its local fallback share, fails fast, or is closed. */
  mode: QuotaMode;
  /** The fleet-wide limits. */
  limits: {
    /** Tasks running at once across the fleet; null without that limit. */
    maxConcurrentTasks: number | null;
    /** Tasks started per second across the fleet; null without that limit. */
    maxTasksPerSecond: number | null;
  };
  /** Leases this process holds now. */
  leasesHeld: number;
  /** The most leases this process has held at once. */
  peakLeasesHeld: number;
  /** Acquisitions (and restarts) waiting now. */
  waiting: number;
  /** Leases granted. */
  acquired: number;
  /** Extra starts granted to held leases (a task's retries: the service counts every run-task). */
  restarts: number;
  /** Acquisitions that could not be served at once and had to wait for the fleet. */
  waited: number;
  /** Wait from acquire() to the grant, over recent acquisitions (ms). */
  waitMs: LatencySummary;
  /** Acquisitions that ran out of time without a lease (`QuotaTimeoutError`). */
  timeouts: number;
  /** Acquisitions whose task was aborted or ended while waiting. */
  aborted: number;
  /** Acquisitions refused because the store failed and the policy is `fail` (`QuotaUnavailableError`). */
  unavailable: number;
  /** What the store said at its last answer. */
  fleet: {
    /** Leases held across the fleet. */
    leases: number;
    /** Processes that have used the quota recently. */
    processes: number;
  };
  /** Store round trips and failures. */
  store: {
    /** Store calls made. */
    calls: number;
    /** Store calls that failed or timed out. */
    errors: number;
    /** The message of the last failure, if any. */
    lastError: string | undefined;
    /** Round-trip time of store calls (ms). */
    roundTripMs: LatencySummary;
  };
  /** The local-share fallback used while the store fails. */
  fallback: {
    /** Whether this process runs on its local share now. */
    active: boolean;
    /** How many times the fallback engaged. */
    engaged: number;
    /** Total time spent in the fallback (ms). */
    totalMs: number;
    /** This process's share of the budget while in the fallback. */
    share: {
      /** Tasks this process may run at once; null without that limit. */
      maxConcurrentTasks: number | null;
      /** Tasks this process may start per second; null without that limit. */
      maxTasksPerSecond: number | null;
    };
  };
}

/** Events of a shared quota. Listeners must not throw (their throws are ignored). */
export interface QuotaEvents {
  /** The store failed; this process now runs on its local share. */
  fallback: (info: { error: Error; share: QuotaMetrics['fallback']['share'] }) => void;
  /** The store failed and the policy is to fail fast: tasks fail until it answers. */
  unavailable: (info: { error: Error }) => void;
  /** The store answers again after a fallback or unavailability of `afterMs`. */
  recover: (info: { afterMs: number }) => void;
  /** Every failed or timed-out store call. */
  storeError: (error: Error) => void;
}

/** One thing asked of the store: a new lease (slot and start), or a start for a held lease. */
export interface QuotaRequest {
  kind: 'lease' | 'start';
  id: string;
}

/** One atomic step of the store: release, renew (and adopt), then grant requests in order. */
export interface QuotaStep {
  release: readonly string[];
  renew: readonly string[];
  requests: readonly QuotaRequest[];
}

export interface QuotaStepResult {
  /** How many of the requests, from the first, were granted (the store stops at the first refusal). */
  granted: number;
  /** Why it stopped: 0 it did not, -1 no free slot, > 0 ms until the next start is allowed. */
  waitMs: number;
  /** Leases held across the fleet after the step. */
  fleetLeases: number;
  /** Processes that used the quota within the last few lease periods (this one included). */
  processes: number;
}

/** Where the shared state lives (Redis, in `dashscope-tts-pool/redis`). */
export interface QuotaStore {
  /** A unique id of this process's quota, the prefix of its lease ids. */
  readonly processId: string;
  /** Runs one step atomically. Rejects when the store fails (the quota then applies its policy). */
  step(step: QuotaStep): Promise<QuotaStepResult>;
}
