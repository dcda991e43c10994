/**
 * A quota shared by a fleet of processes through a store (Redis): leases for concurrency, starts
 * for the rate, decided by the store in one atomic step per round trip. Waiters of this process
 * are served first come, first served; only the head of the queue asks the store (a batch per
 * step), so a waiting process costs one store call per poll, however many tasks wait.
 *
 * Waiting: a refusal for the rate says exactly when the next start is allowed (store clock); a
 * refusal for concurrency is polled with an exponential, jittered back-off capped at
 * `maxPollDelayMs`, and any release in this process asks again at once.
 *
 * When the store fails: policy `local-share` serves waiters from this process's share of the
 * budget (limits divided by the processes expected) and probes the store until it answers, then
 * hands back to it (adopting the leases taken meanwhile); policy `fail` fails waiters at once.
 */
import { EventEmitter } from 'eventemitter3';
import { AbortError, ClosedError, QuotaTimeoutError, QuotaUnavailableError } from '../errors/index.js';
import { equalJitter } from '../backoff.js';
import { LocalShare } from './local-share.js';
import { QuotaRecorder } from './recorder.js';
import type {
  Quota,
  QuotaAcquireOptions,
  QuotaEvents,
  QuotaLease,
  QuotaMetrics,
  QuotaMode,
  QuotaRequest,
  QuotaStep,
  QuotaStepResult,
  QuotaStore,
} from './types.js';
import { waitUntil, Waiter } from './waiter.js';
import { within } from './within.js';

/** Requests sent in one store step at most. */
const MAX_BATCH = 64;
/** Releases kept for a store that does not answer; older ones expire there by themselves. */
const MAX_PENDING_RELEASES = 10_000;

export interface FleetQuotaOptions {
  store: QuotaStore;
  maxConcurrentTasks: number | undefined;
  maxTasksPerSecond: number | undefined;
  leaseMs: number;
  onStoreError: 'local-share' | 'fail';
  expectedProcesses: number | undefined;
  acquireTimeoutMs: number;
  commandTimeoutMs: number;
  maxPollDelayMs: number;
  probeIntervalMs: number;
}

interface LeaseOwner {
  restart(lease: Lease, options: QuotaAcquireOptions): Promise<void>;
  release(lease: Lease): void;
}

class Lease implements QuotaLease {
  released = false;

  constructor(
    readonly id: string,
    readonly owner: LeaseOwner,
  ) {}

  restart(options: QuotaAcquireOptions = {}): Promise<void> {
    return this.owner.restart(this, options);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.owner.release(this);
  }
}

/**
 * The fleet quota: a {@link Quota} whose budget lives in a shared store, and which emits
 * {@link QuotaEvents} (`fallback`, `unavailable`, `recover`, `storeError`). Made by
 * `createRedisQuota`; close it with `close()` after the pools that use it are shut down.
 */
export class FleetQuota extends EventEmitter<QuotaEvents> implements Quota {
  readonly #options: FleetQuotaOptions;
  readonly #store: QuotaStore;
  readonly #queue: Waiter[] = [];
  readonly #held = new Map<string, Lease>();
  #pendingRelease: string[] = [];
  #mode: QuotaMode = 'shared';
  #busy = false;
  #renewing = false;
  #sequence = 0;
  #pollAttempt = 0;
  #wakeTimer: NodeJS.Timeout | undefined;
  readonly #tickTimer: NodeJS.Timeout;
  #lastTickAt = performance.now();
  #downSince = 0;
  #closing: Promise<void> | undefined;
  readonly #local: LocalShare;
  readonly #recorder = new QuotaRecorder();

  constructor(options: FleetQuotaOptions) {
    super();
    this.#options = options;
    this.#store = options.store;
    this.#local = new LocalShare(options);
    // Renews leases (and probes a failed store) in the background; never keeps the process alive.
    const tickMs = Math.max(10, Math.min(options.leaseMs / 3, options.probeIntervalMs));
    this.#tickTimer = setInterval(() => this.#tick(), tickMs);
    this.#tickTimer.unref();
  }

  /** {@inheritDoc Quota.acquire} */
  async acquire(options: QuotaAcquireOptions = {}): Promise<QuotaLease> {
    const id = await this.#wait('lease', this.#newId(), options);
    const lease = this.#held.get(id);
    if (!lease) throw new ClosedError('The quota was closed');
    return lease;
  }

