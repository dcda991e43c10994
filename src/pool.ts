/**
 * SpeechSynthesizerObjectPool: pre-opened synthesizers lent out one task at a time.
 *
 * Built on generic-pool 3.9, wrapped so that none of its known defects reach users: our
 * factory's `create` never rejects (it retries with back-off, or yields an inert placeholder once
 * the pool is shut down or the key was refused), validation never throws, borrowing has its own
 * timeout/abort/fatal-error race, return-time checks are ours, closing sockets count toward
 * `maxSize`, and shutdown has a deadline and closes borrowed sockets too.
 */
import { setMaxListeners } from 'node:events';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { EventEmitter } from 'eventemitter3';
import genericPool from 'generic-pool';
import { equalJitter } from './backoff.js';
import type { ConnectionCloseInfo } from './connection.js';
import type { DashScopeError } from './errors/index.js';
import {
  AbortError,
  AcquireTimeoutError,
  AuthenticationError,
  ConnectionError,
  HandshakeError,
  InvalidParameterError,
  InvalidStateError,
  PoolClosedError,
  PoolQueueFullError,
} from './errors/index.js';
import { LatencyRecorder, type LatencySummary } from './metrics.js';
import { validateSynthesisParams, type SynthesisParams } from './params.js';
import { resolvePoolOptions, type PoolOptions, type ResolvedPoolOptions } from './pool-options.js';
import { boundQuota } from './quota/task-gate.js';
import type { QuotaMetrics } from './quota/types.js';
import { RateLimiter } from './rate-limiter.js';
import { Semaphore } from './semaphore.js';
import type { ResultCallback } from './synthesizer-options.js';
import { SpeechSynthesizer } from './synthesizer.js';
import type { TaskMetrics } from './task.js';
import { Deferred, settleWithin, sleep } from './util/async.js';
import { asDashScopeError } from './errors/convert.js';

/** Parameters a borrowed synthesizer is bound to: the synthesis parameters and a callback. */
export interface BorrowParams extends SynthesisParams {
  callback?: ResultCallback | undefined;
}

export interface BorrowOptions {
  /** Overrides the pool's `acquireTimeoutMs` for this borrow. */
  timeoutMs?: number | undefined;
  /** Gives up waiting (and, in withSynthesizer, cancels the running task). */
  signal?: AbortSignal | undefined;
}

export interface ShutdownOptions {
  /** How long running tasks may go on before their sockets are closed. Default 10 000 ms. */
  graceMs?: number | undefined;
}

/** A snapshot of the pool's size. */
export interface PoolStats {
  maxSize: number;
  /** Synthesizers that exist or are being created (not those being closed). */
  size: number;
  /** Idle and ready to lend. */
  available: number;
  /** Lent out. */
  borrowed: number;
  /** Borrowers waiting. */
  pending: number;
  /** Synthesizers whose connection is being opened. */
  connecting: number;
  /** Synthesizers whose socket is being closed (they still count toward maxSize). */
  closing: number;
}

/** Production metrics, as DashScope recommends watching them. */
export interface PoolMetrics {
  tasks: { total: number; finished: number; failed: number; cancelled: number; retried: number };
  /** failed / total. */
  errorRate: number;
  firstPacketDelayMs: LatencySummary;
  endToEndMs: LatencySummary;
  borrowWaitMs: LatencySummary;
  /** Borrowed / maxSize, now and at its peak. */
  utilization: { current: number; peak: number };
  /** Tasks that found their connection already open / all tasks. */
  connectionReuseRatio: number;
  connections: { open: number; created: number; closed: number; renewed: number; failedAttempts: number };
  borrows: number;
  returns: { kept: number; discarded: number };
  /** The fleet-wide quota's metrics, when the pool has one. */
  quota?: QuotaMetrics | undefined;
}

export interface PoolEvents {
  connect: (info: { connectionId: number; connectMs: number }) => void;
  disconnect: (info: { connectionId: number } & ConnectionCloseInfo) => void;
  connectError: (error: DashScopeError) => void;
  renew: (info: { connectionId: number | undefined }) => void;
  borrow: (info: { waitMs: number }) => void;
  return: (info: { kept: boolean }) => void;
  discard: (info: { reason: string }) => void;
}

