/**
 * `dashscope-tts-pool/redis`: one account's budget shared by every process that names the same
 * key, on the user's Redis (ioredis or node-redis v4/v5). The core package never imports this.
 *
 * ```ts
 * import { createRedisQuota } from 'dashscope-tts-pool/redis';
 * const quota = createRedisQuota({ redis, key: 'dashscope:acme-prod', maxConcurrentTasks: 100 });
 * const pool = new SpeechSynthesizerObjectPool({ maxSize: 50, quota });
 * ```
 */
import { randomBytes } from 'node:crypto';
import { FleetQuota } from '../quota/fleet-quota.js';
import type { QuotaStep, QuotaStepResult, QuotaStore } from '../quota/types.js';
import { adaptClient, type ScriptRunner } from './client.js';
import { resolveRedisQuotaOptions, type RedisQuotaOptions } from './options.js';
import { STEP_SCRIPT, STEP_SHA } from './script.js';

export type { RedisQuotaOptions } from './options.js';
export type { IoRedisLike, NodeRedisLike, RedisClientLike } from './client.js';
export type {
  Quota,
  QuotaAcquireOptions,
  QuotaEvents,
  QuotaLease,
  QuotaMetrics,
  QuotaMode,
} from '../quota/types.js';
export { QuotaTimeoutError, QuotaUnavailableError } from '../errors/quota.js';
/** The quota `createRedisQuota` returns: a {@link Quota} that also emits {@link QuotaEvents}. */
export type RedisQuota = FleetQuota;
export type { FleetQuota };

class RedisStore implements QuotaStore {
  readonly processId = `${process.pid.toString(36)}-${randomBytes(4).toString('hex')}`;
  readonly #runner: ScriptRunner;
  readonly #keys: string[];
  readonly #head: string[];
  readonly #staleMs: string;

  constructor(runner: ScriptRunner, options: ReturnType<typeof resolveRedisQuotaOptions>) {
    this.#runner = runner;
    const names = ['leases', 'next-start', 'processes', 'waiting', 'waiting-seen'];
    this.#keys = names.map((name) => `${options.key}:${name}`);
    const interval = options.maxTasksPerSecond === undefined ? 0 : 1000 / options.maxTasksPerSecond;
    // A waiting process that has not asked for this long has left the line.
    const staleMs = Math.max(1_000, 4 * options.maxPollDelayMs + options.commandTimeoutMs) + interval;
    this.#head = [
      String(options.leaseMs),
      String(options.maxConcurrentTasks ?? 0),
      String(interval),
      this.processId,
    ];
    this.#staleMs = String(staleMs);
  }

  async step(step: QuotaStep): Promise<QuotaStepResult> {
    const args = [
      ...this.#head,
      String(step.release.length),
      String(step.renew.length),
      this.#staleMs,
      ...step.release,
      ...step.renew,
      ...step.requests.map((request) => (request.kind === 'lease' ? 'L' : 'S') + request.id),
    ];
    const reply = await this.#runner.evalScript(STEP_SHA, STEP_SCRIPT, this.#keys, args);
    if (!Array.isArray(reply) || reply.length !== 4) {
      throw new Error(`unexpected reply of the quota script: ${JSON.stringify(reply)}`);
    }
    const [granted, waitMs, fleetLeases, processes] = reply.map(Number) as [number, number, number, number];
    return { granted, waitMs, fleetLeases, processes };
  }
}

/**
 * Creates a quota shared through Redis by every process that uses the same `key`: pass it as
 * the `quota` option of a pool or a synthesizer. Nothing is sent to Redis until the first task.
 * @throws {InvalidOptionError} for a bad option, or a `redis` that is neither ioredis nor node-redis.
 */
export function createRedisQuota(options: RedisQuotaOptions): RedisQuota {
  const resolved = resolveRedisQuotaOptions(options);
  const store = new RedisStore(adaptClient(resolved.redis), resolved);
  return new FleetQuota({
    store,
    maxConcurrentTasks: resolved.maxConcurrentTasks,
    maxTasksPerSecond: resolved.maxTasksPerSecond,
    leaseMs: resolved.leaseMs,
    onStoreError: resolved.onRedisError,
    expectedProcesses: resolved.expectedProcesses,
    acquireTimeoutMs: resolved.acquireTimeoutMs,
    commandTimeoutMs: resolved.commandTimeoutMs,
    maxPollDelayMs: resolved.maxPollDelayMs,
    probeIntervalMs: resolved.probeIntervalMs,
  });
}
