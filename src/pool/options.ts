/**
 * Options of SpeechSynthesizerObjectPool: defaults, the environment, and validation that names
 * the option and the bad value (tarn's bar). `0` never silently means "default".
 */
import { describeValue } from '../util/describe-value.js';
import {
  checkInteger,
  checkPositiveMs,
  resolveConnectionOptions,
  type ConnectionOptions,
} from '../config.js';
import { InvalidOptionError } from '../errors/index.js';
import { SYNTHESIZER_DEFAULTS } from '../synthesizer/options.js';
import { checkQuota } from '../quota/task-gate.js';
import type { Quota } from '../quota/types.js';

export interface PoolOptions extends ConnectionOptions {
  /**
   * Connections kept open, from 1 to 10 000 (`MAX_POOL_SIZE`). Default:
   * `COSYVOICE_OBJECTPOOL_SIZE`, else `SAMBERT_OBJECTPOOL_SIZE` (the Java recipes' variables; the
   * first wins when both are set), else 20.
   */
  maxSize?: number | undefined;
  /** Open `maxSize` connections at construction (default true); else they open on demand. */
  preOpen?: boolean | undefined;
  /**
   * Connections opened at the same time during warm-up and refill, from 1 to 1 000. Default 256
   * (over wss:// the first goes alone, so that the others resume its TLS session).
   */
  connectConcurrency?: number | undefined;
  /** How long a borrower waits for a free synthesizer. Default 30 000 ms. */
  acquireTimeoutMs?: number | undefined;
  /** Borrowers allowed to wait at once; more are refused with `PoolQueueFullError`. Default unlimited. */
  maxWaitingClients?: number | undefined;
  /** The server closes a connection idle this long (DashScope: 60 s). Default 60 000 ms. */
  serverIdleTimeoutMs?: number | undefined;
  /**
   * Renew a connection idle this long, make-before-break, jittered by ±10 % per connection.
   * Default 40 000 ms; must be below `serverIdleTimeoutMs`.
   */
  renewIdleAfterMs?: number | undefined;
  /** Ping idle connections this often to find half-open sockets; 0 turns pings off. Default 15 000 ms. */
  heartbeatIntervalMs?: number | undefined;
  /** A ping's pong must arrive within this. Default 5 000 ms. */
  pingTimeoutMs?: number | undefined;
  /** First reconnect delay while the endpoint fails; doubles up to `reconnectMaxDelayMs`. Default 100 ms. */
  reconnectInitialDelayMs?: number | undefined;
  /** Default 30 000 ms. */
  reconnectMaxDelayMs?: number | undefined;
  /** Start at most this many tasks per second across the pool (the account's QPS quota). Default: no limit. */
  maxTasksPerSecond?: number | undefined;
  /** Retry a task the server throttled (`Throttling*`) before its first audio, this many times. Default 0. */
  throttlingRetries?: number | undefined;
  /** Retry a task whose connection failed before its first audio, this many times. Default 1. */
  connectionRetries?: number | undefined;
  /** Passed to every synthesizer (see SpeechSynthesizerOptions). */
  eagerStart?: boolean | undefined;
  /** Passed to every synthesizer (see SpeechSynthesizerOptions). Default 30 000 ms. */
  responseTimeoutMs?: number | undefined;
  /** How often the pool checks its idle connections. Default 1 000 ms. */
  maintenanceIntervalMs?: number | undefined;
  /**
   * Take back a synthesizer that has been borrowed and idle (no task running) this long: it is
   * closed, a replacement opens, and the `abandon` event tells where it was borrowed (the stack
   * of the borrow is captured only when this is set). Default: off, as in Commons Pool2.
   */
  abandonedAfterMs?: number | undefined;
  /** A budget shared with other processes (`dashscope-tts-pool/redis`); waits at most `acquireTimeoutMs`. */
  quota?: Quota | undefined;
}

export type ResolvedPoolOptions = Required<
  Omit<
    PoolOptions,
    keyof ConnectionOptions | 'maxTasksPerSecond' | 'maxWaitingClients' | 'abandonedAfterMs' | 'quota'
  >
> & {
  quota: Quota | undefined;
  maxTasksPerSecond: number | undefined;
  abandonedAfterMs: number | undefined;
  maxWaitingClients: number;
  /** As given: each synthesizer resolves them (against the environment) itself. */
  connectionOptions: ConnectionOptions;
  /** The resolved connect timeout: how long a borrower waits on a pool that cannot connect. */
  connectTimeoutMs: number;
};

export const DEFAULT_POOL_SIZE = 20;
/**
 * The largest `maxSize`: each connection is a socket, a synthesizer and its timers, and the
 * service's concurrency quota is far below this. Beyond it, run more processes.
 */
export const MAX_POOL_SIZE = 10_000;
/** The largest `connectConcurrency`: sockets opened at the same time. */
export const MAX_CONNECT_CONCURRENCY = 1_000;

/** The environment variables that size the pool, in order of precedence. */
const POOL_SIZE_VARIABLES = ['COSYVOICE_OBJECTPOOL_SIZE', 'SAMBERT_OBJECTPOOL_SIZE'] as const;

/**
 * Resolves and validates pool options.
 * @throws {InvalidOptionError} naming the option and value; {@link MissingApiKeyError} without a key.
 */
