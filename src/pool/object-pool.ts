/**
 * SpeechSynthesizerObjectPool: pre-opened synthesizers lent out one borrower at a time. This file
 * is the public surface (borrow, return, withSynthesizer, ready, stats, metrics, shutdown); the
 * parts it wires together each live in their own file: generic-pool behind
 * `generic-pool-adapter.ts`, opening connections in `connector.ts`, renewal, ping and eviction
 * in `upkeep.ts`, counters in `metrics.ts`, options in `options.ts`.
 */
import { EventEmitter } from 'eventemitter3';
import {
  AbortError,
  AcquireTimeoutError,
  ConnectionError,
  InvalidParameterError,
  PoolClosedError,
} from '../errors/index.js';
import type { SynthesisParams } from '../params.js';
import type { SambertParams } from '../params-sambert.js';
import { familyOf } from '../synthesizer/families/select.js';
import { kIsCancelling, kWhenIdle } from '../synthesizer/internal.js';
import type { ResultCallback, SpeechSynthesizerOptions } from '../synthesizer/options.js';
import { SpeechSynthesizer } from '../synthesizer/speech-synthesizer.js';
import { Deferred, settleWithin } from '../util/async.js';
import { Connector } from './connector.js';
import { safeEmitter, type EmitPoolEvent, type PoolEvents } from './events.js';
import { GenericPoolAdapter } from './generic-pool-adapter.js';
import { PoolLifecycle } from './lifecycle.js';
import { Members } from './members.js';
import { PoolMetricsRecorder, type PoolMetrics } from './metrics.js';
import { resolvePoolOptions, type PoolOptions, type ResolvedPoolOptions } from './options.js';
import { RateLimiter } from './rate-limiter.js';
import { Upkeep } from './upkeep.js';

/** Parameters a borrowed synthesizer is bound to: a CosyVoice model's parameters and a callback. */
export interface BorrowParams extends SynthesisParams {
  /**
   * Receives the moments and audio of the borrower's tasks; without one, `call()` resolves to the
   * whole audio. The pool removes it when the synthesizer comes back.
   */
  callback?: ResultCallback | undefined;
}

/**
 * Parameters a borrowed synthesizer is bound to for a Sambert model (the model is the voice),
 * and a callback. Lent from the same pre-opened connections as CosyVoice.
 */
export interface SambertBorrowParams extends SambertParams {
  /**
   * Receives the moments and audio of the borrower's tasks; without one, `call()` resolves to the
   * whole audio. The pool removes it when the synthesizer comes back.
   */
  callback?: ResultCallback | undefined;
}

/** A borrowed synthesizer whose `call()` resolves to the whole audio: borrowed without a callback. */
export type CollectingSynthesizer = SpeechSynthesizer<SpeechSynthesizerOptions, Buffer>;

/** A borrowed synthesizer whose `call()` resolves to null: borrowed with a callback, which gets the audio. */
export type CallbackSynthesizer = SpeechSynthesizer<SpeechSynthesizerOptions, null>;

/** Options of one borrow (`borrowSynthesizer`, `withSynthesizer`). */
export interface BorrowOptions {
  /** Overrides the pool's `acquireTimeoutMs` for this borrow. */
  timeoutMs?: number | undefined;
  /** Gives up waiting (and, in withSynthesizer, cancels the running task). */
  signal?: AbortSignal | undefined;
}

/** Options of `shutdown()`. */
export interface ShutdownOptions {
  /** How long running tasks may go on before their sockets are closed. Default 10 000 ms. */
  graceMs?: number | undefined;
}

/** A snapshot of the pool's size. */
export interface PoolStats {
  /** The most synthesizers (one connection each) the pool holds at once: its `maxSize` option. */
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

// Pooled connections are opened with the pool's settings; a borrow cannot change them.
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
  #borrowedCount = 0;
  #shutdownPromise: Promise<void> | undefined;
  #borrowersGone: Deferred<void> | undefined;

