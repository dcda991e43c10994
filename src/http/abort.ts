/**
 * Abort plumbing: one internal signal per call that fires on the caller's signal (as an
 * `AbortError`) or on the call's total deadline (as a `RequestTimeoutError`), so every layer
 * below throws the same, typed reason.
 */
import { AbortError, DashScopeError, RequestTimeoutError } from '../errors/index.js';
import { onAbort } from '../util/abort-listeners.js';

/** The abort reason as an Error: the library's own errors as they are, anything else wrapped. */
export function reasonOf(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof DashScopeError ? reason : new AbortError(reason);
}

/** The call-scoped signal and the function that stops its timer and listener. */
export interface CallSignal {
  signal: AbortSignal;
  readonly dispose: () => void;
}

/**
 * Links the caller's signal and an optional total deadline into one signal.
 * `dispose()` must be called when the call is over, so no timer outlives it.
 */
export function callSignal(
  userSignal: AbortSignal | undefined,
  totalTimeoutMs: number | undefined,
): CallSignal {
  const controller = new AbortController();
  const abort = (): void => controller.abort(new AbortError(userSignal?.reason));
  let timer: NodeJS.Timeout | undefined;
  let stopListening: (() => void) | undefined;
  if (userSignal?.aborted) abort();
  else if (userSignal) stopListening = onAbort(userSignal, abort);
  if (totalTimeoutMs !== undefined && !controller.signal.aborted) {
    timer = setTimeout(
      () => controller.abort(new RequestTimeoutError('total', totalTimeoutMs)),
      totalTimeoutMs,
    );
  }
  return {
    signal: controller.signal,
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      stopListening?.();
    },
  };
}
