/** Errors of the `apiKey` option when it is a function (a rotating or temporary key). */
import { DashScopeError } from './base.js';

/** Why a key function did not give a usable key. */
export type ApiKeyFailure = 'threw' | 'timeout' | 'invalid';

/**
 * The `apiKey` function threw or rejected (`threw`, with the error as `cause`), did not settle in
 * time (`timeout`), or gave something that is not a usable key (`invalid`). Nothing was sent.
 * The message never contains the key. A throw or timeout is `retryable` unless the cause is a
 * library error that is not (e.g. the long-lived key was refused when minting a temporary one).
 */
export class ApiKeyError extends DashScopeError {
  /** Why the key function gave no usable key: it `threw`, hit its `timeout`, or gave an `invalid` key. */
  readonly reason: ApiKeyFailure;

  constructor(reason: ApiKeyFailure, message: string, options: { cause?: unknown } = {}) {
    const cause = options.cause;
    const retryable = reason === 'invalid' ? false : cause instanceof DashScopeError ? cause.retryable : true;
    super('DS_ERR_API_KEY', message, { cause, retryable });
    this.reason = reason;
  }
}