  /**
   * Validates the options and starts opening `maxSize` connections in the background.
   * @throws {InvalidOptionError} naming the option and the bad value.
   * @throws {MissingApiKeyError} when there is no key.
   */
  constructor(options: PoolOptions = {}) {
    super();
    this.#options = resolvePoolOptions(options);
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
    };
    this.#connector = new Connector(parts);
    this.#upkeep = new Upkeep({ ...parts, connector: this.#connector });
    this.#adapter = new GenericPoolAdapter({ ...parts, connector: this.#connector, health: this.#upkeep });
    this.#upkeep.start();
  }

  /**
   * Resolves when the pre-opened connections are up.
   * @param options.timeoutMs how long to wait; default: the pool's `acquireTimeoutMs`.
   * @throws {AuthenticationError} at once when the key is refused.
   * @throws the last connect error, else an {AcquireTimeoutError}, after `timeoutMs`.
   * @throws {PoolClosedError} when the pool is shut down first.
   */
  async ready(options: { timeoutMs?: number | undefined } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.#options.acquireTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(this.#connector.lastError ?? new AcquireTimeoutError(timeoutMs)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.#lifecycle.ready.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Lends a pre-connected synthesizer bound to `params`. Waits (first come, first served) while
   * all are borrowed.
   * @param params the synthesis parameters and callback the synthesizer is bound to.
   * @param options a timeout for the wait, and a signal to give it up.
   * @returns the synthesizer; give it back with {@link returnSynthesizer}.
   * @throws {InvalidParameterError} for bad parameters, or connection settings (those are the pool's).
   * @throws {AcquireTimeoutError} after the timeout; its `cause` is the last connect error, if any.
   * @throws {PoolQueueFullError} when `maxWaitingClients` borrowers already wait.
   * @throws {AuthenticationError} (or another fatal connect error) at once when the key was refused.
   * @throws {PoolClosedError} after shutdown. {AbortError} when `signal` aborts.
   */
  borrowSynthesizer(
    params: (BorrowParams | SambertBorrowParams) & { callback?: undefined },
    options?: BorrowOptions,
  ): Promise<CollectingSynthesizer>;
  borrowSynthesizer(
    params: (BorrowParams | SambertBorrowParams) & { callback: ResultCallback },
    options?: BorrowOptions,
  ): Promise<CallbackSynthesizer>;
  borrowSynthesizer(
    params: BorrowParams | SambertBorrowParams,
    options?: BorrowOptions,
  ): Promise<SpeechSynthesizer>;
  async borrowSynthesizer(
    params: BorrowParams | SambertBorrowParams,
    options: BorrowOptions = {},
  ): Promise<SpeechSynthesizer> {
    checkBorrowParams(params);
    if (this.#lifecycle.isShutDown) throw new PoolClosedError();
    if (this.#lifecycle.fatal) throw this.#lifecycle.fatal;
    if (options.signal?.aborted) throw new AbortError(options.signal.reason);
    const timeoutMs = options.timeoutMs ?? this.#options.acquireTimeoutMs;
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
      throw new InvalidParameterError(
        'timeoutMs',
        `timeoutMs must be a number of milliseconds > 0, got ${timeoutMs}`,
      );
    }
    const startedAt = performance.now();
    const synth = await this.#adapter.acquire(timeoutMs, options.signal);
    const member = this.#members.get(synth);
    if (!member) {
      // Cannot happen: every lent synthesizer is a member. Fail loudly rather than lend a stray.
      throw new ConnectionError('internal: the pool lent a synthesizer it does not own');
    }
    try {
      synth.updateParams({ ...params, callback: params.callback });
    } catch (error) {
      // Validated above, so only a broken invariant gets here: never lend a half-bound synthesizer.
      this.#adapter.putBack(synth);
      throw error;
    }
    member.borrowed = true;
    this.#borrowedCount += 1;
    const waitMs = performance.now() - startedAt;
    this.#metrics.recordBorrow(waitMs, this.#borrowedCount);
    this.#emit('borrow', { waitMs });
    return synth;
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
    const member = synth instanceof SpeechSynthesizer ? this.#members.get(synth) : undefined;
    if (!member?.borrowed) return false;
    member.borrowed = false;
    this.#borrowedCount -= 1;
    synth.removeAllListeners();
    // A cancel in flight ends within responseTimeoutMs (the synthesizer's watchdog).
    if (synth[kIsCancelling]) await synth[kWhenIdle]();
    const keep = !this.#lifecycle.isShutDown && this.#upkeep.isLendable(synth);
    if (keep) {
      synth.setCallback(undefined);
      await this.#adapter.release(synth);
    } else {
      member.discardReason = synth.state === 'busy' ? 'returned-busy' : 'returned-unusable';
      await this.#adapter.destroy(synth);
    }
    this.#metrics.recordReturn(keep);
    this.#borrowersGone?.resolve();
    this.#emit('return', { kept: keep });
    return keep;
  }

  /**
   * Borrows a synthesizer, runs `fn` with it, then returns it (or closes it, if the task failed)
   * on every path: resolved, rejected, thrown synchronously or aborted. An abort of
   * `options.signal` while `fn` runs cancels the running task.
   * @returns what `fn` returns.
   * @throws what {@link borrowSynthesizer} throws, and what `fn` throws.
   */
  withSynthesizer<T>(
    params: (BorrowParams | SambertBorrowParams) & { callback?: undefined },
    fn: (synth: CollectingSynthesizer) => T | Promise<T>,
    options?: BorrowOptions,
  ): Promise<T>;
  withSynthesizer<T>(
    params: (BorrowParams | SambertBorrowParams) & { callback: ResultCallback },
    fn: (synth: CallbackSynthesizer) => T | Promise<T>,
    options?: BorrowOptions,
  ): Promise<T>;
  withSynthesizer<T>(
    params: BorrowParams | SambertBorrowParams,
    fn: (synth: SpeechSynthesizer) => T | Promise<T>,
    options?: BorrowOptions,
  ): Promise<T>;
  async withSynthesizer<T>(
    params: BorrowParams | SambertBorrowParams,
    // `never`: each overload's narrower synthesizer type; the borrow's callback decides which.
    fn: (synth: never) => T | Promise<T>,
    options: BorrowOptions = {},
  ): Promise<T> {
    const synth = await this.borrowSynthesizer(params, options);
    const onAbort = (): void => void synth.streamingCancel();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await fn(synth as never);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      await this.returnSynthesizer(synth);
    }
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
   * Stops lending, rejects waiting borrowers, lets running tasks finish for up to `graceMs`,
   * then closes every socket (borrowed ones too) and stops every timer. Idempotent.
   * @returns a promise that resolves once every socket is closed.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    this.#shutdownPromise ??= this.#shutdown(options.graceMs ?? 10_000);
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

    // Running tasks may finish within the grace period.
    const deadline = performance.now() + graceMs;
    while (this.#borrowedCount > 0 && performance.now() < deadline) {
      this.#borrowersGone = new Deferred<void>();
      await settleWithin(this.#borrowersGone.promise, deadline - performance.now());
    }

    await this.#adapter.shutdown(() => {
      for (const member of [...this.#members.values()]) {
        if (!member.borrowed) continue;
        member.borrowed = false;
        this.#borrowedCount -= 1;
        member.discardReason = 'shutdown';
        void this.#adapter.destroy(member.synth);
      }
    });
    await this.#members.forgetAll();
  }
}

/**
 * Checks a borrow's parameters before anything waits.
 * @throws {InvalidParameterError} for a connection setting, or a parameter out of range.
 */
function checkBorrowParams(params: BorrowParams | SambertBorrowParams): void {
  for (const key of CONNECTION_KEYS) {
    if (params !== null && typeof params === 'object' && key in params) {
      throw new InvalidParameterError(
        key,
        `${key} cannot be set per borrow: pooled connections are opened with the pool's settings`,
      );
    }
  }
  familyOf((params as { model?: unknown } | null)?.model).validate(params);
}
