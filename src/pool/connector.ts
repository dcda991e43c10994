/**
 * Opening the pool's connections. Each synthesizer is made with the pool's hooks (the ownership
 * guard, the shared rate limiter, metrics and events) and connected with bounded parallelism;
 * while the endpoint fails, the next attempt waits an equal-jitter back-off, so that reconnect
 * loops never spin. A refusal that no retry can fix (a rejected key) stops the pool.
 */
import { boundQuota } from '../quota/task-gate.js';
import { equalJitter } from '../backoff.js';
import { asDashScopeError } from '../errors/convert.js';
import {
  AuthenticationError,
  ConnectionError,
  HandshakeError,
  InvalidStateError,
  type DashScopeError,
} from '../errors/index.js';
import type { SynthesisParams } from '../params.js';
import { kSetHooks } from '../synthesizer/internal.js';
import { SpeechSynthesizer } from '../synthesizer/speech-synthesizer.js';
import { sleep } from '../util/async.js';
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
}

export class Connector {
  readonly #parts: ConnectorParts;
  readonly #limiter: Semaphore;
  #connecting = 0;
  #connectedOnce = 0;
  #consecutiveFailures = 0;
  #lastError: DashScopeError | undefined;

  constructor(parts: ConnectorParts) {
    this.#parts = parts;
    this.#limiter = new Semaphore(parts.options.connectConcurrency);
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
   */
  async open(): Promise<SpeechSynthesizer | undefined> {
    const { options, members, lifecycle } = this.#parts;
    const synth = this.#make();
    members.add(synth, jitteredRenewAfter(options.renewIdleAfterMs));
    this.#connecting += 1;
    try {
      await this.#limiter.run(() => synth.connect({ signal: lifecycle.signal }));
      this.#consecutiveFailures = 0;
      this.#lastError = undefined;
      this.#connectedOnce += 1;
      if (this.#connectedOnce >= options.maxSize) lifecycle.ready.resolve();
      return synth;
    } catch (error) {
      await members.forget(synth);
      if (lifecycle.isShutDown || this.recordFailure(asDashScopeError(error))) return undefined;
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
    if (!isFatal(failure)) return false;
    this.#parts.lifecycle.fail(failure);
    return true;
  }

  /** The wait before the next attempt; it grows with every failure in a row. */
  backOffMs(): number {
    const { reconnectInitialDelayMs, reconnectMaxDelayMs } = this.#parts.options;
    return equalJitter(reconnectInitialDelayMs, reconnectMaxDelayMs, this.#consecutiveFailures++);
  }

  #make(): SpeechSynthesizer {
    const { options, members, metrics, emit, rateLimiter } = this.#parts;
    const synth = new SpeechSynthesizer({
      ...options.connectionOptions,
      ...IDLE_PARAMS,
      eagerStart: options.eagerStart,
      responseTimeoutMs: options.responseTimeoutMs,
      retry: {
        connectionFailures: options.connectionRetries,
        throttling: options.throttlingRetries,
      },
      quota: boundQuota(options.quota, options.acquireTimeoutMs),
    });
    synth[kSetHooks]({
      // A reference kept after returnSynthesizer() must not run tasks on a connection that
      // now belongs to another borrower (their audio would cross).
      beforeTask: () => {
        if (!members.get(synth)?.borrowed) {
          throw new InvalidStateError(
            'This synthesizer was returned to its pool (or never borrowed); borrow one with borrowSynthesizer()',
          );
        }
      },
      beforeRunTask: rateLimiter ? (signal) => rateLimiter.acquire(signal) : undefined,
      onTaskEnd: (taskMetrics) => {
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
