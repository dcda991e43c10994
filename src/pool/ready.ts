/**
 * `pool.ready()`: waits for the pre-opened connections, and gives up the way a borrower does: at
 * once on a fatal connect error, with `PoolUnavailableError` once a full round of attempts failed
 * while none is open, with the last connect error (or `AcquireTimeoutError`) after the timeout.
 */
import { AbortError, AcquireTimeoutError, PoolUnavailableError } from '../errors/index.js';
import { armDeadline } from '../util/async.js';
import type { Availability } from './availability.js';
import type { Connector } from './connector.js';
import type { PoolLifecycle } from './lifecycle.js';

/** What the wait reads. */
export interface ReadyParts {
  availability: Availability;
  connector: Connector;
  lifecycle: PoolLifecycle;
  /** How long a borrower waits while the pool is down before `PoolUnavailableError`. */
  connectTimeoutMs: number;
}

/** Resolves when the pool is ready; rejects as `SpeechSynthesizerObjectPool.ready()` documents. */
export async function waitUntilReady(
  parts: ReadyParts,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (signal?.aborted) throw new AbortError(signal.reason);
  const { availability, connector, lifecycle, connectTimeoutMs } = parts;
  const failuresBefore = availability.failureCount;
  let disarm = (): void => undefined;
  let unsubscribe = (): void => undefined;
  let downTimer: NodeJS.Timeout | undefined;
  const stop = new Promise<never>((_resolve, reject) => {
    const unavailable = (): void => reject(new PoolUnavailableError(availability.lastError));
    disarm = armDeadline(timeoutMs, signal, {
      onTimeout: () => reject(connector.lastError ?? new AcquireTimeoutError(timeoutMs)),
      onAbort: () => reject(new AbortError(signal?.reason)),
    });
    // As for a borrower: the next failure once a round has failed, or connectTimeoutMs while down.
    unsubscribe = availability.onFailure(() => {
      if (availability.roundFailed && availability.failureCount > failuresBefore) unavailable();
    });
    if (availability.isDown && connectTimeoutMs < timeoutMs) {
      downTimer = setTimeout(() => availability.isDown && unavailable(), connectTimeoutMs);
    }
  });
  try {
    await Promise.race([lifecycle.ready.promise, stop]);
  } finally {
    disarm();
    unsubscribe();
    clearTimeout(downTimer);
  }
}
