/**
 * The only file that touches generic-pool (3.9). generic-pool keeps the idle synthesizers, the
 * queue of borrowers (first come, first served) and the evictor; this adapter wraps it so that
 * none of its known defects reach users:
 * - `create` never rejects (a rejecting create makes generic-pool retry in a hot loop): it waits
 *   for room, opens through the connector, and resolves an inert placeholder once nothing real
 *   may be created (shut down, or the key was refused);
 * - `validate` never throws (a throwing validate wedges its slot: generic-pool issue #195);
 * - a socket still closing counts toward `maxSize` (generic-pool forgets a resource before its
 *   `destroy` has run), so `create` waits until the pool's members are fewer than `maxSize`;
 * - borrowing has its own timeout, abort and fatal-error race, and its own queue bound, and fails
 *   fast while the pool cannot connect at all (`availability.ts`);
 * - draining at shutdown has a deadline.
 * A synthesizer returned clean while nobody waits is kept in a fast lane (`idle-queue.ts`)
 * instead of going back through generic-pool: the next borrow takes it synchronously. generic-pool
 * still creates, counts and evicts; a sweep on the evictor's cadence applies the same health
 * check to the fast lane, and everything in it goes back to generic-pool before the drain.
 */
import genericPool from 'generic-pool';
import {
  AbortError,
  AcquireTimeoutError,
  PoolClosedError,
  PoolQueueFullError,
  PoolUnavailableError,
  type DashScopeError,
} from '../errors/index.js';
import { SpeechSynthesizer } from '../synthesizer/speech-synthesizer.js';
import { onAbort } from '../util/abort-listeners.js';
import { settleWithin } from '../util/async.js';
import type { Availability } from './availability.js';
import { IDLE_PARAMS, type Connector } from './connector.js';
import type { EmitPoolEvent } from './events.js';
import { IdleQueue } from './idle-queue.js';
import type { PoolLifecycle } from './lifecycle.js';
import type { Members } from './members.js';
import type { ResolvedPoolOptions } from './options.js';
import type { Upkeep } from './upkeep.js';

/** How long shutdown waits for generic-pool's drain before clearing anyway. */
const DRAIN_DEADLINE_MS = 5_000;

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
const internals = genericPool as unknown as { Pool: PoolConstructor; Deque: unknown; PriorityQueue: unknown };

/** The parts of the pool the adapter works with. */
export interface AdapterParts {
  readonly options: ResolvedPoolOptions;
  readonly members: Members;
  readonly lifecycle: PoolLifecycle;
  readonly emit: EmitPoolEvent;
  readonly connector: Pick<Connector, 'open' | 'lastError'>;
  readonly health: Pick<Upkeep, 'isLendable' | 'shouldEvict'>;
  readonly availability: Availability;
}

interface Waiter {
  /** `performance.now()` when the borrow began. */
  readonly startedAt: number;
  /** `availability.failureCount` when the borrow began: only later failures may fail it. */
  readonly failuresBefore: number;
  fail(error: DashScopeError): void;
}

const ignore = (): void => undefined;

/** Lends the pool's synthesizers through generic-pool. */
export class GenericPoolAdapter {
  readonly #parts: AdapterParts;
  readonly #pool: GenericPool<SpeechSynthesizer>;
  readonly #inert = new WeakSet<SpeechSynthesizer>();
  readonly #waiters = new Set<Waiter>();
  /** Re-checks waiters of a pool that is down once the oldest has waited `connectTimeoutMs`. */
  #downTimer: NodeJS.Timeout | undefined;
  /** Lent by generic-pool, idle here: the fast lane. */
  readonly #idle = new IdleQueue();
  readonly #sweepTimer: NodeJS.Timeout;

