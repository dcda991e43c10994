/**
 * SpeechSynthesizerObjectPool: pre-opened synthesizers lent out one borrower at a time. This file
 * is the public surface (borrow, return, withSynthesizer, ready, stats, metrics, shutdown); the
 * parts it wires together each live in their own file: generic-pool behind
 * `generic-pool-adapter.ts`, opening connections in `connector.ts`, the fail-fast rule in
 * `availability.ts`, renewal, ping and eviction in `upkeep.ts`, abandoned borrows in
 * `abandoned.ts`, counters in `metrics.ts`, options in `options.ts` and `call-options.ts`.
 */
import { EventEmitter } from 'eventemitter3';
import { asDashScopeError } from '../errors/convert.js';
import { AbortError, InvalidParameterError, PoolClosedError } from '../errors/index.js';
import type { Binding } from '../synthesizer/binding.js';
import { kBind, kForgetLastTask, kIsCancelling, kWhenIdle } from '../synthesizer/internal.js';
import type { ResultCallback } from '../synthesizer/options.js';
import { SpeechSynthesizer } from '../synthesizer/speech-synthesizer.js';
import { rejected } from '../util/async.js';
import { describeValue } from '../util/describe-value.js';
import { AbandonedCheck } from './abandoned.js';
import { Availability } from './availability.js';
import { closeBorrowed } from './close-borrowed.js';
import {
  BorrowParamsCheck,
  resolveGraceMs,
  resolveWaitOptions,
  type BorrowOptions,
  type BorrowParams,
  type CallbackSynthesizer,
  type CollectingSynthesizer,
  type ReadyOptions,
  type SambertBorrowParams,
  type ShutdownOptions,
} from './call-options.js';
import { Connector } from './connector.js';
import { safeEmitter, type AbandonInfo, type EmitPoolEvent, type PoolEvents } from './events.js';
import { GenericPoolAdapter } from './generic-pool-adapter.js';
import { PoolLifecycle } from './lifecycle.js';
import { Members, type Member } from './members.js';
import { PoolMetricsRecorder, type PoolMetrics } from './metrics.js';
import { resolvePoolOptions, type PoolOptions, type ResolvedPoolOptions } from './options.js';
import { RateLimiter } from './rate-limiter.js';
import type { PoolStats } from './stats.js';
import { Upkeep } from './upkeep.js';
import { waitUntilReady } from './ready.js';
import { BorrowRunner } from './with-synthesizer.js';

export type {
  BorrowOptions,
  BorrowParams,
  CallbackSynthesizer,
  CollectingSynthesizer,
  ReadyOptions,
  SambertBorrowParams,
  ShutdownOptions,
} from './call-options.js';
export type { PoolStats } from './stats.js';

const synthOf = (member: Member): SpeechSynthesizer => member.synth;

/** A pool of pre-connected SpeechSynthesizers. */
export class SpeechSynthesizerObjectPool extends EventEmitter<PoolEvents> {
  readonly #options: ResolvedPoolOptions;
  readonly #emit: EmitPoolEvent;
  readonly #lifecycle: PoolLifecycle;
  readonly #members = new Members();
  readonly #metrics = new PoolMetricsRecorder();
  readonly #rateLimiter: RateLimiter | undefined;
  readonly #connector: Connector;
  readonly #upkeep: Upkeep;
  readonly #adapter: GenericPoolAdapter;
  readonly #availability: Availability;
  readonly #abandoned: AbandonedCheck;
  readonly #paramsCheck = new BorrowParamsCheck();
  #borrowedCount = 0;
  #shutdownPromise: Promise<void> | undefined;

