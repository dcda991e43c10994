/**
 * Connection knobs for HTTP generation: the Java SDK's `ConnectionConfigurations` names and
 * defaults (in milliseconds here), its environment variables (integer seconds / counts there) as
 * fallbacks, and the validation the Java SDK lacks. Pure: no I/O.
 */
import { checkInteger, validateTimeoutMs } from '../config.js';
import { describeValue } from '../util/describe-value.js';
import { InvalidOptionError } from '../errors/index.js';

/** Connection settings of an HTTP connection pool. Every field is optional. Durations are milliseconds. */
export interface ConnectionConfigurations {
  /** Time allowed for DNS, TCP and TLS of a new connection. Default 120 000 ms. */
  connectTimeout?: number | undefined;
  /** Longest wait for the response head or for the next chunk of the body (SSE gap). Default 300 000 ms. */
  readTimeout?: number | undefined;
  /** Time allowed to hand the request body to the socket. Default 60 000 ms. */
  writeTimeout?: number | undefined;
  /**
   * How long an idle kept-alive socket stays in the pool. Default 300 000 ms. A server's
   * `Keep-Alive: timeout=N` hint shortens it (to N - 1 s), so it stays below the server's idle close.
   */
  connectionIdleTimeout?: number | undefined;
  /** Most idle sockets kept per host. Default 32. */
  connectionPoolSize?: number | undefined;
  /** Most requests in flight at once (all hosts); more wait in the queue. Default 32. */
  maximumAsyncRequests?: number | undefined;
  /** Most requests in flight at once to one host, which is also the most sockets per host. Default 32. */
  maximumAsyncRequestsPerHost?: number | undefined;
  /** Most requests waiting for a slot; one more fails with `RequestQueueFullError`. Default 1024. */
  maxQueuedRequests?: number | undefined;
  /** Longest wait for a slot; then `RequestQueueTimeoutError`. Default 120 000 ms. */
  queueTimeout?: number | undefined;
}

/** Connection settings after defaults, environment and validation. */
export type ResolvedConnectionConfigurations = Readonly<{
  [K in keyof ConnectionConfigurations]-?: number;
}>;

/** The defaults: the Java SDK's (2.22.29), converted to milliseconds, plus the queue's own. */
export const DEFAULT_CONNECTION_CONFIGURATIONS: ResolvedConnectionConfigurations = Object.freeze({
  connectTimeout: 120_000,
  readTimeout: 300_000,
  writeTimeout: 60_000,
  connectionIdleTimeout: 300_000,
  connectionPoolSize: 32,
  maximumAsyncRequests: 32,
  maximumAsyncRequestsPerHost: 32,
  maxQueuedRequests: 1024,
  queueTimeout: 120_000,
});

/** The Java SDK's environment variables. Durations are read as integer seconds, as Java does. */
export const CONNECTION_ENV_VARS = Object.freeze({
  /** Sets `connectTimeout`. */
  connectTimeout: 'DASHSCOPE_CONNECTION_TIMEOUT',
  /** Sets `readTimeout`. */
  readTimeout: 'DASHSCOPE_READ_TIMEOUT',
  /** Sets `writeTimeout`. */
  writeTimeout: 'DASHSCOPE_WRITE_TIMEOUT',
  /** Sets `connectionIdleTimeout`. */
  connectionIdleTimeout: 'DASHSCOPE_CONNECTION_IDLE_TIME',
  /** Sets `connectionPoolSize`. */
  connectionPoolSize: 'DASHSCOPE_CONNECTION_POOL_SIZE',
  /** Sets `maximumAsyncRequests`. */
  maximumAsyncRequests: 'DASHSCOPE_MAXIMUM_ASYNC_REQUESTS',
  /** Sets `maximumAsyncRequestsPerHost`. */
  maximumAsyncRequestsPerHost: 'DASHSCOPE_MAXIMUM_ASYNC_REQUESTS_PER_HOST',
});

const DURATIONS = new Set<keyof ConnectionConfigurations>([
  'connectTimeout',
  'readTimeout',
  'writeTimeout',
  'connectionIdleTimeout',
  'queueTimeout',
]);

/**
 * Resolves connection settings: option, else the Java SDK's environment variable, else the default.
 * Unlike the Java SDK, a bad value is an error, not a silent fallback.
 * @throws {InvalidOptionError} naming the option (or environment variable) and the bad value,
 *   also when `maximumAsyncRequestsPerHost <= maximumAsyncRequests <= connectionPoolSize` does not hold.
 */
export function resolveConnectionConfigurations(
  options: ConnectionConfigurations = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConnectionConfigurations {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', `invalid connection configurations ${describeValue(options)}`);
  }
  const known = new Set(Object.keys(DEFAULT_CONNECTION_CONFIGURATIONS));
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new InvalidOptionError(key, `unknown connection configuration ${describeValue(key)}`);
    }
  }

  const out: Record<string, number> = {};
  for (const key of Object.keys(DEFAULT_CONNECTION_CONFIGURATIONS) as (keyof ConnectionConfigurations)[]) {
    const given = options[key];
    if (given !== undefined) {
      checkValue(key, given);
      out[key] = given;
      continue;
    }
    const envName = (CONNECTION_ENV_VARS as Record<string, string | undefined>)[key];
    const raw = envName === undefined ? undefined : env[envName];
    if (envName !== undefined && raw !== undefined && raw.trim() !== '') {
      out[key] = fromEnv(key, envName, raw);
      continue;
    }
    out[key] = DEFAULT_CONNECTION_CONFIGURATIONS[key];
  }

  const resolved = out as ResolvedConnectionConfigurations;
  if (resolved.maximumAsyncRequestsPerHost > resolved.maximumAsyncRequests) {
    throw new InvalidOptionError(
      'maximumAsyncRequestsPerHost',
      `invalid maximumAsyncRequestsPerHost ${resolved.maximumAsyncRequestsPerHost}: must not exceed ` +
        `maximumAsyncRequests (${resolved.maximumAsyncRequests})`,
    );
  }
  if (resolved.maximumAsyncRequests > resolved.connectionPoolSize) {
    throw new InvalidOptionError(
      'maximumAsyncRequests',
      `invalid maximumAsyncRequests ${resolved.maximumAsyncRequests}: must not exceed ` +
        `connectionPoolSize (${resolved.connectionPoolSize})`,
    );
  }
  return Object.freeze(resolved);
}

function checkValue(key: keyof ConnectionConfigurations, value: unknown): void {
  if (DURATIONS.has(key)) {
    // Also refuses more than setTimeout can wait (2^31 - 1 ms).
    validateTimeoutMs(key, value);
  } else {
    checkInteger(key, value, key === 'maxQueuedRequests' ? 0 : 1);
  }
}

function fromEnv(key: keyof ConnectionConfigurations, envName: string, raw: string): number {
  if (!/^\s*\d+\s*$/.test(raw)) {
    throw new InvalidOptionError(
      envName,
      `invalid ${envName} ${describeValue(raw)}: expected a positive integer` +
        (DURATIONS.has(key) ? ' of seconds' : ''),
    );
  }
  const n = Number(raw);
  const value = DURATIONS.has(key) ? n * 1000 : n;
  try {
    checkValue(key, value);
  } catch {
    throw new InvalidOptionError(
      envName,
      `invalid ${envName} ${describeValue(raw)}: expected a positive integer` +
        (DURATIONS.has(key) ? ' of seconds' : ''),
    );
  }
  return value;
}