  /** Creates generic-pool, which starts opening connections at once when `preOpen` is set. */
  constructor(parts: AdapterParts) {
    this.#parts = parts;
    parts.availability.onFailure(() => this.#failWaitersIfDown());
    const { options, health } = parts;
    const inert = this.#inert;
    class HealthEvictor implements Evictor<SpeechSynthesizer> {
      evict(_config: unknown, resource: PooledResource<SpeechSynthesizer>): boolean {
        return !inert.has(resource.obj) && health.shouldEvict(resource.obj);
      }
    }
    const { maxSize } = options;
    const evictionRunIntervalMillis = Math.min(1_000, options.maintenanceIntervalMs);
    this.#sweepTimer = setInterval(() => this.#sweep(), evictionRunIntervalMillis).unref();
    this.#pool = new internals.Pool(
      HealthEvictor,
      internals.Deque,
      internals.PriorityQueue,
      {
        create: () => this.#create(),
        destroy: (synth) => this.#destroy(synth),
        // Never rejects (see above).
        validate: (synth) => Promise.resolve(this.#inert.has(synth) || health.isLendable(synth)),
      },
      {
        // generic-pool's own count (resources and creates in flight); `#create` adds the
        // sockets still closing, which generic-pool no longer counts.
        max: maxSize,
        min: options.preOpen ? maxSize : 0,
        testOnBorrow: true,
        fifo: true,
        autostart: true,
        evictionRunIntervalMillis,
        numTestsPerEvictionRun: maxSize,
        // Idle time is judged by the health check, not by generic-pool's `||`-parsed numbers.
        idleTimeoutMillis: Number.MAX_SAFE_INTEGER,
      },
    );
  }

  /** Idle synthesizers ready to lend. */
  get available(): number {
    return this.#pool.available + this.#idle.length;
  }

  /** Borrowers waiting. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /**
   * An idle synthesizer from the fast lane, at once, if one is lendable; else undefined (then
   * {@link acquire}). Those that failed the health check meanwhile are closed and replaced.
   * While generic-pool holds synthesizers never lent yet (idle longer than any in the lane),
   * those go first: every connection keeps being used in turn, and none idles into a renewal.
   */
  takeIdle(): SpeechSynthesizer | undefined {
    if (this.#pool.available > 0) return undefined;
    for (let synth = this.#idle.shift(); synth; synth = this.#idle.shift()) {
      if (this.#parts.health.isLendable(synth)) return synth;
      // Unhealthy: closed and replaced, as the evictor does; one being renewed goes to generic-pool,
      // whose validation lends it once the renewal is through.
      if (this.#parts.health.shouldEvict(synth)) void this.destroy(synth);
      else void this.#pool.release(synth).catch(ignore);
    }
    return undefined;
  }

  /**
   * Waits for a synthesizer, first come, first served.
   * @throws {PoolQueueFullError} at once when `maxWaitingClients` borrowers already wait.
   * @throws {AcquireTimeoutError} after `timeoutMs`, its `cause` the last connect error if any.
   * @throws {PoolUnavailableError} while the pool cannot connect at all (see `availability.ts`):
   *   at the next failed attempt, or after `connectTimeoutMs`.
   * @throws {AbortError} when `signal` aborts; the fatal error or {PoolClosedError} when the pool stops.
   */
  acquire(timeoutMs: number, signal: AbortSignal | undefined): Promise<SpeechSynthesizer> {
    const { options, availability } = this.#parts;
    const { maxWaitingClients } = options;
    if (this.#waiters.size >= maxWaitingClients && this.available === 0) {
      throw new PoolQueueFullError(maxWaitingClients);
    }
    const startedAt = performance.now();
    return new Promise<SpeechSynthesizer>((resolve, reject) => {
      let settled = false;
      const settle = (error: DashScopeError | undefined, synth?: SpeechSynthesizer): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        stopListening?.();
        this.#waiters.delete(waiter);
        if (error) reject(error);
        else resolve(synth!);
        return true;
      };
      const waiter: Waiter = {
        startedAt,
        failuresBefore: availability.failureCount,
        fail: (error) => settle(error),
      };
      const timer = setTimeout(
        () => settle(new AcquireTimeoutError(timeoutMs, this.#parts.connector.lastError)),
        timeoutMs,
      );
      const stopListening = signal && onAbort(signal, () => void settle(new AbortError(signal.reason)));
      this.#waiters.add(waiter);
      if (availability.isDown) this.#failWaitersIfDown();

      this.#pool.acquire().then(
        (synth) => {
          if (this.#inert.has(synth)) {
            this.#pool.release(synth).catch(ignore);
            settle(this.#parts.lifecycle.fatal ?? new PoolClosedError());
            return;
          }
          // The borrower gave up meanwhile: the synthesizer goes straight back.
          if (!settle(undefined, synth)) this.putBack(synth);
        },
        () => settle(this.#parts.lifecycle.fatal ?? new PoolClosedError()),
      );
    });
  }

  /**
   * Takes a lent synthesizer back as idle: into the fast lane, or through generic-pool when
   * borrowers wait there (they are served first come, first served).
   */
  release(synth: SpeechSynthesizer): void {
    if (this.#pool.pending === 0 && !this.#parts.lifecycle.stopped) this.#idle.push(synth);
    else this.#pool.release(synth).catch(ignore);
  }

  /** Closes a lent synthesizer; a replacement opens. Never rejects. */
  destroy(synth: SpeechSynthesizer): Promise<void> {
    return this.#pool.destroy(synth).catch(ignore);
  }

  /** Releases a lent synthesizer if it may be lent again, else destroys it. */
  putBack(synth: SpeechSynthesizer): void {
    if (!this.#parts.lifecycle.isShutDown && this.#parts.health.isLendable(synth)) this.release(synth);
    else void this.destroy(synth);
  }

  /** Rejects every waiting borrower with `error`. */
  failWaiters(error: DashScopeError): void {
    clearTimeout(this.#downTimer);
    for (const waiter of [...this.#waiters]) waiter.fail(error);
  }

  /**
   * While the pool is down, fails with `PoolUnavailableError` the waiters that have waited
   * `connectTimeoutMs`, and, once a full round of attempts has failed, those that saw an attempt
   * fail since they began; the others are checked again at the next failure, or when the oldest
   * of them reaches that wait.
   */
  #failWaitersIfDown(): void {
    clearTimeout(this.#downTimer);
    this.#downTimer = undefined;
    const { availability, options } = this.#parts;
    if (!availability.isDown || this.#waiters.size === 0) return;
    const limit = options.connectTimeoutMs;
    const now = performance.now();
    let nextCheck = Number.POSITIVE_INFINITY;
    const roundFailed = availability.roundFailed;
    for (const waiter of [...this.#waiters]) {
      const due = waiter.startedAt + limit;
      const sawFailure = availability.failureCount > waiter.failuresBefore;
      if ((roundFailed && sawFailure) || due <= now) {
        waiter.fail(new PoolUnavailableError(availability.lastError));
      } else nextCheck = Math.min(nextCheck, due);
    }
    if (nextCheck === Number.POSITIVE_INFINITY) return;
    // The waiters' own timeouts keep the process alive; this check need not.
    this.#downTimer = setTimeout(() => this.#failWaitersIfDown(), nextCheck - now);
    this.#downTimer.unref();
  }

  /**
   * Drains generic-pool (its waiters and loans), with a deadline, then destroys its idle
   * synthesizers. `closeBorrowed` runs once the drain has begun (so that no replacement is
   * created): it destroys what is still lent, and is awaited.
   */
  async shutdown(closeBorrowed: () => Promise<void>): Promise<void> {
    clearTimeout(this.#downTimer);
    clearInterval(this.#sweepTimer);
    // generic-pool counts the fast lane as lent: give it back, or the drain would wait for it.
    for (const synth of this.#idle.takeAll()) void this.#pool.release(synth).catch(ignore);
    const drained = this.#pool.drain();
    await closeBorrowed();
    await settleWithin(drained, DRAIN_DEADLINE_MS);
    await this.#pool.clear();
  }

  /**
   * The evictor's check for the fast lane: closes (and so replaces) what fails the health check,
   * and hands the rest to generic-pool while borrowers wait there.
   */
  #sweep(): void {
    for (let n = this.#idle.length; n > 0; n--) {
      const synth = this.#idle.shift()!;
      if (this.#parts.health.shouldEvict(synth)) void this.destroy(synth);
      else if (this.#pool.pending > 0 || this.#parts.lifecycle.stopped)
        void this.#pool.release(synth).catch(ignore);
      else this.#idle.push(synth);
    }
  }

  /** generic-pool's `create`: never rejects (see above). Room for sockets still closing is the connector's wait. */
  async #create(): Promise<SpeechSynthesizer> {
    const { lifecycle, connector } = this.#parts;
    // No wait before the first attempt: a warm-up starts all its sockets in one burst, as a
    // hand-written client would (opening touches nothing of generic-pool's, so calling it from
    // within generic-pool's constructor or destroy is safe).
    for (;;) {
      if (lifecycle.stopped) return this.#makeInert();
      const synth = await connector.open();
      if (synth) return synth;
    }
  }

  /** generic-pool's `destroy`: closes the socket; the slot is freed once it is closed. */
  async #destroy(synth: SpeechSynthesizer): Promise<void> {
    if (this.#inert.has(synth)) return;
    const reason = this.#parts.members.get(synth)?.discardReason;
    if (reason) this.#parts.emit('discard', { reason });
    await this.#parts.members.forget(synth);
  }

  /** A closed, socket-less synthesizer handed to generic-pool when nothing real may be created. */
  #makeInert(): SpeechSynthesizer {
    const synth = new SpeechSynthesizer({ ...this.#parts.options.connectionOptions, ...IDLE_PARAMS });
    void synth.close();
    this.#inert.add(synth);
    return synth;
  }
}
