/**
 * What callers pass to the pool's methods: the parameters a lent synthesizer is bound to, the
 * options of a wait (`timeoutMs`, `signal`) and of `shutdown()`. Checked before anything waits,
 * so that bad input is a typed error and leaves no timer or listener behind.
 */
import { checkPositiveMs } from '../config.js';
import { InvalidOptionError, InvalidParameterError } from '../errors/index.js';
import type { SynthesisParams } from '../params.js';
import { sameSynthesisParams } from '../params-same.js';
import type { SambertParams } from '../params-sambert.js';
import { bindingOf, type Binding } from '../synthesizer/binding.js';
import { COSYVOICE } from '../synthesizer/families/cosyvoice.js';
import { familyOf } from '../synthesizer/families/select.js';
import {
  checkCallback,
  checkSignal,
  type ResultCallback,
  type SpeechSynthesizerOptions,
} from '../synthesizer/options.js';
import type { SpeechSynthesizer } from '../synthesizer/speech-synthesizer.js';
import { describeValue } from '../util/describe-value.js';

/** Parameters a borrowed synthesizer is bound to: a CosyVoice model's parameters and a callback. */
export interface BorrowParams extends SynthesisParams {
  /**
   * Receives the moments and audio of the borrower's tasks; without one, `call()` resolves to the
   * whole audio. The pool removes it when the synthesizer comes back.
   */
  callback?: ResultCallback | undefined;
}

/**
 * Parameters a borrowed synthesizer is bound to for a Sambert model (the model is the voice),
 * and a callback. Lent from the same pre-opened connections as CosyVoice.
 */
export interface SambertBorrowParams extends SambertParams {
  /**
   * Receives the moments and audio of the borrower's tasks; without one, `call()` resolves to the
   * whole audio. The pool removes it when the synthesizer comes back.
   */
  callback?: ResultCallback | undefined;
}

/** A borrowed synthesizer whose `call()` resolves to the whole audio: borrowed without a callback. */
export type CollectingSynthesizer = SpeechSynthesizer<SpeechSynthesizerOptions, Buffer>;

/** A borrowed synthesizer whose `call()` resolves to null: borrowed with a callback, which gets the audio. */
export type CallbackSynthesizer = SpeechSynthesizer<SpeechSynthesizerOptions, null>;

/** Options of one borrow (`borrowSynthesizer`, `withSynthesizer`). */
export interface BorrowOptions {
  /** Overrides the pool's `acquireTimeoutMs` for this borrow (at most 2^31−1 ms). */
  timeoutMs?: number | undefined;
  /** Gives up waiting (and, in withSynthesizer, cancels the running task). */
  signal?: AbortSignal | undefined;
}

/** Options of `ready()`. */
export interface ReadyOptions {
  /** How long to wait; default: the pool's `acquireTimeoutMs` (at most 2^31−1 ms). */
  timeoutMs?: number | undefined;
  /** Gives up waiting. */
  signal?: AbortSignal | undefined;
}

// Pooled connections are opened with the pool's settings; a borrow cannot change them.
const CONNECTION_KEYS = [
  'url',
  'region',
  'apiKey',
  'headers',
  'workspace',
  'connectTimeoutMs',
  'ca',
  'agent',
] as const;

/**
 * Checks a borrow's parameters before anything waits.
 * @throws {InvalidParameterError} for a connection setting, or a parameter out of range.
 * @throws {InvalidOptionError} for a callback that is not an object of functions.
 */
export function checkBorrowParams(params: BorrowParams | SambertBorrowParams): void {
  checkConnectionKeys(params);
  familyOf((params as { model?: unknown } | null)?.model).validate(params);
  checkCallback(params.callback);
}

function checkConnectionKeys(params: BorrowParams | SambertBorrowParams): void {
  for (const key of CONNECTION_KEYS) {
    if (params !== null && typeof params === 'object' && key in params) {
      throw new InvalidParameterError(
        key,
        `${key} cannot be set per borrow: pooled connections are opened with the pool's settings`,
      );
    }
  }
}

/**
 * {@link checkBorrowParams} that remembers the binding of the last CosyVoice parameters that
 * passed: the same again (compared by value, see `params-same.ts`), as nearly every borrow brings,
 * skip the family's validation, and every synthesizer lent with them shares that one binding
 * (its parameters and their wire form: nothing of them per synthesizer). Connection settings and
 * the callback are checked every time.
 */
export class BorrowParamsCheck {
  #last: Binding | undefined;

  /**
   * @returns the binding to lend with, for CosyVoice parameters; undefined for others.
   * @throws what {@link checkBorrowParams} throws.
   */
  check(params: BorrowParams | SambertBorrowParams): Binding | undefined {
    const last = this.#last;
    if (
      last !== undefined &&
      typeof params === 'object' &&
      params !== null &&
      familyOf(params.model) === COSYVOICE &&
      sameSynthesisParams(last.params as SynthesisParams, params as SynthesisParams)
    ) {
      checkConnectionKeys(params);
      checkCallback(params.callback);
      return last;
    }
    checkBorrowParams(params);
    const family = familyOf(params.model);
    this.#last = family === COSYVOICE ? bindingOf(family, params) : undefined;
    return this.#last;
  }
}

/**
 * Checks the options of a wait (a borrow or `ready()`) and fills in the timeout; `null` counts
 * as none.
 * @throws {InvalidOptionError} for a non-object, a `timeoutMs` that is not a number of ms from 1
 *   to 2^31−1, or a `signal` that is not an AbortSignal.
 */
export function resolveWaitOptions(
  options: BorrowOptions | ReadyOptions | null | undefined,
  defaultTimeoutMs: number,
): { timeoutMs: number; signal: AbortSignal | undefined } {
  if (options === undefined || options === null) return { timeoutMs: defaultTimeoutMs, signal: undefined };
  if (typeof options !== 'object') {
    throw new InvalidOptionError('options', `invalid options ${describeValue(options)}: expected an object`);
  }
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  checkPositiveMs('timeoutMs', timeoutMs);
  checkSignal(options.signal);
  return { timeoutMs, signal: options.signal };
}

/** Options of `shutdown()`. */
export interface ShutdownOptions {
  /**
   * How long running tasks may go on before their sockets are closed (0 to 2^31−1 ms). Borrowed
   * synthesizers that run no task are closed at once. Default 10 000 ms.
   */
  graceMs?: number | undefined;
}

/**
 * The grace period of a shutdown: `graceMs`, default 10 000 ms.
 * @throws {InvalidOptionError} for a non-object or a `graceMs` that is not 0 to 2^31−1 ms.
 */
export function resolveGraceMs(options: ShutdownOptions | null | undefined): number {
  if (options === undefined || options === null) return 10_000;
  if (typeof options !== 'object') {
    throw new InvalidOptionError('options', `invalid options ${describeValue(options)}: expected an object`);
  }
  const graceMs = options.graceMs ?? 10_000;
  checkPositiveMs('graceMs', graceMs, true);
  return graceMs;
}