// The placeholder binding of an idle pooled synthesizer; every borrow replaces it.
const IDLE_PARAMS: SynthesisParams = { model: 'cosyvoice-v3-flash', voice: 'longanyang' };
const CONNECTION_KEYS = [
  'url',
  'region',
  'apiKey',
  'headers',
  'workspace',
  'connectTimeoutMs',
  'ca',
  'agent',
] as const;

// generic-pool's constructor with a custom evictor is not in its published types.
interface PooledResource<T> {
  obj: T;
}
interface Evictor<T> {
  evict(config: unknown, resource: PooledResource<T>, availableCount: number): boolean;
}
type GenericPool<T> = genericPool.Pool<T>;
type PoolConstructor = new <T>(
  evictor: new () => Evictor<T>,
  deque: unknown,
  priorityQueue: unknown,
  factory: genericPool.Factory<T>,
  options: genericPool.Options,
) => GenericPool<T>;

class Member {
  borrowed = false;
  renewing = false;
  pinging = false;
  lastPingAt = performance.now();
  discardReason: string | undefined;

  constructor(
    readonly synth: SpeechSynthesizer,
    /** Idle time after which this member's connection is renewed (jittered per member). */
    public renewAfterMs: number,
  ) {}
}

interface Waiter {
  fail(error: DashScopeError): void;
}

/** A pool of pre-connected SpeechSynthesizers. */
export class SpeechSynthesizerObjectPool extends EventEmitter<PoolEvents> {
  readonly #options: ResolvedPoolOptions;
  readonly #pool: GenericPool<SpeechSynthesizer>;
  readonly #members = new Map<SpeechSynthesizer, Member>();
  readonly #inert = new WeakSet<SpeechSynthesizer>();
  readonly #waiters = new Set<Waiter>();
  readonly #connectLimiter: Semaphore;
  readonly #rateLimiter: RateLimiter | undefined;
  /** Aborted at shutdown: stops reconnect loops, sleeps and connects in flight. */
  readonly #lifecycle = new AbortController();
  readonly #ready = new Deferred<void>();
  readonly #maintenanceTimer: NodeJS.Timeout;
  #capacityFreed = new Deferred<void>();

  #fatal: DashScopeError | undefined;
  #lastConnectError: DashScopeError | undefined;
  #consecutiveFailures = 0;
  #connectedOnce = 0;
  #connecting = 0;
  #closing = 0;
  #renewalsInFlight = 0;
  #borrowedCount = 0;
  #shutdownPromise: Promise<void> | undefined;
  #borrowersGone: Deferred<void> | undefined;

  // metrics
  readonly #firstPacket = new LatencyRecorder();
  readonly #endToEnd = new LatencyRecorder();
  readonly #borrowWait = new LatencyRecorder();
  #tasks = { total: 0, finished: 0, failed: 0, cancelled: 0, retried: 0 };
  #reusedTasks = 0;
  #peakBorrowed = 0;
  #connections = { open: 0, created: 0, closed: 0, renewed: 0, failedAttempts: 0 };
  #borrows = 0;
  #returns = { kept: 0, discarded: 0 };