  /**
   * Validates the options and starts opening `maxSize` connections in the background.
   * @param options the pool's options and the connection options of every synthesizer.
   * @throws {InvalidOptionError} naming the option and the bad value.
   * @throws {MissingApiKeyError} when there is no key.
   */
  constructor(options: PoolOptions = {}) {
    super();
    this.#options = resolvePoolOptions(options);
    const { maxSize, connectConcurrency, abandonedAfterMs } = this.#options;
    this.#availability = new Availability(this.#metrics, Math.min(maxSize, connectConcurrency));
    this.#abandoned = new AbandonedCheck(this.#members, abandonedAfterMs, (member, info) =>
      this.#reclaimAbandoned(member, info),
    );
    this.#emit = safeEmitter(this);
    this.#lifecycle = new PoolLifecycle((error) => this.#adapter.failWaiters(error));
    if (!this.#options.preOpen) this.#lifecycle.ready.resolve();
    const { maxTasksPerSecond } = this.#options;
    this.#rateLimiter = maxTasksPerSecond === undefined ? undefined : new RateLimiter(maxTasksPerSecond);
    const parts = {
      options: this.#options,
      members: this.#members,
      metrics: this.#metrics,
      emit: this.#emit,
      lifecycle: this.#lifecycle,
      rateLimiter: this.#rateLimiter,
      availability: this.#availability,
    };
    this.#connector = new Connector(parts);
    this.#upkeep = new Upkeep({
      ...parts,
      connector: this.#connector,
      onTick: () => this.#abandoned.check(),
    });
    this.#adapter = new GenericPoolAdapter({ ...parts, connector: this.#connector, health: this.#upkeep });
    this.#upkeep.start();
  }

  /**
   * Resolves when the pre-opened connections are up.
   * @param options `timeoutMs` (default: the pool's `acquireTimeoutMs`) and a `signal` to give up.
   * @throws {AuthenticationError} at once when the key is refused.
   * @throws {PoolUnavailableError} once a full round of attempts failed with no connection open (a
   *   host that does not resolve, a refused port…); see `availability.ts`. `cause`: the last error.
   * @throws the last connect error, else an {AcquireTimeoutError}, after `timeoutMs`.
   * @throws {AbortError} when `signal` aborts; {InvalidOptionError} for bad options.
   * @throws {PoolClosedError} when the pool is shut down first.
   */
  async ready(options?: ReadyOptions | null): Promise<void> {
    const { timeoutMs, signal } = resolveWaitOptions(options, this.#options.acquireTimeoutMs);
    await waitUntilReady(
      {
        availability: this.#availability,
        connector: this.#connector,
        lifecycle: this.#lifecycle,
        connectTimeoutMs: this.#options.connectTimeoutMs,
      },
      timeoutMs,
      signal,
    );
  }

  /**
   * Lends a pre-connected synthesizer bound to `params`. Waits (first come, first served) while
   * all are borrowed.
   * @param params the synthesis parameters and callback the synthesizer is bound to.
   * @param options a timeout for the wait, and a signal to give it up (`null` counts as none).
   * @returns the synthesizer; give it back with {@link returnSynthesizer}.
   * @throws {InvalidParameterError} for bad parameters, or connection settings (those are the pool's).
   * @throws {InvalidOptionError} for a bad callback, `timeoutMs` or `signal` (nothing waits then).
   * @throws {AcquireTimeoutError} after the timeout; its `cause` is the last connect error, if any.
   * @throws {PoolUnavailableError} within about `connectTimeoutMs` while no connection is open
   *   and connection attempts fail; its `cause` is the last connect error.
   * @throws {PoolQueueFullError} when `maxWaitingClients` borrowers already wait.
   * @throws {AuthenticationError} (or another fatal connect error) at once when the key was refused.
   * @throws {PoolClosedError} after shutdown. {AbortError} when `signal` aborts.
   */
  borrowSynthesizer(
    params: (BorrowParams | SambertBorrowParams) & { callback?: undefined },
    options?: BorrowOptions | null,
  ): Promise<CollectingSynthesizer>;
  borrowSynthesizer(
    params: (BorrowParams | SambertBorrowParams) & { callback: ResultCallback },
    options?: BorrowOptions | null,
  ): Promise<CallbackSynthesizer>;
  borrowSynthesizer(
    params: BorrowParams | SambertBorrowParams,
    options?: BorrowOptions | null,
  ): Promise<SpeechSynthesizer>;
  borrowSynthesizer(
    params: BorrowParams | SambertBorrowParams,
    options?: BorrowOptions | null,
  ): Promise<SpeechSynthesizer> {
    try {
      // Captured here, in the method the borrower called: the stack starts at the borrower.
      const stack = this.#abandoned.captureStack();
      const lent = this.#borrow(params, resolveWaitOptions(options, this.#options.acquireTimeoutMs), stack);
      return lent instanceof Promise ? lent.then(synthOf) : Promise.resolve(lent.synth);
    } catch (error) {
      return rejected(error);
    }
  }

  /** A borrow: the member at once when one is idle, else a promise of it. Throws synchronously. */
  #borrow(
    params: BorrowParams | SambertBorrowParams,
    { timeoutMs, signal }: { timeoutMs: number; signal: AbortSignal | undefined },
    stack: string | undefined,
  ): Member | Promise<Member> {
    const binding = this.#paramsCheck.check(params);
    if (this.#lifecycle.isShutDown) throw new PoolClosedError();
    if (this.#lifecycle.fatal) throw this.#lifecycle.fatal;
    if (signal?.aborted) throw new AbortError(signal.reason);
    const startedAt = performance.now();
    const idle = this.#adapter.takeIdle();
    if (idle) return this.#lend(idle, params, binding, stack, startedAt);
    return this.#adapter
      .acquire(timeoutMs, signal)
      .then((synth) => this.#lend(synth, params, binding, stack, startedAt));
  }

  /** Binds a synthesizer the adapter handed out to `params` and marks its member borrowed. */
  #lend(
    synth: SpeechSynthesizer,
    params: BorrowParams | SambertBorrowParams,
    binding: Binding | undefined,
    stack: string | undefined,
    startedAt: number,
  ): Member {
    const member = this.#members.lent(synth);
    try {
      // A borrow's callback, if any: an idle synthesizer has none (returnSynthesizer clears it).
      synth[kBind](params, binding);
    } catch (error) {
      // Validated above, so only a broken invariant gets here: never lend a half-bound synthesizer.
      this.#adapter.putBack(synth);
      throw error;
    }
    const now = performance.now();
    member.borrowed = true;
    member.borrowedAt = now;
    member.borrowStack = stack;
    this.#borrowedCount += 1;
    const waitMs = now - startedAt;
    this.#metrics.recordBorrow(waitMs, this.#borrowedCount);
    if (this.listenerCount('borrow') > 0) this.#emit('borrow', { waitMs });
    return member;
  }

  /**
   * Takes a synthesizer back. It is kept only if its last task ended cleanly, no task runs and
   * its socket is alive; otherwise it is closed (a running task fails) and a replacement opens.
   * Listeners the borrower added are removed.
   * @param synth a synthesizer this pool lent.
   * @returns true when kept; false when closed, and for a foreign or already returned
   *   synthesizer, which is left alone.
   */
  async returnSynthesizer(synth: SpeechSynthesizer): Promise<boolean> {
    return this.#giveBack(synth);
  }

  /** {@link returnSynthesizer} without a promise when the synthesizer is kept at once. */
  readonly #giveBack = (synth: SpeechSynthesizer): boolean | Promise<boolean> => {
    const member = synth instanceof SpeechSynthesizer ? this.#members.get(synth) : undefined;
    if (!member?.borrowed) return false;
    member.borrowed = false;
    this.#borrowedCount -= 1;
    if (synth.eventNames().length > 0) synth.removeAllListeners();
    // A cancel in flight ends within responseTimeoutMs (the synthesizer's watchdog).
    if (synth[kIsCancelling]) return synth[kWhenIdle]().then(() => this.#keepOrClose(synth, member));
    return this.#keepOrClose(synth, member);
  };

  /** Keeps a returned synthesizer for the next borrower if it is lendable, else closes it. */
  #keepOrClose(synth: SpeechSynthesizer, member: Member): boolean | Promise<boolean> {
    if (!this.#lifecycle.isShutDown && this.#upkeep.isLendable(synth)) {
      synth.setCallback(undefined);
      // The next borrower starts clean, and an idle synthesizer keeps none of its last task.
      synth[kForgetLastTask]();
      this.#adapter.release(synth);
      this.#recordReturn(true);
      return true;
    }
    member.discardReason = synth.state === 'busy' ? 'returned-busy' : 'returned-unusable';
    return this.#adapter.destroy(synth).then(() => this.#recordReturn(false));
  }

  #recordReturn(kept: boolean): boolean {
    this.#metrics.recordReturn(kept);
    if (this.listenerCount('return') > 0) this.#emit('return', { kept });
    return kept;
  }

  /**
   * Borrows a synthesizer, runs `fn` with it, then returns it (or closes it, if the task failed)
   * on every path: resolved, rejected, thrown synchronously or aborted. An abort of
   * `options.signal` while `fn` runs cancels the running task.
   * @param fn what to do with the synthesizer; `params` and `options` as for {@link borrowSynthesizer}.
   * @returns what `fn` returns.
   * @throws what {@link borrowSynthesizer} throws, and what `fn` throws; {InvalidParameterError}
   *   when `fn` is not a function (before anything waits).
   */
  withSynthesizer<T>(
    params: (BorrowParams | SambertBorrowParams) & { callback?: undefined },
    fn: (synth: CollectingSynthesizer) => T | Promise<T>,
    options?: BorrowOptions | null,
  ): Promise<T>;
  withSynthesizer<T>(
    params: (BorrowParams | SambertBorrowParams) & { callback: ResultCallback },
    fn: (synth: CallbackSynthesizer) => T | Promise<T>,
    options?: BorrowOptions | null,
  ): Promise<T>;
  withSynthesizer<T>(
    params: BorrowParams | SambertBorrowParams,
    fn: (synth: SpeechSynthesizer) => T | Promise<T>,
    options?: BorrowOptions | null,
  ): Promise<T>;
  withSynthesizer<T>(
    params: BorrowParams | SambertBorrowParams,
    // `never`: each overload's narrower synthesizer type; the borrow's callback decides which.
    fn: (synth: never) => T | Promise<T>,
    options?: BorrowOptions | null,
  ): Promise<T> {
    // Not an async function: see with-synthesizer.ts.
    try {
      const stack = this.#abandoned.captureStack();
      if (typeof fn !== 'function') {
        throw new InvalidParameterError('fn', `invalid fn ${describeValue(fn)}: expected a function`);
      }
      const wait = resolveWaitOptions(options, this.#options.acquireTimeoutMs);
      const lent = this.#borrow(params, wait, stack);
      if (!(lent instanceof Promise)) return this.#runnerOf(lent).run(fn, wait.signal);
      return lent.then((member) => this.#runnerOf(member).run(fn, wait.signal));
    } catch (error) {
      return rejected(error);
    }
  }

  /** The runner of a member's `withSynthesizer` borrows (made on the first). */
  #runnerOf(member: Member): BorrowRunner {
    return (member.runner ??= new BorrowRunner(member.synth, this.#giveBack));
  }

  /** The pool's size right now. */
  stats(): PoolStats {
    return {
      maxSize: this.#options.maxSize,
      size: this.#members.size - this.#members.closing,
      available: this.#lifecycle.stopped ? 0 : this.#adapter.available,
      borrowed: this.#borrowedCount,
      pending: this.#adapter.waiting,
      connecting: this.#connector.connecting,
      closing: this.#members.closing,
    };
  }

  /** Latency percentiles, error rate, utilization, reuse ratio and connection counters. */
  metrics(): PoolMetrics {
    const snapshot = this.#metrics.snapshot(this.#borrowedCount, this.#options.maxSize);
    if (this.#options.quota) snapshot.quota = this.#options.quota.metrics();
    return snapshot;
  }

  /**
   * Stops lending, rejects waiting borrowers, closes borrowed synthesizers that run no task at
   * once, lets running tasks finish for up to `graceMs` (each synthesizer is closed as soon as
   * its task ends), then closes every socket and stops every timer. Idempotent.
   * @param options `graceMs`: how long running tasks may go on (default 10 000 ms).
   * @returns a promise that resolves once every socket is closed; it rejects with
   *   {InvalidOptionError} for a bad `graceMs` (and the pool is not shut down then).
   */
  shutdown(options?: ShutdownOptions | null): Promise<void> {
    if (this.#shutdownPromise) return this.#shutdownPromise;
    let graceMs: number;
    try {
      graceMs = resolveGraceMs(options);
    } catch (error) {
      return Promise.reject(asDashScopeError(error));
    }
    this.#shutdownPromise = this.#shutdown(graceMs);
    return this.#shutdownPromise;
  }

  /** `await using pool = new SpeechSynthesizerObjectPool(...)` shuts it down at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  async #shutdown(graceMs: number): Promise<void> {
    this.#upkeep.stop();
    this.#lifecycle.shutDown();
    const closed = new PoolClosedError();
    this.#adapter.failWaiters(closed);
    this.#rateLimiter?.rejectAll(closed);
    this.#lifecycle.ready.reject(closed);
    this.#members.wakeAll();
    await this.#adapter.shutdown(() =>
      closeBorrowed(
        this.#members,
        graceMs,
        (member) => this.#takeBack(member, 'shutdown'),
        (synth) => this.#adapter.destroy(synth),
      ),
    );
    await this.#members.forgetAll();
  }

  /** Takes back a synthesizer its borrower kept idle too long: closes it, a replacement opens. */
  #reclaimAbandoned(member: Member, info: AbandonInfo): void {
    if (!member.borrowed) return;
    this.#takeBack(member, 'abandoned');
    this.#metrics.recordAbandoned();
    this.#emit('abandon', info);
    void this.#adapter.destroy(member.synth);
  }

  /** Ends a borrow without the borrower: the synthesizer is to be closed for `reason`. */
  #takeBack(member: Member, reason: 'shutdown' | 'abandoned'): void {
    member.borrowed = false;
    member.borrowStack = undefined;
    this.#borrowedCount -= 1;
    member.discardReason = reason;
  }
}
