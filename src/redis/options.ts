/** Options of `createRedisQuota`, their defaults and their validation. */
import { checkInteger, checkPositiveMs } from '../config.js';
import { InvalidOptionError } from '../errors/index.js';
import type { RedisClientLike } from './client.js';

/** Options of {@link createRedisQuota}: the client, the account's key and the fleet's limits. */
export interface RedisQuotaOptions {
  /** A connected ioredis or node-redis v4/v5 client. It stays yours: the quota never closes it. */
  redis: RedisClientLike;
  /** The budget's name: every process that names the same key shares one budget (e.g. `dashscope:acme-prod`). */
  key: string;
  /** Tasks running at once across the fleet. At least one of the two limits is required. */
  maxConcurrentTasks?: number | undefined;
  /** Tasks started per second across the fleet, evenly spaced (no bursts above the limit). */
  maxTasksPerSecond?: number | undefined;
  /** A lease not renewed for this long expires: a dead process's capacity comes back within it. Default 10 000 ms. */
  leaseMs?: number | undefined;
  /**
   * When Redis fails (down, slow, script error): `'local-share'` (default) goes on with this
   * process's share of the budget until Redis answers again; `'fail'` fails tasks at once with
   * `QuotaUnavailableError`.
   */
  onRedisError?: 'local-share' | 'fail' | undefined;
  /** Processes sharing the budget, for the local share. Default: as many as Redis last saw. */
  expectedProcesses?: number | undefined;
  /** Longest wait for the quota when the caller sets none (a pool passes its acquireTimeoutMs). Default 30 000 ms. */
  acquireTimeoutMs?: number | undefined;
  /** A Redis call that takes longer counts as a Redis failure. Default 1 000 ms (at most leaseMs / 3). */
  commandTimeoutMs?: number | undefined;
  /** Longest pause between two asks while the fleet is full (jittered back-off). Default 50 ms. */
  maxPollDelayMs?: number | undefined;
  /** How often a failed Redis is tried again. Default 1 000 ms. */
  probeIntervalMs?: number | undefined;
}

export type ResolvedRedisQuotaOptions = Required<
  Omit<RedisQuotaOptions, 'maxConcurrentTasks' | 'maxTasksPerSecond' | 'expectedProcesses'>
> &
  Pick<RedisQuotaOptions, 'maxConcurrentTasks' | 'maxTasksPerSecond' | 'expectedProcesses'>;

/**
 * Applies the defaults and checks every option.
 * @throws {InvalidOptionError} naming the option and the bad value.
 */
export function resolveRedisQuotaOptions(options: RedisQuotaOptions): ResolvedRedisQuotaOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'createRedisQuota needs an options object');
  }
  const resolved = {
    redis: options.redis,
    key: options.key,
    maxConcurrentTasks: options.maxConcurrentTasks,
    maxTasksPerSecond: options.maxTasksPerSecond,
    leaseMs: options.leaseMs ?? 10_000,
    onRedisError: options.onRedisError ?? 'local-share',
    expectedProcesses: options.expectedProcesses,
    acquireTimeoutMs: options.acquireTimeoutMs ?? 30_000,
    commandTimeoutMs: options.commandTimeoutMs ?? Math.min(1_000, (options.leaseMs ?? 10_000) / 3),
    maxPollDelayMs: options.maxPollDelayMs ?? 50,
    probeIntervalMs: options.probeIntervalMs ?? 1_000,
  };
  if (typeof resolved.key !== 'string' || resolved.key === '') {
    throw new InvalidOptionError('key', 'invalid key: expected a non-empty string naming the budget');
  }
  if (resolved.maxConcurrentTasks === undefined && resolved.maxTasksPerSecond === undefined) {
    throw new InvalidOptionError(
      'maxConcurrentTasks',
      'createRedisQuota needs maxConcurrentTasks, maxTasksPerSecond or both',
    );
  }
  if (resolved.maxConcurrentTasks !== undefined) {
    checkInteger('maxConcurrentTasks', resolved.maxConcurrentTasks, 1);
  }
  if (resolved.maxTasksPerSecond !== undefined) {
    checkPositiveMs('maxTasksPerSecond', resolved.maxTasksPerSecond);
  }
  if (resolved.expectedProcesses !== undefined) {
    checkInteger('expectedProcesses', resolved.expectedProcesses, 1);
  }
  checkPositiveMs('leaseMs', resolved.leaseMs);
  if (resolved.leaseMs < 300) {
    throw new InvalidOptionError('leaseMs', `invalid leaseMs ${resolved.leaseMs}: expected at least 300 ms`);
  }
  if (resolved.onRedisError !== 'local-share' && resolved.onRedisError !== 'fail') {
    throw new InvalidOptionError(
      'onRedisError',
      `invalid onRedisError ${JSON.stringify(resolved.onRedisError)}: expected 'local-share' or 'fail'`,
    );
  }
  checkPositiveMs('acquireTimeoutMs', resolved.acquireTimeoutMs);
  checkPositiveMs('commandTimeoutMs', resolved.commandTimeoutMs);
  if (resolved.commandTimeoutMs > resolved.leaseMs / 3) {
    throw new InvalidOptionError(
      'commandTimeoutMs',
      `invalid commandTimeoutMs ${resolved.commandTimeoutMs}: at most leaseMs / 3 (${resolved.leaseMs / 3}), ` +
        'so that a lease is renewed before it expires',
    );
  }
  checkPositiveMs('maxPollDelayMs', resolved.maxPollDelayMs);
  checkPositiveMs('probeIntervalMs', resolved.probeIntervalMs);
  return resolved;
}
