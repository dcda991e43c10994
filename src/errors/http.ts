/** Errors of the HTTP generation endpoints (`Generation`, `MultiModalConversation`). */
import { DashScopeError, type DashScopeErrorOptions } from './base.js';

/** An HTTP generation request failed with a status, or the stream carried an error event. */
export class HttpRequestError extends DashScopeError {
  /** The HTTP status (200 for an error event inside a stream). */
  readonly status: number;
  /** DashScope's `code` from the response body, e.g. `InvalidParameter`. */
  readonly errorCode: string | undefined;
  /** DashScope's `message` from the response body. */
  readonly errorMessage: string | undefined;
  /** DashScope's request id, for support tickets. */
  readonly requestId: string | undefined;
  /** Seconds from a `Retry-After` header, when the server sent one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(details: {
    status: number;
    errorCode?: string | undefined;
    errorMessage?: string | undefined;
    requestId?: string | undefined;
    retryAfterSeconds?: number | undefined;
  }) {
    const retryable = details.status === 429 || details.status >= 500;
    super(
      'DS_ERR_HTTP',
      `HTTP ${details.status}${details.errorCode ? ` ${details.errorCode}` : ''}` +
        `${details.errorMessage ? `: ${details.errorMessage}` : ''}` +
        `${details.requestId ? ` (request ${details.requestId})` : ''}`,
      { retryable },
    );
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.errorMessage = details.errorMessage;
    this.requestId = details.requestId;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

/** An HTTP request did not complete within its connect, read or write timeout. */
export class RequestTimeoutError extends DashScopeError {
  /** Which timeout ran out. */
  readonly phase: 'connect' | 'read' | 'write' | 'total';
  /** The timeout that ran out, ms. */
  readonly timeoutMs: number;

  constructor(phase: 'connect' | 'read' | 'write' | 'total', timeoutMs: number) {
    super('DS_ERR_REQUEST_TIMEOUT', `HTTP request ${phase} timeout after ${timeoutMs} ms`, {
      retryable: true,
    });
    this.phase = phase;
    this.timeoutMs = timeoutMs;
  }
}

/** Too many HTTP requests are already waiting for a connection slot (`maxQueuedRequests`). Nothing was sent. */
export class RequestQueueFullError extends DashScopeError {
  /** The limit that was reached. */
  readonly maxQueuedRequests: number;

  constructor(maxQueuedRequests: number) {
    super(
      'DS_ERR_HTTP_QUEUE_FULL',
      `Too many HTTP requests waiting for a connection (maxQueuedRequests = ${maxQueuedRequests})`,
      { retryable: true },
    );
    this.maxQueuedRequests = maxQueuedRequests;
  }
}

/** An HTTP request waited longer than `queueTimeout` for a connection slot. Nothing was sent. */
export class RequestQueueTimeoutError extends DashScopeError {
  /** How long the request waited, ms. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super('DS_ERR_HTTP_QUEUE_TIMEOUT', `No HTTP connection slot became free within ${timeoutMs} ms`, {
      retryable: true,
    });
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The HTTP connection failed: refused, reset, or dropped before the response was complete.
 * `socketCode` is the system error code (e.g. `ECONNRESET`) when there is one.
 */
export class HttpConnectionError extends DashScopeError {
  /** The system error code, e.g. `ECONNRESET`, when there is one. */
  readonly socketCode: string | undefined;
  /** Whether the failure happened on a kept-alive socket that had served an earlier request. */
  readonly reusedSocket: boolean;
  /** Whether part of the response (status line or more) had already arrived. */
  readonly responseStarted: boolean;

  constructor(
    message: string,
    options: DashScopeErrorOptions & {
      socketCode?: string | undefined;
      reusedSocket?: boolean;
      responseStarted?: boolean;
    } = {},
  ) {
    super('DS_ERR_HTTP_CONNECTION', message, { cause: options.cause, retryable: true });
    this.socketCode = options.socketCode;
    this.reusedSocket = options.reusedSocket ?? false;
    this.responseStarted = options.responseStarted ?? false;
  }
}

/** The HTTP connection pool was closed; it accepts no more requests. */
export class HttpPoolClosedError extends DashScopeError {
  constructor() {
    super('DS_ERR_HTTP_POOL_CLOSED', 'The HTTP connection pool is closed');
  }
}
