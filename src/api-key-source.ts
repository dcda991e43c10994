/**
 * Where a connection's key comes from: a fixed key (the option or `DASHSCOPE_API_KEY`), or a
 * function called for every new connection, so that a rotated or temporary key is picked up
 * without a restart. The function's result is validated like a fixed key and never printed.
 */
import { inspect } from 'node:util';
import type { InvalidOptionError } from './errors/index.js';
import { AbortError, ApiKeyError, MissingApiKeyError } from './errors/index.js';
import { checkApiKeyValue } from './headers.js';
import { ApiKey } from './secret.js';
import { armDeadline } from './util/async.js';
import { typeLabel } from './util/describe-value.js';

/** A function that returns the key to use now (sync or async), e.g. from a secrets manager. */
export type ApiKeyProvider = () => string | Promise<string>;

/** The `apiKey` option: the key itself, or a function called for every new connection. */
export type ApiKeyOption = string | ApiKeyProvider;

/** Longest part of a key function's error message that is repeated in ours. */
const MAX_CAUSE_MESSAGE = 200;

/** A fixed key or a key function, resolved to an {@link ApiKey} for each connection or request. */
export class ApiKeySource {
  readonly #fixed: ApiKey | undefined;
  readonly #provider: ApiKeyProvider | undefined;

  private constructor(fixed: ApiKey | undefined, provider: ApiKeyProvider | undefined) {
    this.#fixed = fixed;
    this.#provider = provider;
  }

  /**
   * The source for an `apiKey` option: a function as it is (called later), a string checked now,
   * nothing (`undefined` or `null`) falling back to `DASHSCOPE_API_KEY`.
   * @throws {MissingApiKeyError} when there is no key at all.
   * @throws {InvalidOptionError} when the key is not a string or function, or cannot go in a header.
   */
  static from(option: unknown, env: NodeJS.ProcessEnv = process.env): ApiKeySource {
    if (typeof option === 'function') return new ApiKeySource(undefined, option as ApiKeyProvider);
    const fromEnv = option === undefined || option === null;
    const key: unknown = fromEnv ? env.DASHSCOPE_API_KEY : option;
    if (key === undefined || key === '') throw new MissingApiKeyError();
    checkApiKeyValue(key, fromEnv ? 'DASHSCOPE_API_KEY' : 'apiKey');
    return new ApiKeySource(new ApiKey(key), undefined);
  }

  /** True when the key comes from a function (it may change from one connection to the next). */
  get isFunction(): boolean {
    return this.#provider !== undefined;
  }

  /**
   * The key for one new connection or request: the fixed key, or the function's answer.
   * @param options.timeoutMs how long the function may take.
   * @param options.signal stops waiting for the function (the call itself cannot be cancelled).
   * @throws {ApiKeyError} when the function throws, rejects, takes longer than `timeoutMs`, or
   *   returns something that is not a usable key.
   * @throws {AbortError} when `signal` aborts first.
   */
  async resolve(options: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<ApiKey> {
    if (this.#fixed) return this.#fixed;
    const { signal, timeoutMs } = options;
    if (signal?.aborted) throw new AbortError(signal.reason);
    let result: unknown;
    try {
      result = this.#provider!();
    } catch (error) {
      throw threw(error);
    }
    if (isThenable(result)) result = await settle(result, timeoutMs, signal);
    try {
      checkApiKeyValue(result, 'apiKey');
    } catch (error) {
      throw new ApiKeyError(
        'invalid',
        `The apiKey function returned an unusable key (${typeLabel(result)}): ` +
          `${(error as InvalidOptionError).message}`,
      );
    }
    return new ApiKey(result);
  }

  toString(): string {
    return this.#provider ? 'ApiKeySource(function)' : `ApiKeySource(${String(this.#fixed)})`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Waits for the function's promise, at most `timeoutMs`, or until `signal` aborts. */
function settle(
  result: PromiseLike<unknown>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const disarm = armDeadline(timeoutMs, signal, {
      onTimeout: () =>
        reject(
          new ApiKeyError(
            'timeout',
            `The apiKey function did not return a key within ${timeoutMs} ms: make it faster, or raise connectTimeoutMs`,
          ),
        ),
      onAbort: () => reject(new AbortError(signal?.reason)),
    });
    // A late settlement after a timeout or abort is ignored (and a late rejection is not unhandled).
    Promise.resolve(result).then(
      (value) => {
        disarm();
        resolve(value);
      },
      (error: unknown) => {
        disarm();
        reject(threw(error));
      },
    );
  });
}

function threw(error: unknown): ApiKeyError {
  const what =
    error instanceof Error
      ? `${error.name}: ${error.message.length > MAX_CAUSE_MESSAGE ? `${error.message.slice(0, MAX_CAUSE_MESSAGE)}…` : error.message}`
      : `a ${typeLabel(error)} (not an Error)`;
  return new ApiKeyError('threw', `The apiKey function failed: ${what}. See the cause`, { cause: error });
}
