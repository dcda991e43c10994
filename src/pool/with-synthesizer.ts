/**
 * `pool.withSynthesizer()`'s middle: runs the borrower's function with a lent synthesizer, cancels
 * its task when the borrow's signal aborts, and gives the synthesizer back on every path
 * (resolved, rejected, thrown synchronously). Written with promise callbacks rather than as an
 * async function: with many tasks in flight, each holds two callbacks here instead of a suspended
 * function with its registers, its promise and its own callbacks (see README, "Performance").
 */
import type { SpeechSynthesizer } from '../synthesizer/speech-synthesizer.js';
import { rejected } from '../util/async.js';

/** Gives a synthesizer back to its pool: at once (true: kept) or once it is closed. */
export type GiveBack = (synth: SpeechSynthesizer) => boolean | Promise<boolean>;

/**
 * Runs `fn(synth)`, then gives `synth` back; resolves to what `fn` returns (or rejects with what
 * it throws) once the synthesizer is back. An abort of `signal` meanwhile cancels the running task.
 */
export function runWithSynthesizer<T>(
  synth: SpeechSynthesizer,
  fn: (synth: never) => T | Promise<T>,
  signal: AbortSignal | undefined,
  giveBack: GiveBack,
): Promise<T> {
  let onAbort: (() => void) | undefined;
  if (signal) {
    onAbort = (): void => void synth.streamingCancel();
    signal.addEventListener('abort', onAbort, { once: true });
  }
  const back = (): boolean | Promise<boolean> => {
    if (onAbort) signal!.removeEventListener('abort', onAbort);
    return giveBack(synth);
  };
  let result: T | Promise<T>;
  try {
    result = fn(synth as never);
  } catch (error) {
    const returned = back();
    const rethrow = (): Promise<never> => rejected(error);
    return typeof returned === 'boolean' ? rethrow() : returned.then(rethrow);
  }
  return Promise.resolve(result).then(
    (value) => after(back(), () => value),
    (error: unknown) => after(back(), () => rejected<T>(error)),
  );
}

/** `then()` once `returned` settles, or at once when it is not a promise. */
function after<T>(returned: boolean | Promise<boolean>, then: () => T | Promise<T>): T | Promise<T> {
  return typeof returned === 'boolean' ? then() : returned.then(then);
}
