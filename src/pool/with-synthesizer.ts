/**
 * `pool.withSynthesizer()`'s middle: runs the borrower's function with a lent synthesizer, cancels
 * its task when the borrow's signal aborts, and gives the synthesizer back on every path
 * (resolved, rejected, thrown synchronously).
 *
 * Written with promise callbacks made once per pooled synthesizer, not as an async function: a
 * synthesizer is lent to one borrower at a time, so its runner's callbacks serve each borrow in
 * turn, and a task in flight holds no suspended frame, registers or callbacks of its own here
 * (see README, "Performance").
 */
import type { SpeechSynthesizer } from '../synthesizer/speech-synthesizer.js';
import { onAbort } from '../util/abort-listeners.js';
import { rejected } from '../util/async.js';

/** Gives a synthesizer back to its pool: at once (true: kept) or once it is closed. */
export type GiveBack = (synth: SpeechSynthesizer) => boolean | Promise<boolean>;

/** Runs the borrows of one pooled synthesizer, one after another. */
export class BorrowRunner {
  readonly #synth: SpeechSynthesizer;
  readonly #giveBack: GiveBack;
  /** Stops listening to the running borrow's signal, if it has one. */
  #stopListening: (() => void) | undefined;

  constructor(synth: SpeechSynthesizer, giveBack: GiveBack) {
    this.#synth = synth;
    this.#giveBack = giveBack;
  }

  /**
   * Runs `fn(synth)`, then gives the synthesizer back; resolves to what `fn` returns (or rejects
   * with what it throws) once the synthesizer is back. An abort of `signal` meanwhile cancels
   * the running task.
   */
  run<T>(fn: (synth: never) => T | Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (signal) this.#stopListening = onAbort(signal, this.#onAbort);
    let result: T | Promise<T>;
    try {
      result = fn(this.#synth as never);
    } catch (error) {
      return this.#onError(error);
    }
    return Promise.resolve(result).then(this.#onValue as (value: T) => T | Promise<T>, this.#onError);
  }

  readonly #onAbort = (): void => void this.#synth.streamingCancel();

  readonly #onValue = (value: unknown): unknown => {
    const back = this.#back();
    return typeof back === 'boolean' ? value : back.then(() => value);
  };

  readonly #onError = (error: unknown): Promise<never> => {
    const back = this.#back();
    return typeof back === 'boolean' ? rejected(error) : back.then(() => rejected(error));
  };

  /** Ends the borrow: everything of it is read before the synthesizer may be lent again. */
  #back(): boolean | Promise<boolean> {
    const stopListening = this.#stopListening;
    if (stopListening) {
      this.#stopListening = undefined;
      stopListening();
    }
    return this.#giveBack(this.#synth);
  }
}
