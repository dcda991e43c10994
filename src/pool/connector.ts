/**
 * Opening the pool's connections. Each synthesizer is made with the pool's hooks (the ownership
 * guard, the shared rate limiter, metrics and events) and connected with bounded parallelism;
 * while the endpoint fails, the next attempt waits an equal-jitter back-off, so that reconnect
 * loops never spin. A refusal that no retry can fix (a rejected key) stops the pool.
 */
import { boundQuota } from '../quota/task-gate.js';
import { equalJitter } from '../backoff.js';
import { resolveConnectionOptions } from '../config.js';
import { asDashScopeError } from '../errors/convert.js';
import {
  AuthenticationError,
  ConnectionError,
  HandshakeError,
  InvalidStateError,
  PoolClosedError,
  type DashScopeError,
} from '../errors/index.js';
import type { SynthesisParams } from '../params.js';
import { kResolved, kSetHooks } from '../synthesizer/internal.js';
import { resolveSynthesizerOptions, type ResolvedSynthesizerOptions } from '../synthesizer/options.js';
import { SpeechSynthesizer } from '../synthesizer/speech-synthesizer.js';
import { Deferred, sleep } from '../util/async.js';
import type { Availability } from './availability.js';
import type { EmitPoolEvent } from './events.js';
import type { PoolLifecycle } from './lifecycle.js';
import { jitteredRenewAfter, type Members } from './members.js';
import type { PoolMetricsRecorder } from './metrics.js';
import type { ResolvedPoolOptions } from './options.js';
import type { RateLimiter } from './rate-limiter.js';
import { Semaphore } from './semaphore.js';

/** The placeholder binding of an idle pooled synthesizer; every borrow replaces it. */
export const IDLE_PARAMS: SynthesisParams = { model: 'cosyvoice-v3-flash', voice: 'longanyang' };

/** The parts of the pool a connector works with. */
export interface ConnectorParts {
  readonly options: ResolvedPoolOptions;
  readonly members: Members;
  readonly metrics: PoolMetricsRecorder;
  readonly emit: EmitPoolEvent;
  readonly lifecycle: PoolLifecycle;
  readonly rateLimiter: RateLimiter | undefined;
  readonly availability: Availability;
}

export class Connector {
  readonly #parts: ConnectorParts;
  readonly #limiter: Semaphore;
  /**
   * Over TLS, the pool's first connect goes alone and the others wait here for it: they then
   * resume its session (tls-reuse.ts) instead of each paying a full handshake. Resolved, and
   * gone, once the first connect has ended either way.
   */
  #firstConnect: Deferred<void> | undefined;
  #firstTaken = false;
  #connecting = 0;
  #connectedOnce = 0;
  #consecutiveFailures = 0;
  #lastError: DashScopeError | undefined;
  /** Every member's options, resolved once (at the first make) for all of them. */
  #resolved: { [kResolved]: ResolvedSynthesizerOptions } | undefined;

  constructor(parts: ConnectorParts) {
    this.#parts = parts;
    this.#limiter = new Semaphore(parts.options.connectConcurrency);
    const { connectionOptions } = parts.options;
    if (
      connectionOptions.agent === undefined &&
      /^wss:/i.test(resolveConnectionOptions(connectionOptions).url)
    ) {
      this.#firstConnect = new Deferred<void>();
    }
  }

  /** Synthesizers being opened, or waiting out a back-off after a failed attempt. */
  get connecting(): number {
    return this.#connecting;
  }

  /** The last connect or renewal error, until a connect succeeds. */
  get lastError(): DashScopeError | undefined {
    return this.#lastError;
  }