  // What leases call back into; kept off the public surface.
  readonly #owner: LeaseOwner = {
    restart: async (lease, options) => {
      if (lease.released) throw new ClosedError('The quota lease was already released');
      await this.#wait('start', lease.id, options);
    },
    release: (lease) => {
      if (!this.#held.delete(lease.id)) return;
      if (this.#mode === 'closed') return;
      this.#queueRelease(lease.id);
      this.#kick();
    },
  };

  /** {@inheritDoc Quota.metrics} */
  metrics(): QuotaMetrics {
    const { maxConcurrentTasks, maxTasksPerSecond } = this.#options;
    return this.#recorder.snapshot({
      mode: this.#mode,
      limits: {
        maxConcurrentTasks: maxConcurrentTasks ?? null,
        maxTasksPerSecond: maxTasksPerSecond ?? null,
      },
      leasesHeld: this.#held.size,
      waiting: this.#queue.length,
      fallbackActive: this.#mode === 'fallback',
      fallbackSinceMs: this.#mode === 'fallback' ? performance.now() - this.#downSince : 0,
      share: this.#local.share(this.#recorder.processes),
    });
  }

  /** {@inheritDoc Quota.close} */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  // ----- waiting -------------------------------------------------------------------------------

  /** Queues a request; resolves with its final lease id once granted. */
  async #wait(kind: QuotaRequest['kind'], id: string, options: QuotaAcquireOptions): Promise<string> {
    if (this.#mode === 'closed') throw new ClosedError('The quota is closed');
    if (options.signal?.aborted) {
      this.#recorder.aborted++;
      throw new AbortError(options.signal.reason);
    }
    if (this.#mode === 'unavailable') {
      this.#recorder.unavailable++;
      throw new QuotaUnavailableError(this.#recorder.lastErrorObject);
    }
    const waiter = new Waiter({
      kind,
      id,
      signal: options.signal,
      until: waitUntil(options.deadline, options.maxWaitMs ?? this.#options.acquireTimeoutMs),
      onTimeout: (w) => {
        if (w.fail(new QuotaTimeoutError(w.waitedMs, this.#limitsText()))) this.#leave(w, 'timeouts');
      },
      onAbort: (w) => {
        if (w.fail(w.abortError())) this.#leave(w, 'aborted');
      },
    });
    this.#queue.push(waiter);
    this.#kick();
    await waiter.promise;
    return waiter.id;
  }

  #leave(waiter: Waiter, reason: 'timeouts' | 'aborted' | 'unavailable'): void {
    this.#recorder[reason]++;
    const index = this.#queue.indexOf(waiter);
    if (index >= 0) this.#queue.splice(index, 1);
    if (this.#queue.length === 0) this.#clearWake();
  }

  #grant(waiter: Waiter): void {
    const index = this.#queue.indexOf(waiter);
    if (index >= 0) this.#queue.splice(index, 1);
    if (!waiter.grant()) {
      // Timed out or aborted while the store said yes: give the slot straight back.
      if (waiter.kind === 'lease') this.#queueRelease(waiter.id);
      return;
    }
    this.#recorder.granted(waiter);
    if (waiter.kind === 'lease') {
      // Held from the grant on, so that the local share counts it before acquire() resumes.
      this.#held.set(waiter.id, new Lease(waiter.id, this.#owner));
      this.#recorder.held(this.#held.size);
    }
  }

  // ----- the pump ------------------------------------------------------------------------------

  /** Serves the queue: asks the store (shared) or the local share (fallback). */
  #kick(): void {
    if (this.#busy || this.#mode === 'closed' || this.#mode === 'unavailable') return;
    if (this.#mode === 'fallback') {
      this.#serveLocally();
      return;
    }
    if (this.#queue.length === 0 && this.#pendingRelease.length === 0) return;
    this.#clearWake();
    const batch = this.#queue.slice(0, MAX_BATCH);
    const release = this.#pendingRelease.splice(0);
    this.#busy = true;
    void this.#call({ release, renew: [], requests: batch.map((w) => ({ kind: w.kind, id: w.id })) }).then(
      (result) => {
        this.#busy = false;
        if (result) this.#served(batch, result);
        else this.#kick();
      },
    );
  }

  #served(batch: Waiter[], result: QuotaStepResult): void {
    for (let i = 0; i < batch.length; i++) {
      const waiter = batch[i]!;
      if (i < result.granted) this.#grant(waiter);
      else waiter.refused = true;
    }
    if (result.granted > 0) this.#pollAttempt = 0;
    if (this.#queue.length === 0) {
      if (this.#pendingRelease.length > 0) this.#kick();
      return;
    }
    // Ask again at once only when the whole batch was served or this process freed a slot;
    // a refusal means the fleet is full (or paced) and asking again now would be refused too.
    if (result.granted === batch.length || this.#pendingRelease.length > 0) {
      this.#kick();
    } else if (result.waitMs > 0) {
      // The store's clock says when the next start is allowed: no guessing, a little jitter.
      this.#wakeIn(result.waitMs + Math.random() * 2);
    } else {
      this.#wakeIn(equalJitter(5, this.#options.maxPollDelayMs, this.#pollAttempt++));
    }
  }

  #serveLocally(): void {
    this.#clearWake();
    const processes = this.#recorder.processes;
    while (this.#queue.length > 0) {
      const waiter = this.#queue[0]!;
      const verdict = this.#local.take(waiter.kind, this.#held.size, processes);
      if (verdict === 'full') return; // a release in this process kicks again
      if (verdict > 0) return this.#wakeIn(verdict);
      this.#grant(waiter);
    }
  }

  #wakeIn(ms: number): void {
    this.#clearWake();
    this.#wakeTimer = setTimeout(() => {
      this.#wakeTimer = undefined;
      this.#kick();
    }, ms);
  }

  #clearWake(): void {
    clearTimeout(this.#wakeTimer);
    this.#wakeTimer = undefined;
  }

  // ----- the store -----------------------------------------------------------------------------

  /** Runs a step within `commandTimeoutMs`; on failure applies the policy and resolves undefined. */
  async #call(step: QuotaStep): Promise<QuotaStepResult | undefined> {
    const startedAt = performance.now();
    const ms = this.#options.commandTimeoutMs;
    try {
      const result = await within(this.#store.step(step), ms, `the store did not answer within ${ms} ms`);
      this.#recorder.stored(performance.now() - startedAt, result);
      return result;
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      // The step may still run later: what it released is released again, what it may have
      // granted is released too, and the waiters ask again under fresh ids.
      for (const id of step.release) this.#queueRelease(id);
      for (const request of step.requests) {
        if (request.kind !== 'lease') continue;
        this.#queueRelease(request.id);
        const waiter = this.#queue.find((w) => w.id === request.id);
        if (waiter) waiter.id = this.#newId();
      }
      this.#storeFailed(failure);
      return undefined;
    }
  }

  #storeFailed(error: Error): void {
    this.#recorder.storeError(error);
    this.#emitSafely('storeError', error);
    if (this.#mode !== 'shared') return;
    this.#downSince = performance.now();
    if (this.#options.onStoreError === 'fail') {
      this.#mode = 'unavailable';
      for (const waiter of [...this.#queue]) {
        if (waiter.fail(new QuotaUnavailableError(error))) this.#leave(waiter, 'unavailable');
      }
      this.#emitSafely('unavailable', { error });
      return;
    }
    this.#mode = 'fallback';
    this.#recorder.fallbackEngaged();
    this.#local.reset();
    this.#emitSafely('fallback', { error, share: this.#local.share(this.#recorder.processes) });
  }

  /** Renews this process's leases (shared), or probes the store (fallback, unavailable). */
  #tick(): void {
    if (this.#renewing || this.#mode === 'closed') return;
    const now = performance.now();
    const down = this.#mode !== 'shared';
    const renewDue = now - this.#lastTickAt >= this.#options.leaseMs / 3 - 5;
    if (!down && (!renewDue || (this.#held.size === 0 && this.#pendingRelease.length === 0))) return;
    this.#lastTickAt = now;
    this.#renewing = true;
    const release = down ? this.#pendingRelease.splice(0) : [];
    void this.#call({ release, renew: [...this.#held.keys()], requests: [] }).then((result) => {
      this.#renewing = false;
      if (!result || this.#mode === 'shared' || this.#mode === 'closed') return;
      const afterMs = performance.now() - this.#downSince;
      if (this.#mode === 'fallback') this.#recorder.fallbackEnded(afterMs);
      this.#mode = 'shared';
      this.#pollAttempt = 0;
      this.#emitSafely('recover', { afterMs });
      this.#kick();
    });
  }

  async #close(): Promise<void> {
    this.#mode = 'closed';
    clearInterval(this.#tickTimer);
    this.#clearWake();
    for (const waiter of this.#queue.splice(0)) waiter.fail(new ClosedError('The quota was closed'));
    const release = [...this.#pendingRelease.splice(0), ...this.#held.keys()];
    for (const lease of this.#held.values()) lease.released = true;
    this.#held.clear();
    if (release.length === 0) return;
    const step = this.#store.step({ release, renew: [], requests: [] });
    await within(step, this.#options.commandTimeoutMs, 'close').catch(() => undefined);
  }

  // ----- helpers -------------------------------------------------------------------------------

  #queueRelease(id: string): void {
    if (this.#pendingRelease.length < MAX_PENDING_RELEASES) this.#pendingRelease.push(id);
  }

  #newId(): string {
    return `${this.#store.processId}:${(++this.#sequence).toString(36)}`;
  }

  #limitsText(): string {
    const { maxConcurrentTasks, maxTasksPerSecond } = this.#options;
    const parts: string[] = [];
    if (maxConcurrentTasks !== undefined) parts.push(`${maxConcurrentTasks} concurrent tasks`);
    if (maxTasksPerSecond !== undefined) parts.push(`${maxTasksPerSecond} tasks/s`);
    return parts.join(', ');
  }

  #emitSafely<E extends keyof QuotaEvents>(event: E, ...args: Parameters<QuotaEvents[E]>): void {
    try {
      (this.emit as (event: E, ...args: Parameters<QuotaEvents[E]>) => boolean)(event, ...args);
    } catch {
      // A listener's throw must not break the quota.
    }
  }
}