  /**
   * Validates the options and starts opening `maxSize` connections in the background.
   * @throws {InvalidOptionError} naming the option and the bad value.
   * @throws {MissingApiKeyError} when there is no key.
   */
  constructor(options: PoolOptions = {}) {
    super();
    this.#options = resolvePoolOptions(options);
    const { maxSize } = this.#options;
    this.#connectLimiter = new Semaphore(this.#options.connectConcurrency);
    // Every connect in flight listens on this one signal: up to connectConcurrency listeners.
    setMaxListeners(0, this.#lifecycle.signal);
    this.#rateLimiter =
      this.#options.maxTasksPerSecond === undefined
        ? undefined
        : new RateLimiter(this.#options.maxTasksPerSecond);
    this.#ready.promise.catch(() => undefined);
    if (!this.#options.preOpen) this.#ready.resolve();

    const lendable = (synth: SpeechSynthesizer): boolean => this.#isLendable(synth);
    const members = this.#members;
    const inert = this.#inert;
    class HealthEvictor implements Evictor<SpeechSynthesizer> {
      evict(_config: unknown, resource: PooledResource<SpeechSynthesizer>): boolean {
        const synth = resource.obj;
        if (inert.has(synth) || members.get(synth)?.renewing) return false;
        const healthy = lendable(synth);
        const member = members.get(synth);
        if (!healthy && member) member.discardReason = 'idle connection died or aged out';
        return !healthy;
      }
    }
    const internals = genericPool as unknown as {
      Pool: PoolConstructor;
      Deque: unknown;
      PriorityQueue: unknown;
    };
    this.#pool = new internals.Pool(
      HealthEvictor,
      internals.Deque,
      internals.PriorityQueue,
      {
        create: () => this.#create(),
        destroy: (synth) => this.#destroy(synth),
        // Never rejects: a throwing check would wedge the slot (generic-pool #195).
        validate: (synth) => Promise.resolve(this.#inert.has(synth) || this.#isLendable(synth)),
      },
      {
        max: maxSize,
        min: this.#options.preOpen ? maxSize : 0,
        testOnBorrow: true,
        fifo: true,
        autostart: true,
        evictionRunIntervalMillis: Math.min(1_000, this.#options.maintenanceIntervalMs),
        numTestsPerEvictionRun: maxSize,
        // Our own numbers, not generic-pool's `||`-parsed ones.
        idleTimeoutMillis: Number.MAX_SAFE_INTEGER,
      },
    );
    this.#maintenanceTimer = setInterval(() => this.#maintain(), this.#options.maintenanceIntervalMs);
    this.#maintenanceTimer.unref();
  }

  // ----- public API ----------------------------------------------------------------------------

  /**
   * Resolves when the pre-opened connections are up. Rejects with the `AuthenticationError` when
   * the key is refused, or with the last connect error (else an `AcquireTimeoutError`) after
   * `timeoutMs` (default: the pool's `acquireTimeoutMs`).
   */
  async ready(options: { timeoutMs?: number | undefined } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.#options.acquireTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(this.#lastConnectError ?? new AcquireTimeoutError(timeoutMs)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.#ready.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Lends a pre-connected synthesizer bound to `params`. Waits (first come, first served) while
   * all are borrowed.
   * @throws {InvalidParameterError} for bad parameters, or connection settings (those are the pool's).
   * @throws {AcquireTimeoutError} after the timeout; its `cause` is the last connect error, if any.
   * @throws {PoolQueueFullError} when `maxWaitingClients` borrowers already wait.
   * @throws {AuthenticationError} (or another fatal connect error) at once when the key was refused.
   * @throws {PoolClosedError} after shutdown. {AbortError} when `signal` aborts.
   */
  async borrowSynthesizer(params: BorrowParams, options: BorrowOptions = {}): Promise<SpeechSynthesizer> {
    for (const key of CONNECTION_KEYS) {
      if (params !== null && typeof params === 'object' && key in params) {
        throw new InvalidParameterError(
          key,
          `${key} cannot be set per borrow: pooled connections are opened with the pool's settings`,
        );
      }
    }
    validateSynthesisParams(params);
    if (this.#shutdownPromise) throw new PoolClosedError();
    if (this.#fatal) throw this.#fatal;
    if (options.signal?.aborted) throw new AbortError(options.signal.reason);
    const timeoutMs = options.timeoutMs ?? this.#options.acquireTimeoutMs;
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
      throw new InvalidParameterError(
        'timeoutMs',
        `timeoutMs must be a number of milliseconds > 0, got ${timeoutMs}`,
      );
    }
    if (this.#waiters.size >= this.#options.maxWaitingClients && this.#pool.available === 0) {
      throw new PoolQueueFullError(this.#options.maxWaitingClients);
    }
    const startedAt = performance.now();
    const synth = await this.#acquire(timeoutMs, options.signal);
    const member = this.#members.get(synth);
    if (!member) {
      // Cannot happen: every lent synthesizer is a member. Fail loudly rather than lend a stray.
      throw new ConnectionError('internal: the pool lent a synthesizer it does not own');
    }
    try {
      synth.updateParams({ ...params, callback: params.callback });
    } catch (error) {
      // Validated above, so only a broken invariant gets here: never lend a half-bound synthesizer.
      this.#putBack(synth);
      throw error;
    }
    member.borrowed = true;
    this.#borrowedCount += 1;
    this.#peakBorrowed = Math.max(this.#peakBorrowed, this.#borrowedCount);
    const waitMs = performance.now() - startedAt;
    this.#borrowWait.record(waitMs);
    this.#borrows += 1;
    this.#emitSafely('borrow', { waitMs });
    return synth;
  }

  /**
   * Takes a synthesizer back. It is kept only if its last task ended cleanly, no task runs and
   * its socket is alive; otherwise it is closed (a running task fails), a replacement is opened
   * and false is returned. A foreign or already returned synthesizer returns false and is left
   * alone. Listeners the borrower added are removed.
   */
  async returnSynthesizer(synth: SpeechSynthesizer): Promise<boolean> {
    const member = synth instanceof SpeechSynthesizer ? this.#members.get(synth) : undefined;
    if (!member?.borrowed) return false;
    member.borrowed = false;
    this.#borrowedCount -= 1;
    synth.removeAllListeners();
    // A cancel in flight ends within responseTimeoutMs (the synthesizer's watchdog).
    if (synth.isCancelling) await synth.whenIdle();
    const keep = !this.#shutdownPromise && this.#isLendable(synth);
    if (keep) {
      synth.setCallback(undefined);
      await this.#pool.release(synth).catch(() => undefined);
      this.#returns.kept += 1;
    } else {
      member.discardReason =
        synth.state === 'busy' ? 'returned with a task running' : 'returned failed, closed or stale';
      await this.#pool.destroy(synth).catch(() => undefined);
      this.#returns.discarded += 1;
    }
    this.#borrowersGone?.resolve();
    this.#emitSafely('return', { kept: keep });
    return keep;
  }

  /**
   * Borrows a synthesizer, runs `fn` with it, then returns it (or closes it, if the task failed)
   * on every path: resolved, rejected, thrown synchronously or aborted. An abort of
   * `options.signal` while `fn` runs cancels the running task.
   */
  async withSynthesizer<T>(
    params: BorrowParams,
    fn: (synth: SpeechSynthesizer) => T | Promise<T>,
    options: BorrowOptions = {},
  ): Promise<T> {
    const synth = await this.borrowSynthesizer(params, options);
    const onAbort = (): void => void synth.streamingCancel();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await fn(synth);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      await this.returnSynthesizer(synth);
    }
  }

  /** The pool's size right now. */
  stats(): PoolStats {
    const available = this.#shutdownPromise || this.#fatal ? 0 : this.#pool.available;
    return {
      maxSize: this.#options.maxSize,
      size: this.#members.size - this.#closing,
      available,
      borrowed: this.#borrowedCount,
      pending: this.#waiters.size,
      connecting: this.#connecting,
      closing: this.#closing,
    };
  }

  /** Latency percentiles, error rate, utilization, reuse ratio and connection counters. */
  metrics(): PoolMetrics {
    const { total } = this.#tasks;
    return {
      tasks: { ...this.#tasks },
      errorRate: total === 0 ? 0 : this.#tasks.failed / total,
      firstPacketDelayMs: this.#firstPacket.summary(),
      endToEndMs: this.#endToEnd.summary(),
      borrowWaitMs: this.#borrowWait.summary(),
      utilization: {
        current: this.#borrowedCount / this.#options.maxSize,
        peak: this.#peakBorrowed / this.#options.maxSize,
      },
      connectionReuseRatio: total === 0 ? 0 : this.#reusedTasks / total,
      connections: { ...this.#connections },
      borrows: this.#borrows,
      returns: { ...this.#returns },
      ...(this.#options.quota ? { quota: this.#options.quota.metrics() } : {}),
    };
  }

  /**
   * Stops lending, rejects waiting borrowers, lets running tasks finish for up to `graceMs`,
   * then closes every socket (borrowed ones too) and stops every timer. Idempotent.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    this.#shutdownPromise ??= this.#shutdown(options.graceMs ?? 10_000);
    return this.#shutdownPromise;
  }

  /** `await using pool = new SpeechSynthesizerObjectPool(...)` shuts it down at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  // ----- creation and destruction --------------------------------------------------------------

  /**
   * generic-pool's `create`. Never rejects (a rejecting create makes generic-pool spin): it
   * retries with back-off until a connection opens, and resolves an inert placeholder once the
   * pool shuts down or the endpoint refused the key.
   */
  async #create(): Promise<SpeechSynthesizer> {
    await nextMacrotask();
    for (;;) {
      if (this.#shutdownPromise || this.#fatal) return this.#makeInert();
      // Sockets still closing count toward maxSize.
      while (this.#members.size >= this.#options.maxSize && !this.#lifecycle.signal.aborted) {
        await this.#capacityFreed.promise;
      }
      if (this.#shutdownPromise || this.#fatal) return this.#makeInert();
      const synth = this.#makeSynth();
      this.#members.set(synth, new Member(synth, this.#renewThreshold()));
      this.#connecting += 1;
      try {
        await this.#connectLimiter.run(() => synth.connect({ signal: this.#lifecycle.signal }));
        this.#consecutiveFailures = 0;
        this.#lastConnectError = undefined;
        this.#connectedOnce += 1;
        if (this.#connectedOnce >= this.#options.maxSize) this.#ready.resolve();
        return synth;
      } catch (error) {
        await this.#forget(synth);
        if (this.#shutdownPromise) return this.#makeInert();
        const failure = asDashScopeError(error);
        this.#lastConnectError = failure;
        this.#connections.failedAttempts += 1;
        this.#emitSafely('connectError', failure);
        if (isFatal(failure)) {
          this.#setFatal(failure);
          return this.#makeInert();
        }
        const wait = equalJitter(
          this.#options.reconnectInitialDelayMs,
          this.#options.reconnectMaxDelayMs,
          this.#consecutiveFailures++,
        );
        await sleep(wait, this.#lifecycle.signal, { unref: true });
      } finally {
        this.#connecting -= 1;
      }
    }
  }

  /** generic-pool's `destroy`: closes the socket; the slot is freed once it is closed. */
  async #destroy(synth: SpeechSynthesizer): Promise<void> {
    if (this.#inert.has(synth)) return;
    const member = this.#members.get(synth);
    if (member?.discardReason) this.#emitSafely('discard', { reason: member.discardReason });
    await this.#forget(synth);
  }

  async #forget(synth: SpeechSynthesizer): Promise<void> {
    if (!this.#members.has(synth)) return;
    this.#closing += 1;
    try {
      await synth.close();
    } finally {
      this.#closing -= 1;
      this.#members.delete(synth);
      const freed = this.#capacityFreed;
      this.#capacityFreed = new Deferred<void>();
      freed.resolve();
    }
  }

  #makeSynth(): SpeechSynthesizer {
    const options = this.#options;
    const synth: SpeechSynthesizer = new SpeechSynthesizer({
      ...options.connectionOptions,
      ...IDLE_PARAMS,
      eagerStart: options.eagerStart,
      responseTimeoutMs: options.responseTimeoutMs,
      retry: {
        connectionFailures: options.connectionRetries,
        throttling: options.throttlingRetries,
      },
      quota: boundQuota(options.quota, options.acquireTimeoutMs),
      hooks: {
        // A reference kept after returnSynthesizer() must not run tasks on a connection that
        // now belongs to another borrower (their audio would cross).
        beforeTask: () => {
          if (!this.#members.get(synth)?.borrowed) {
            throw new InvalidStateError(
              'This synthesizer was returned to its pool (or never borrowed); borrow one with borrowSynthesizer()',
            );
          }
        },
        beforeRunTask: this.#rateLimiter ? (signal) => this.#rateLimiter!.acquire(signal) : undefined,
        onTaskEnd: (metrics) => this.#recordTask(metrics),
        onConnect: (connectionId, connectMs) => {
          this.#connections.created += 1;
          this.#connections.open += 1;
          this.#emitSafely('connect', { connectionId, connectMs });
        },
        onDisconnect: (connectionId, info) => {
          this.#connections.closed += 1;
          this.#connections.open -= 1;
          this.#emitSafely('disconnect', { connectionId, ...info });
        },
      },
    });
    return synth;
  }

  /** A closed, socket-less synthesizer handed to generic-pool when nothing real may be created. */
  #makeInert(): SpeechSynthesizer {
    const synth = new SpeechSynthesizer({ ...this.#options.connectionOptions, ...IDLE_PARAMS });
    void synth.close();
    this.#inert.add(synth);
    return synth;
  }

  #setFatal(error: DashScopeError): void {
    if (this.#fatal) return;
    this.#fatal = error;
    this.#ready.reject(error);
    for (const waiter of [...this.#waiters]) waiter.fail(error);
  }

  // ----- lending -------------------------------------------------------------------------------

  /** Races generic-pool's acquire against our timeout, the signal and fatal errors. */
  #acquire(timeoutMs: number, signal: AbortSignal | undefined): Promise<SpeechSynthesizer> {
    return new Promise<SpeechSynthesizer>((resolve, reject) => {
      let settled = false;
      const settle = (error: DashScopeError | undefined, synth?: SpeechSynthesizer): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#waiters.delete(waiter);
        if (error) reject(error);
        else resolve(synth!);
        return true;
      };
      const waiter: Waiter = { fail: (error) => settle(error) };
      const onAbort = (): void => void settle(new AbortError(signal?.reason));
      const timer = setTimeout(
        () => settle(new AcquireTimeoutError(timeoutMs, this.#lastConnectError)),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);

      this.#pool.acquire().then(
        (synth) => {
          if (this.#inert.has(synth)) {
            this.#pool.release(synth).catch(() => undefined);
            settle(this.#fatal ?? new PoolClosedError());
            return;
          }
          // The borrower gave up meanwhile: the synthesizer goes straight back.
          if (!settle(undefined, synth)) this.#putBack(synth);
        },
        () => settle(this.#fatal ?? new PoolClosedError()),
      );
    });
  }

  #putBack(synth: SpeechSynthesizer): void {
    if (!this.#shutdownPromise && this.#isLendable(synth)) this.#pool.release(synth).catch(() => undefined);
    else this.#pool.destroy(synth).catch(() => undefined);
  }

  /** Safe to lend: open, idle, last task clean, and not about to meet the server's idle close. */
  #isLendable(synth: SpeechSynthesizer): boolean {
    try {
      if (!this.#members.has(synth) || !synth.isReusable()) return false;
      const idleLimit =
        this.#options.serverIdleTimeoutMs - Math.min(5_000, this.#options.serverIdleTimeoutMs * 0.1);
      return (synth.idleMs ?? 0) < idleLimit;
    } catch {
      return false;
    }
  }

  // ----- maintenance ---------------------------------------------------------------------------

  /** Renews connections nearing the server's idle close and pings idle ones (half-open check). */
  #maintain(): void {
    if (this.#shutdownPromise || this.#fatal) return;
    const renewLimit = Math.max(2, Math.ceil(this.#options.maxSize / 10));
    const heartbeat = this.#options.heartbeatIntervalMs;
    const now = performance.now();
    for (const member of this.#members.values()) {
      if (member.borrowed || member.renewing || member.pinging) continue;
      const synth = member.synth;
      if (!synth.isReusable()) continue; // the evictor replaces it
      const idle = synth.idleMs ?? 0;
      if (idle >= member.renewAfterMs) {
        if (this.#renewalsInFlight < renewLimit) void this.#renew(member);
      } else if (heartbeat > 0 && idle >= heartbeat && now - member.lastPingAt >= heartbeat) {
        void this.#ping(member);
      }
    }
  }

  async #renew(member: Member): Promise<void> {
    member.renewing = true;
    this.#renewalsInFlight += 1;
    try {
      const renewed = await member.synth.renewConnection(this.#lifecycle.signal);
      if (renewed) {
        this.#connections.renewed += 1;
        member.renewAfterMs = this.#renewThreshold();
        this.#emitSafely('renew', { connectionId: member.synth.connectionId });
      }
    } catch (error) {
      const failure = asDashScopeError(error);
      if (this.#shutdownPromise) return;
      this.#lastConnectError = failure;
      this.#connections.failedAttempts += 1;
      this.#emitSafely('connectError', failure);
      if (isFatal(failure)) return this.#setFatal(failure);
      // Keep the old connection; try again later, backing off while the endpoint fails.
      member.renewAfterMs =
        (member.synth.idleMs ?? 0) +
        equalJitter(
          this.#options.reconnectInitialDelayMs,
          this.#options.reconnectMaxDelayMs,
          this.#consecutiveFailures++,
        );
    } finally {
      member.renewing = false;
      this.#renewalsInFlight -= 1;
    }
  }

  async #ping(member: Member): Promise<void> {
    member.pinging = true;
    try {
      await member.synth.ping(this.#options.pingTimeoutMs);
    } finally {
      member.lastPingAt = performance.now();
      member.pinging = false;
    }
  }

  #renewThreshold(): number {
    return this.#options.renewIdleAfterMs * (0.9 + Math.random() * 0.2);
  }

  #recordTask(metrics: TaskMetrics): void {
    this.#tasks.total += 1;
    if (metrics.outcome === 'finished') this.#tasks.finished += 1;
    else if (metrics.outcome === 'cancelled') this.#tasks.cancelled += 1;
    else this.#tasks.failed += 1;
    if (metrics.attempts > 1) this.#tasks.retried += 1;
    if (metrics.reusedConnection) this.#reusedTasks += 1;
    if (metrics.firstPackageDelayMs >= 0) this.#firstPacket.record(metrics.firstPackageDelayMs);
    if (metrics.outcome === 'finished' && metrics.totalMs !== undefined)
      this.#endToEnd.record(metrics.totalMs);
  }

  #emitSafely<E extends keyof PoolEvents>(event: E, ...args: Parameters<PoolEvents[E]>): void {
    try {
      (this.emit as (event: E, ...args: Parameters<PoolEvents[E]>) => boolean)(event, ...args);
    } catch {
      // A listener's throw must not break the pool.
    }
  }

  // ----- shutdown ------------------------------------------------------------------------------

  async #shutdown(graceMs: number): Promise<void> {
    clearInterval(this.#maintenanceTimer);
    this.#lifecycle.abort();
    const closed = new PoolClosedError();
    for (const waiter of [...this.#waiters]) waiter.fail(closed);
    this.#rateLimiter?.rejectAll(closed);
    this.#ready.reject(closed);
    const freed = this.#capacityFreed;
    freed.resolve();

    // Running tasks may finish within the grace period.
    if (this.#borrowedCount > 0 && graceMs > 0) {
      const deadline = performance.now() + graceMs;
      while (this.#borrowedCount > 0 && performance.now() < deadline) {
        this.#borrowersGone = new Deferred<void>();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          this.#borrowersGone.promise,
          new Promise<void>((resolve) => (timer = setTimeout(resolve, deadline - performance.now()))),
        ]);
        clearTimeout(timer);
      }
    }

    const drained = this.#pool.drain();
    for (const member of [...this.#members.values()]) {
      if (!member.borrowed) continue;
      member.borrowed = false;
      this.#borrowedCount -= 1;
      member.discardReason = 'closed by shutdown';
      this.#pool.destroy(member.synth).catch(() => undefined);
    }
    await settleWithin(drained, 5_000);
    await this.#pool.clear();
    await Promise.all([...this.#members.keys()].map((synth) => this.#forget(synth)));
  }
}

function isFatal(error: DashScopeError): boolean {
  if (error instanceof AuthenticationError) return true;
  if (error instanceof HandshakeError) return !error.retryable;
  return !error.retryable && !(error instanceof ConnectionError);
}
