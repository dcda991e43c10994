/**
 * Every error class of the library. Each carries a stable `code` so that callers branch on
 * codes, never on message text. No error ever holds the API key: messages, bodies and headers
 * that pass through here are redacted by the code that builds them (see `secret.ts`).
 */

/** Options common to every library error. */
export interface DashScopeErrorOptions {
  cause?: unknown;
}

/** Base class of every error thrown or emitted by dashscope-tts-pool. */
export class DashScopeError extends Error {
  /** Stable machine-readable code, e.g. `ERR_TASK_FAILED`. */
  readonly code: string;
  /** Whether the same operation may succeed if simply tried again (possibly after a back-off). */
  readonly retryable: boolean;

  constructor(code: string, message: string, options: DashScopeErrorOptions & { retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** A synthesis parameter or text is outside its documented range. Nothing was sent. */
export class InvalidParameterError extends DashScopeError {
  /** The parameter at fault, e.g. `volume` or `text`. */
  readonly parameter: string;

  constructor(parameter: string, message: string) {
    super('ERR_INVALID_PARAMETER', message);
    this.parameter = parameter;
  }
}

/** A constructor or configuration option is invalid. The message names the option and the value. */
export class InvalidOptionError extends DashScopeError {
  readonly option: string;

  constructor(option: string, message: string) {
    super('ERR_INVALID_OPTION', message);
    this.option = option;
  }
}

/** No API key was given and `DASHSCOPE_API_KEY` is not set. */
export class MissingApiKeyError extends DashScopeError {
  constructor() {
    super(
      'ERR_MISSING_API_KEY',
      'No API key: pass the apiKey option or set the DASHSCOPE_API_KEY environment variable',
    );
  }
}

/** Details of a refused WebSocket upgrade (or HTTP request). The body never contains the key. */
export interface HttpFailureDetails {
  status: number;
  body: string;
  /** DashScope's error code from a JSON body, when there is one (e.g. `InvalidApiKey`). */
  errorCode?: string | undefined;
  requestId?: string | undefined;
  /** Seconds from a `Retry-After` header, when the server sent one. */
  retryAfterSeconds?: number | undefined;
}

/** The server refused the API key (HTTP 401 or 403). Never retried: a new key is needed. */
export class AuthenticationError extends DashScopeError {
  readonly status: number;
  readonly body: string;
  readonly errorCode: string | undefined;
  readonly requestId: string | undefined;

  constructor(details: HttpFailureDetails) {
    super(
      'ERR_AUTHENTICATION',
      `Authentication failed (HTTP ${details.status}${details.errorCode ? ` ${details.errorCode}` : ''}): ` +
        'check the API key and that it belongs to the region of the endpoint',
    );
    this.status = details.status;
    this.body = details.body;
    this.errorCode = details.errorCode;
    this.requestId = details.requestId;
  }
}

/** The WebSocket upgrade was refused with a status other than 401/403. 429 and 5xx are retryable. */
export class HandshakeError extends DashScopeError {
  readonly status: number;
  readonly body: string;
  readonly errorCode: string | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(details: HttpFailureDetails) {
    const retryable = details.status === 429 || details.status >= 500;
    super(
      'ERR_HANDSHAKE',
      `WebSocket upgrade refused with HTTP ${details.status}${details.errorCode ? ` ${details.errorCode}` : ''}` +
        (retryable ? ' (retryable)' : ''),
      { retryable },
    );
    this.status = details.status;
    this.body = details.body;
    this.errorCode = details.errorCode;
    this.requestId = details.requestId;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

/** The connection could not be opened within the connect timeout. */
export class ConnectTimeoutError extends DashScopeError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(
      'ERR_CONNECT_TIMEOUT',
      `WebSocket connection not established within ${timeoutMs} ms: check the url and the network, or raise connectTimeoutMs`,
      {
        retryable: true,
      },
    );
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The connection failed or was closed while it was needed: refused, reset, dropped or closed by
 * the server mid-task. A task that hits this did not complete; its audio is incomplete.
 */
export class ConnectionError extends DashScopeError {
  /** WebSocket close code, when the socket was closed with one (1006 for an abnormal drop). */
  readonly closeCode: number | undefined;
  readonly closeReason: string | undefined;
  /** Whether any audio of the failed task had already been delivered. */
  readonly audioReceived: boolean;

  constructor(
    message: string,
    options: DashScopeErrorOptions & {
      closeCode?: number;
      closeReason?: string;
      audioReceived?: boolean;
    } = {},
  ) {
    super('ERR_CONNECTION', message, { cause: options.cause, retryable: true });
    this.closeCode = options.closeCode;
    this.closeReason = options.closeReason;
    this.audioReceived = options.audioReceived ?? false;
  }
}

/** The server answered a task with `task-failed`. Carries the server's code and message. */
export class TaskFailedError extends DashScopeError {
  /** The server's `header.error_code`, e.g. `InvalidParameter` or `Throttling.RateQuota`. */
  readonly errorCode: string;
  /** The server's `header.error_message`. */
  readonly errorMessage: string;
  readonly taskId: string;
  readonly audioReceived: boolean;

  constructor(details: { errorCode: string; errorMessage: string; taskId: string; audioReceived?: boolean }) {
    super('ERR_TASK_FAILED', `Task ${details.taskId} failed: ${details.errorCode}: ${details.errorMessage}`, {
      retryable: details.errorCode.startsWith('Throttling') || details.errorCode === 'LimitRequests',
    });
    this.errorCode = details.errorCode;
    this.errorMessage = details.errorMessage;
    this.taskId = details.taskId;
    this.audioReceived = details.audioReceived ?? false;
  }
}

/** A task did not finish within its time limit. The connection is closed: its state is unknown. */
export class TaskTimeoutError extends DashScopeError {
  readonly taskId: string;
  readonly timeoutMs: number;

  constructor(taskId: string, timeoutMs: number) {
    super(
      'ERR_TASK_TIMEOUT',
      `Task ${taskId} did not finish within ${timeoutMs} ms (raise timeoutMs, or responseTimeoutMs for a silent server)`,
    );
    this.taskId = taskId;
    this.timeoutMs = timeoutMs;
  }
}

/** The operation was aborted through its AbortSignal. */
export class AbortError extends DashScopeError {
  constructor(reason?: unknown) {
    super('ERR_ABORTED', 'The operation was aborted', { cause: reason });
    this.name = 'AbortError';
  }
}

/** The server sent a frame this client cannot understand (bad JSON, unknown event, wrong task id). */
export class ProtocolError extends DashScopeError {
  constructor(message: string, options: DashScopeErrorOptions = {}) {
    super('ERR_PROTOCOL', message, options);
  }
}

/** The call does not fit the object's state, e.g. a second task while one is running, or use after close. */
export class InvalidStateError extends DashScopeError {
  constructor(message: string) {
    super('ERR_INVALID_STATE', message);
  }
}

/** The synthesizer (or its connection) was closed by the user. */
export class ClosedError extends DashScopeError {
  constructor(message = 'The synthesizer is closed') {
    super('ERR_CLOSED', message);
  }
}

/** A user callback or event listener threw; the task it belonged to was stopped. `cause` is what it threw. */
export class CallbackError extends DashScopeError {
  readonly callback: string;

  constructor(callback: string, cause: unknown) {
    super(
      'ERR_CALLBACK',
      `The ${callback} callback threw: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
    this.callback = callback;
  }
}

// ----- pool -------------------------------------------------------------------------------------

/** No synthesizer became free within `acquireTimeoutMs`. `cause` holds the last connect error, if any. */
export class AcquireTimeoutError extends DashScopeError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number, lastError?: unknown) {
    const why =
      lastError instanceof Error ? `; the last connection attempt failed: ${lastError.message}` : '';
    super(
      'ERR_POOL_ACQUIRE_TIMEOUT',
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
  readonly maxWaitingClients: number;

  constructor(maxWaitingClients: number) {
    super('ERR_POOL_QUEUE_FULL', `Too many borrowers waiting (maxWaitingClients = ${maxWaitingClients})`, {
      retryable: true,
    });
    this.maxWaitingClients = maxWaitingClients;
  }
}

/** The pool is shut down (or shutting down) and lends nothing more. */
export class PoolClosedError extends DashScopeError {
  constructor() {
    super('ERR_POOL_CLOSED', 'The pool is shut down');
  }
}

// ----- HTTP generation --------------------------------------------------------------------------

/** An HTTP generation request failed with a status, or the stream carried an error event. */
export class HttpRequestError extends DashScopeError {
  readonly status: number;
  /** DashScope's `code` from the response body, e.g. `InvalidParameter`. */
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
  readonly requestId: string | undefined;
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
      'ERR_HTTP',
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
  readonly phase: 'connect' | 'read' | 'write' | 'total';
  readonly timeoutMs: number;

  constructor(phase: 'connect' | 'read' | 'write' | 'total', timeoutMs: number) {
    super('ERR_REQUEST_TIMEOUT', `HTTP request ${phase} timeout after ${timeoutMs} ms`, { retryable: true });
    this.phase = phase;
    this.timeoutMs = timeoutMs;
  }
}

/** Too many HTTP requests are already waiting for a connection slot (`maxQueuedRequests`). Nothing was sent. */
export class RequestQueueFullError extends DashScopeError {
  readonly maxQueuedRequests: number;

  constructor(maxQueuedRequests: number) {
    super(
      'ERR_HTTP_QUEUE_FULL',
      `Too many HTTP requests waiting for a connection (maxQueuedRequests = ${maxQueuedRequests})`,
      { retryable: true },
    );
    this.maxQueuedRequests = maxQueuedRequests;
  }
}

/** An HTTP request waited longer than `queueTimeout` for a connection slot. Nothing was sent. */
export class RequestQueueTimeoutError extends DashScopeError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super('ERR_HTTP_QUEUE_TIMEOUT', `No HTTP connection slot became free within ${timeoutMs} ms`, {
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
    super('ERR_HTTP_CONNECTION', message, { cause: options.cause, retryable: true });
    this.socketCode = options.socketCode;
    this.reusedSocket = options.reusedSocket ?? false;
    this.responseStarted = options.responseStarted ?? false;
  }
}

/** The HTTP connection pool was closed; it accepts no more requests. */
export class HttpPoolClosedError extends DashScopeError {
  constructor() {
    super('ERR_HTTP_POOL_CLOSED', 'The HTTP connection pool is closed');
  }
}
