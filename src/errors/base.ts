/**
 * The base of every library error: a stable `code` from {@link ErrorCode}, a `retryable` flag,
 * and a brand that makes `instanceof` work across copies of the library (the ESM and the
 * CommonJS build loaded side by side, or two installed versions).
 *
 * No error ever holds the API key: messages, bodies and headers that pass through here are
 * redacted by the code that builds them (see `secret.ts`).
 */

/**
 * Every code a library error can carry. The `DS_ERR_` prefix keeps them apart from Node's own
 * `ERR_*` codes, so `error.code === 'DS_ERR_INVALID_STATE'` can only be ours.
 */
export type ErrorCode =
  | 'DS_ERR_ABORTED'
  | 'DS_ERR_API_KEY'
  | 'DS_ERR_AUTHENTICATION'
  | 'DS_ERR_CALLBACK'
  | 'DS_ERR_CLOSED'
  | 'DS_ERR_CONNECTION'
  | 'DS_ERR_CONNECT_TIMEOUT'
  | 'DS_ERR_HANDSHAKE'
  | 'DS_ERR_HTTP'
  | 'DS_ERR_HTTP_CONNECTION'
  | 'DS_ERR_HTTP_POOL_CLOSED'
  | 'DS_ERR_HTTP_QUEUE_FULL'
  | 'DS_ERR_HTTP_QUEUE_TIMEOUT'
  | 'DS_ERR_INVALID_OPTION'
  | 'DS_ERR_INVALID_PARAMETER'
  | 'DS_ERR_INVALID_STATE'
  | 'DS_ERR_MISSING_API_KEY'
  | 'DS_ERR_POOL_ACQUIRE_TIMEOUT'
  | 'DS_ERR_POOL_CLOSED'
  | 'DS_ERR_POOL_QUEUE_FULL'
  | 'DS_ERR_POOL_UNAVAILABLE'
  | 'DS_ERR_PROTOCOL'
  | 'DS_ERR_QUOTA_TIMEOUT'
  | 'DS_ERR_QUOTA_UNAVAILABLE'
  | 'DS_ERR_REQUEST_TIMEOUT'
  | 'DS_ERR_TASK_FAILED'
  | 'DS_ERR_TASK_TIMEOUT'
  | 'DS_ERR_UNSUPPORTED_OPERATION';

/** Options common to every library error. */
export interface DashScopeErrorOptions {
  /** The error that led to this one (`error.cause`). */
  cause?: unknown;
}

/**
 * The brand: a registry symbol (the same in every copy of the library) whose value lists the
 * names of the error's classes, most derived first. `instanceof` falls back to it.
 */
const BRAND = Symbol.for('dashscope-tts-pool.error');

interface Branded {
  readonly [BRAND]: readonly string[];
}

function brandOf(value: unknown): readonly string[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const brand = (value as Partial<Branded>)[BRAND];
  return Array.isArray(brand) ? (brand as readonly string[]) : undefined;
}

/** Base class of every error thrown or emitted by dashscope-tts-pool. */
export class DashScopeError extends Error {
  /** Stable machine-readable code, e.g. `DS_ERR_TASK_FAILED`. */
  readonly code: ErrorCode;
  /** Whether the same operation may succeed if simply tried again (possibly after a back-off). */
  readonly retryable: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    options: DashScopeErrorOptions & { retryable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    const names: string[] = [];
    for (let c: unknown = new.target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) {
      names.push((c as { name: string }).name);
    }
    Object.defineProperty(this, BRAND, { value: Object.freeze(names), enumerable: false });
  }

  /**
   * `error instanceof TaskFailedError` holds for an error made by another copy of this library
   * too (the ESM and the CommonJS build in one process): the check falls back to the brand,
   * matching by class name.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    return brandOf(value)?.includes(this.name) ?? false;
  }
}

/** Whether `value` is an error of this library, from this copy of it or any other. */
export function isDashScopeError(value: unknown): value is DashScopeError {
  return brandOf(value) !== undefined;
}
