/**
 * Errors of configuration, connection and synthesis tasks: everything a `SpeechSynthesizer`
 * can throw or emit.
 */
import { DashScopeError, type DashScopeErrorOptions } from './base.js';

/** A synthesis parameter or text is outside its documented range. Nothing was sent. */
export class InvalidParameterError extends DashScopeError {
  /** The parameter at fault, e.g. `volume` or `text`. */
  readonly parameter: string;

  constructor(parameter: string, message: string) {
    super('DS_ERR_INVALID_PARAMETER', message);
    this.parameter = parameter;
  }
}

/** A constructor or configuration option is invalid. The message names the option and the value. */
export class InvalidOptionError extends DashScopeError {
  /** The option at fault, e.g. `maxSize` or `pacing.realTimeFactor`. */
  readonly option: string;

  constructor(option: string, message: string) {
    super('DS_ERR_INVALID_OPTION', message);
    this.option = option;
  }
}

/** No API key was given and `DASHSCOPE_API_KEY` is not set. */
export class MissingApiKeyError extends DashScopeError {
  constructor() {
    super(
      'DS_ERR_MISSING_API_KEY',
      'No API key: pass the apiKey option or set the DASHSCOPE_API_KEY environment variable',
    );
  }
}

/** Details of a refused WebSocket upgrade (or HTTP request). The body never contains the key. */
export interface HttpFailureDetails {
  /** The HTTP status of the refusal. */
  status: number;
  /** The response body, as text (never containing the key). */
  body: string;
  /** DashScope's error code from a JSON body, when there is one (e.g. `InvalidApiKey`). */
  errorCode?: string | undefined;
  /** DashScope's request id, for support tickets. */
  requestId?: string | undefined;
  /** Seconds from a `Retry-After` header, when the server sent one. */
  retryAfterSeconds?: number | undefined;
}

/** The server refused the API key (HTTP 401 or 403). Never retried: a new key is needed. */
export class AuthenticationError extends DashScopeError {
  /** The HTTP status of the refusal. */
  readonly status: number;
  /** The response body, as text (never containing the key). */
  readonly body: string;
  /** DashScope's error code from a JSON body, e.g. `InvalidApiKey`. */
  readonly errorCode: string | undefined;
  /** DashScope's request id, for support tickets. */
  readonly requestId: string | undefined;

  constructor(details: HttpFailureDetails) {
    super(
      'DS_ERR_AUTHENTICATION',
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
  /** The HTTP status of the refusal. */
  readonly status: number;
  /** The response body, as text (never containing the key). */
  readonly body: string;
  /** DashScope's error code from a JSON body, e.g. `InvalidApiKey`. */
  readonly errorCode: string | undefined;
  /** DashScope's request id, for support tickets. */
  readonly requestId: string | undefined;
  /** Seconds from a `Retry-After` header, when the server sent one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(details: HttpFailureDetails) {
    const retryable = details.status === 429 || details.status >= 500;
    super(
      'DS_ERR_HANDSHAKE',
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
  /** The connect timeout that ran out, ms. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(
      'DS_ERR_CONNECT_TIMEOUT',
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
  /** The WebSocket close reason, when the server gave one. */
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
    super('DS_ERR_CONNECTION', message, { cause: options.cause, retryable: true });
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
  /** The id of the task that failed. */
  readonly taskId: string;
  /** Whether some audio had arrived before the failure. */
  readonly audioReceived: boolean;
  /** What to check, when the library can tell more than the server did (e.g. about the voice). */
  readonly hint: string | undefined;

  /**
   * @param details The server's code and message, the task id, whether audio had arrived, and
   *   an optional hint that is appended to the message.
   */
  constructor(details: {
    errorCode: string;
    errorMessage: string;
    taskId: string;
    audioReceived?: boolean;
    hint?: string | undefined;
  }) {
    super(
      'DS_ERR_TASK_FAILED',
      `Task ${details.taskId} failed: ${details.errorCode}: ${details.errorMessage}` +
        (details.hint === undefined ? '' : `; ${details.hint}`),
      {
        retryable: details.errorCode.startsWith('Throttling') || details.errorCode === 'LimitRequests',
      },
    );
    this.errorCode = details.errorCode;
    this.errorMessage = details.errorMessage;
    this.taskId = details.taskId;
    this.audioReceived = details.audioReceived ?? false;
    this.hint = details.hint;
  }
}

/** A task did not finish within its time limit. The connection is closed: its state is unknown. */
export class TaskTimeoutError extends DashScopeError {
  /** The id of the task that timed out. */
  readonly taskId: string;
  /** The limit that ran out, ms. */
  readonly timeoutMs: number;

  constructor(taskId: string, timeoutMs: number) {
    super(
      'DS_ERR_TASK_TIMEOUT',
      `Task ${taskId} did not finish within ${timeoutMs} ms (raise timeoutMs, or responseTimeoutMs for a silent server)`,
    );
    this.taskId = taskId;
    this.timeoutMs = timeoutMs;
  }
}

/** The operation was aborted through its AbortSignal. */
export class AbortError extends DashScopeError {
  constructor(reason?: unknown) {
    super('DS_ERR_ABORTED', 'The operation was aborted', { cause: reason });
    this.name = 'AbortError';
  }
}

/** The server sent a frame this client cannot understand (bad JSON, unknown event, wrong task id). */
export class ProtocolError extends DashScopeError {
  constructor(message: string, options: DashScopeErrorOptions = {}) {
    super('DS_ERR_PROTOCOL', message, options);
  }
}

/** The call does not fit the object's state, e.g. a second task while one is running, or use after close. */
export class InvalidStateError extends DashScopeError {
  constructor(message: string) {
    super('DS_ERR_INVALID_STATE', message);
  }
}

/**
 * The method does not exist for the model family the synthesizer is bound to, e.g.
 * `streamingCall()` on a Sambert model, which takes its whole text in one message. Nothing was
 * sent; the message says what to use instead.
 */
export class UnsupportedOperationError extends DashScopeError {
  /** The method that was refused, e.g. `streamingCall`. */
  readonly operation: string;
  /** The model the synthesizer is bound to, e.g. `sambert-zhichu-v1`. */
  readonly model: string;

  /**
   * @param operation The refused method's name.
   * @param model The synthesizer's model.
   * @param why Why the model family has no such method, and what to use instead.
   */
  constructor(operation: string, model: string, why: string) {
    super('DS_ERR_UNSUPPORTED_OPERATION', `${operation}() is not available for ${model}: ${why}`);
    this.operation = operation;
    this.model = model;
  }
}

/** The synthesizer (or its connection) was closed by the user. */
export class ClosedError extends DashScopeError {
  constructor(message = 'The synthesizer is closed') {
    super('DS_ERR_CLOSED', message);
  }
}

/** A user callback or event listener threw; the task it belonged to was stopped. `cause` is what it threw. */
export class CallbackError extends DashScopeError {
  /** Which callback or listener threw, e.g. `onData`. */
  readonly callback: string;

  constructor(callback: string, cause: unknown) {
    super(
      'DS_ERR_CALLBACK',
      `The ${callback} callback threw: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
    this.callback = callback;
  }
}