export function resolvePoolOptions(
  options: PoolOptions,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedPoolOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'pool options must be an object');
  }
  const maxSize = options.maxSize ?? poolSizeFromEnv(env);
  const resolved: ResolvedPoolOptions = {
    maxSize: maxSize ?? DEFAULT_POOL_SIZE,
    preOpen: options.preOpen ?? true,
    connectConcurrency: options.connectConcurrency ?? 256,
    acquireTimeoutMs: options.acquireTimeoutMs ?? 30_000,
    maxWaitingClients: options.maxWaitingClients ?? Number.POSITIVE_INFINITY,
    serverIdleTimeoutMs: options.serverIdleTimeoutMs ?? 60_000,
    renewIdleAfterMs: options.renewIdleAfterMs ?? 40_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 15_000,
    pingTimeoutMs: options.pingTimeoutMs ?? 5_000,
    reconnectInitialDelayMs: options.reconnectInitialDelayMs ?? 100,
    reconnectMaxDelayMs: options.reconnectMaxDelayMs ?? 30_000,
    maxTasksPerSecond: options.maxTasksPerSecond,
    throttlingRetries: options.throttlingRetries ?? SYNTHESIZER_DEFAULTS.retry.throttling,
    connectionRetries: options.connectionRetries ?? SYNTHESIZER_DEFAULTS.retry.connectionFailures,
    eagerStart: options.eagerStart ?? SYNTHESIZER_DEFAULTS.eagerStart,
    responseTimeoutMs: options.responseTimeoutMs ?? SYNTHESIZER_DEFAULTS.responseTimeoutMs,
    maintenanceIntervalMs: options.maintenanceIntervalMs ?? 1_000,
    abandonedAfterMs: options.abandonedAfterMs,
    quota: checkQuota(options.quota),
    connectionOptions: options,
    // Checked now, so that a bad url or a missing key fails the constructor, not every connect.
    connectTimeoutMs: resolveConnectionOptions(options, env).connectTimeoutMs,
  };

  checkInteger('maxSize', resolved.maxSize, 1, MAX_POOL_SIZE);
  if (typeof resolved.preOpen !== 'boolean') {
    throw new InvalidOptionError(
      'preOpen',
      `invalid preOpen ${describeValue(resolved.preOpen)}: expected a boolean`,
    );
  }
  checkInteger('connectConcurrency', resolved.connectConcurrency, 1, MAX_CONNECT_CONCURRENCY);
  checkPositiveMs('acquireTimeoutMs', resolved.acquireTimeoutMs);
  if (resolved.maxWaitingClients !== Number.POSITIVE_INFINITY) {
    checkInteger('maxWaitingClients', resolved.maxWaitingClients, 0);
  }
  checkPositiveMs('serverIdleTimeoutMs', resolved.serverIdleTimeoutMs);
  checkPositiveMs('renewIdleAfterMs', resolved.renewIdleAfterMs);
  if (resolved.renewIdleAfterMs * 1.1 >= resolved.serverIdleTimeoutMs) {
    throw new InvalidOptionError(
      'renewIdleAfterMs',
      `invalid renewIdleAfterMs ${resolved.renewIdleAfterMs}: with its 10 % jitter it must stay below ` +
        `serverIdleTimeoutMs (${resolved.serverIdleTimeoutMs})`,
    );
  }
  checkPositiveMs('heartbeatIntervalMs', resolved.heartbeatIntervalMs, true);
  checkPositiveMs('pingTimeoutMs', resolved.pingTimeoutMs);
  checkPositiveMs('reconnectInitialDelayMs', resolved.reconnectInitialDelayMs);
  checkPositiveMs('reconnectMaxDelayMs', resolved.reconnectMaxDelayMs);
  if (resolved.reconnectMaxDelayMs < resolved.reconnectInitialDelayMs) {
    throw new InvalidOptionError(
      'reconnectMaxDelayMs',
      `invalid reconnectMaxDelayMs ${resolved.reconnectMaxDelayMs}: below reconnectInitialDelayMs`,
    );
  }
  if (resolved.maxTasksPerSecond !== undefined)
    checkPositiveRate('maxTasksPerSecond', resolved.maxTasksPerSecond);
  checkInteger('throttlingRetries', resolved.throttlingRetries, 0, 100);
  checkInteger('connectionRetries', resolved.connectionRetries, 0, 100);
  if (typeof resolved.eagerStart !== 'boolean') {
    throw new InvalidOptionError('eagerStart', `invalid eagerStart ${describeValue(resolved.eagerStart)}`);
  }
  checkPositiveMs('responseTimeoutMs', resolved.responseTimeoutMs);
  checkPositiveMs('maintenanceIntervalMs', resolved.maintenanceIntervalMs);
  if (resolved.abandonedAfterMs !== undefined) checkPositiveMs('abandonedAfterMs', resolved.abandonedAfterMs);
  return resolved;
}

/**
 * The pool size the environment asks for: `COSYVOICE_OBJECTPOOL_SIZE`, else
 * `SAMBERT_OBJECTPOOL_SIZE` (one pool serves both families; the CosyVoice variable, which the
 * pool read first, keeps its meaning when both are set). Only the one used is validated.
 */
function poolSizeFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  for (const name of POOL_SIZE_VARIABLES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const size = Number(value);
    if (!Number.isInteger(size) || size < 1 || size > MAX_POOL_SIZE) {
      throw new InvalidOptionError(
        name,
        `invalid ${name} ${describeValue(value)}: expected an integer from 1 to ${MAX_POOL_SIZE}`,
      );
    }
    return size;
  }
  return undefined;
}

/** Checks a rate option: a finite number of tasks per second greater than zero. */
function checkPositiveRate(option: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(
      option,
      `invalid ${option} ${describeValue(value)}: expected a number of tasks per second > 0`,
    );
  }
}
