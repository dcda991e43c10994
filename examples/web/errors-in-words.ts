/**
 * Speech errors as the page shows them: a sentence a user understands, with what to do, and the
 * HTTP status that carries it.
 */
import { DashScopeError, TaskFailedError } from '../../src/index.js';
import { httpStatusOf } from '../speak-into-response.js';

/** An error for the page. */
export interface ErrorInWords {
  status: number;
  /** Stable name the page (and tests) can branch on. */
  kind:
    | 'unknown-voice'
    | 'text-too-long'
    | 'bad-request'
    | 'pool-exhausted'
    | 'service-down'
    | 'service-failed'
    | 'shutting-down';
  message: string;
}

/** What the error was about, for the wording. */
export interface ErrorContext {
  voice: string;
  poolSize: number;
}

/** Describes a speech error in words. */
export function errorInWords(error: unknown, context: ErrorContext): ErrorInWords {
  const status = httpStatusOf(error);
  if (!(error instanceof DashScopeError)) {
    return {
      status,
      kind: 'service-failed',
      message: `Something went wrong on the server: ${String(error)}`,
    };
  }
  if (error instanceof TaskFailedError) {
    // The service answers an unknown voice with "[tts:]Engine return error code: 418".
    if (error.errorCode === 'InvalidParameter' && /\b418\b|voice/i.test(error.errorMessage)) {
      return {
        status,
        kind: 'unknown-voice',
        message: `There is no voice called “${context.voice}” on this speech service. Pick a voice from the list.`,
      };
    }
    if (error.errorCode === 'InvalidParameter') {
      return {
        status,
        kind: 'bad-request',
        message: `The speech service rejected the request: ${error.errorMessage}`,
      };
    }
    if (error.retryable) {
      return {
        status,
        kind: 'pool-exhausted',
        message: 'The speech service is busy (rate limit reached). Try again in a few seconds.',
      };
    }
    return {
      status,
      kind: 'service-failed',
      message: `The speech service failed this sentence (${error.errorCode}: ${error.errorMessage}). Try again.`,
    };
  }
  switch (error.code) {
    case 'DS_ERR_INVALID_PARAMETER':
      return { status, kind: 'bad-request', message: `The request was not sent: ${error.message}.` };
    case 'DS_ERR_POOL_ACQUIRE_TIMEOUT':
      if (error.cause !== undefined) return serviceDown(error.cause);
      return {
        status,
        kind: 'pool-exhausted',
        message:
          `All ${context.poolSize} voices are busy speaking for other pages and none became free in time. ` +
          'Try again in a moment.',
      };
    case 'DS_ERR_POOL_QUEUE_FULL':
      return {
        status,
        kind: 'pool-exhausted',
        message: 'Too many pages are waiting for a voice right now. Try again in a moment.',
      };
    case 'DS_ERR_POOL_CLOSED':
      return { status, kind: 'shutting-down', message: 'The server is shutting down.' };
    case 'DS_ERR_POOL_UNAVAILABLE':
      // No connection is open and none can be made: the cause says why (refused, unknown host…).
      return serviceDown(error.cause ?? error);
    case 'DS_ERR_CONNECTION':
    case 'DS_ERR_CONNECT_TIMEOUT':
    case 'DS_ERR_HANDSHAKE':
    case 'DS_ERR_AUTHENTICATION':
    case 'DS_ERR_TASK_TIMEOUT':
      return serviceDown(error);
    default:
      return { status, kind: 'service-failed', message: `Speech failed: ${error.message}` };
  }
}

function serviceDown(cause: unknown): ErrorInWords {
  const why = cause instanceof Error ? cause.message : String(cause);
  return {
    status: 503,
    kind: 'service-down',
    message: `The speech service cannot be reached right now (${why}). Check that it is running, then try again.`,
  };
}

/** The text is longer than one request may carry. */
export function textTooLong(characters: number, limit: number): ErrorInWords {
  return {
    status: 400,
    kind: 'text-too-long',
    message:
      `The text is ${characters} characters long (Chinese characters count twice); ` +
      `at most ${limit} fit in one request. Shorten it or split it up.`,
  };
}

/** A request the page should not have sent. */
export function badRequest(message: string): ErrorInWords {
  return { status: 400, kind: 'bad-request', message };
}
