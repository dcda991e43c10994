/** Errors of `SpeechSynthesizerObjectPool`'s borrowing and lifecycle. */
import { DashScopeError } from './base.js';

/** No synthesizer became free within `acquireTimeoutMs`. `cause` holds the last connect error, if any. */
export class AcquireTimeoutError extends DashScopeError {
  /** How long the borrower waited, ms. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number, lastError?: unknown) {
    const why =
      lastError instanceof Error ? `; the last connection attempt failed: ${lastError.message}` : '';
    super(
      'DS_ERR_POOL_ACQUIRE_TIMEOUT',
      `No synthesizer became available within ${timeoutMs} ms${why}` +
        (lastError
          ? ''
          : ': all are borrowed or still connecting; return them sooner, or raise maxSize or acquireTimeoutMs'),
      {
        cause: lastError,
        retryable: true,
      },
    );
    this.timeoutMs = timeoutMs;
  }
}

/** Too many borrowers are already waiting (`maxWaitingClients`). */
export class PoolQueueFullError extends DashScopeError {
  /** The limit that was reached. */
  readonly maxWaitingClients: number;

  constructor(maxWaitingClients: number) {
    super(
      'DS_ERR_POOL_QUEUE_FULL',
      `Too many borrowers waiting (maxWaitingClients = ${maxWaitingClients}): return synthesizers sooner, ` +
        'or raise maxSize or maxWaitingClients',
      {
        retryable: true,
      },
    );
    this.maxWaitingClients = maxWaitingClients;
  }
}

/** The pool is shut down (or shutting down) and lends nothing more. */
export class PoolClosedError extends DashScopeError {
  constructor() {
    super(
      'DS_ERR_POOL_CLOSED',
      'The pool is shut down: borrow before shutdown(), or create a new pool for further work',
    );
  }
}

/**
 * The pool has no live connection and its connection attempts are failing: a borrower (or
 * `ready()`) learns why at the next failed attempt, within about `connectTimeoutMs`, instead of
 * waiting out `acquireTimeoutMs`. `cause` is the last
 * connect error (`ConnectionError` for a host that does not resolve or a refused port,
 * `ConnectTimeoutError`, a retryable `HandshakeError`…). The pool keeps reconnecting in the
 * background with back-off; borrowing works again once a connection opens.
 */
export class PoolUnavailableError extends DashScopeError {
  constructor(lastError: unknown) {
    const why = lastError instanceof Error ? `: ${lastError.message}` : '';
    super(
      'DS_ERR_POOL_UNAVAILABLE',
      `The pool has no open connection and its connection attempts fail${why}. ` +
        'Check the url, the network and the service status; the pool keeps reconnecting in the ' +
        'background and lends again once a connection opens',
      { cause: lastError, retryable: true },
    );
  }
}