  /**
   * One attempt to open a pooled synthesizer. Never rejects: resolves the connected synthesizer,
   * or `undefined` when the attempt failed (after its back-off) or the pool stopped meanwhile.
   * At most `connectConcurrency` attempts exist at once: the synthesizer itself is made only
   * once a permit is free and the pool has room for it.
   */
  async open(): Promise<SpeechSynthesizer | undefined> {
    const { lifecycle } = this.#parts;
    this.#connecting += 1;
    try {
      const gate = this.#firstConnect;
      const leading = gate !== undefined && !this.#firstTaken;
      if (leading) this.#firstTaken = true;
      else if (gate) await gate.promise;
      let outcome: SpeechSynthesizer | DashScopeError | undefined;
      try {
        outcome = await this.#limiter.run(() => this.#attempt());
      } finally {
        if (leading) {
          this.#firstConnect = undefined;
          gate.resolve();
        }
      }
      if (outcome instanceof SpeechSynthesizer) {
        this.#connectedOnce += 1;
        if (this.#connectedOnce >= this.#parts.options.maxSize) lifecycle.ready.resolve();
        return outcome;
      }
      if (outcome === undefined) return undefined;
      if (lifecycle.isShutDown || this.recordFailure(outcome)) return undefined;
      await sleep(this.backOffMs(), lifecycle.signal, { unref: true });
      return undefined;
    } finally {
      this.#connecting -= 1;
    }
  }

  /**
   * Records a failed connect or renewal: the last error, the counter, the `connectError` event.
   * Returns true when no retry can fix it; the pool is then stopped with it.
   */
  recordFailure(failure: DashScopeError): boolean {
    this.#lastError = failure;
    this.#parts.metrics.connections.failedAttempts += 1;
    this.#parts.emit('connectError', failure);
    if (!isFatal(failure)) {
      this.#parts.availability.recordFailure(failure);
      return false;
    }
    this.#parts.lifecycle.fail(failure);
    return true;
  }

  /**
   * The wait before the next attempt. It grows with every round of failures in a row (one
   * failure per connection opened at once), not with every failure: parallel attempts that fail
   * together would otherwise reach `reconnectMaxDelayMs` within one round, and a short outage
   * would keep the pool down for that long.
   */
  backOffMs(): number {
    const { reconnectInitialDelayMs, reconnectMaxDelayMs, maxSize, connectConcurrency } = this.#parts.options;
    const round = Math.floor(this.#consecutiveFailures++ / Math.min(maxSize, connectConcurrency));
    return equalJitter(reconnectInitialDelayMs, reconnectMaxDelayMs, round);
  }

  /** Waits for room, then makes a member and connects it: the synthesizer, its connect error, or undefined once stopped. */
  async #attempt(): Promise<SpeechSynthesizer | DashScopeError | undefined> {
    const { options, members, lifecycle } = this.#parts;
    // Sockets still closing count toward maxSize. Checking and adding with no wait in between
    // keeps the members within maxSize.
    while (members.size >= options.maxSize && !lifecycle.signal.aborted) await members.freed;
    if (lifecycle.stopped) return undefined;
    const synth = this.#make();
    members.add(synth, jitteredRenewAfter(options.renewIdleAfterMs));
    try {
      await synth.connect({ signal: lifecycle.signal });
    } catch (error) {
      await members.forget(synth);
      return asDashScopeError(error);
    }
    this.#consecutiveFailures = 0;
    this.#lastError = undefined;
    this.#parts.availability.recordSuccess();
    return synth;
  }

  #make(): SpeechSynthesizer {
    const { options, members, metrics, emit, rateLimiter, lifecycle } = this.#parts;
    // Only the abandoned-borrow check needs to know when a borrower's last task ended.
    const trackIdle = options.abandonedAfterMs !== undefined;
    this.#resolved ??= {
      [kResolved]: resolveSynthesizerOptions({
        ...options.connectionOptions,
        ...IDLE_PARAMS,
        eagerStart: options.eagerStart,
        responseTimeoutMs: options.responseTimeoutMs,
        retry: { connectionFailures: options.connectionRetries, throttling: options.throttlingRetries },
        quota: boundQuota(options.quota, options.acquireTimeoutMs),
      }),
    };
    const synth = new SpeechSynthesizer(this.#resolved as never);
    synth[kSetHooks]({
      // A reference kept after returnSynthesizer() must not run tasks on a connection that
      // now belongs to another borrower (their audio would cross).
      beforeTask: () => {
        if (lifecycle.isShutDown) throw new PoolClosedError();
        if (!members.get(synth)?.borrowed) {
          throw new InvalidStateError(
            'This synthesizer was returned to its pool (or never borrowed); borrow one with borrowSynthesizer()',
          );
        }
      },
      beforeRunTask: rateLimiter ? (signal) => rateLimiter.acquire(signal) : undefined,
      onTaskEnd: trackIdle
        ? (taskMetrics) => {
            metrics.recordTask(taskMetrics);
            emit('task', taskMetrics);
            const member = members.get(synth);
            if (member) member.lastTaskEndAt = performance.now();
          }
        : (taskMetrics) => {
            metrics.recordTask(taskMetrics);
            emit('task', taskMetrics);
          },
      onConnect: (connectionId, connectMs) => {
        metrics.connections.created += 1;
        metrics.connections.open += 1;
        emit('connect', { connectionId, connectMs });
      },
      onDisconnect: (connectionId, info) => {
        metrics.connections.closed += 1;
        metrics.connections.open -= 1;
        emit('disconnect', { connectionId, ...info });
      },
    });
    return synth;
  }
}

/** A refused key, or a failure that is neither retryable nor a connection problem. */
function isFatal(error: DashScopeError): boolean {
  if (error instanceof AuthenticationError) return true;
  if (error instanceof HandshakeError) return !error.retryable;
  return !error.retryable && !(error instanceof ConnectionError);
}
