/**
 * Plugs a {@link Quota} into a synthesizer's hook points. One lease per task: taken before its
 * first run-task, kept across its retries (each retry takes one more start, since the service
 * counts every run-task), and released when the task ends on any path — finished, failed,
 * timed out, aborted, socket dropped, synthesizer closed — because the task's signal aborts
 * then, whatever ended it.
 */
import { InvalidOptionError } from '../errors/index.js';
import type { SynthesizerHooks } from '../synthesizer/internal.js';
import type { Quota, QuotaAcquireOptions, QuotaLease, QuotaMetrics } from './types.js';

/** The hooks with the quota's acquire added after any `beforeRunTask` already there. */
export function withQuota(hooks: SynthesizerHooks, quota: Quota | undefined): SynthesizerHooks {
  if (!quota) return hooks;
  const before = hooks.beforeRunTask;
  const leases = new WeakMap<AbortSignal, QuotaLease>();
  return {
    ...hooks,
    beforeRunTask: async (signal, deadline) => {
      // A local rate limiter first: a fleet slot is not held while this process paces itself.
      await before?.(signal, deadline);
      const options: QuotaAcquireOptions = { signal, deadline };
      const held = leases.get(signal);
      if (held) return held.restart(options);
      const lease = await quota.acquire(options);
      leases.set(signal, lease);
      if (signal.aborted) lease.release();
      else signal.addEventListener('abort', () => lease.release(), { once: true });
    },
  };
}

/** The quota with `maxWaitMs` as its default wait (a pool's `acquireTimeoutMs`). */
export function boundQuota(quota: Quota | undefined, maxWaitMs: number): Quota | undefined {
  if (!quota) return undefined;
  return {
    acquire: (options?: QuotaAcquireOptions) => quota.acquire({ maxWaitMs, ...options }),
    metrics: (): QuotaMetrics => quota.metrics(),
    close: () => quota.close(),
  };
}

/**
 * Checks the `quota` option: undefined, or an object with `acquire`, `metrics` and `close`.
 * @throws {InvalidOptionError} for anything else.
 */
export function checkQuota(quota: Quota | undefined): Quota | undefined {
  if (quota === undefined) return undefined;
  // Typed callers pass a Quota; untyped ones may pass anything.
  const candidate = quota as unknown as Partial<Record<keyof Quota, unknown>> | null;
  const isQuota =
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.acquire === 'function' &&
    typeof candidate.metrics === 'function' &&
    typeof candidate.close === 'function';
  if (isQuota) return quota;
  throw new InvalidOptionError(
    'quota',
    'invalid quota: expected a Quota, e.g. createRedisQuota() from dashscope-tts-pool/redis',
  );
}
