/**
 * What a SpeechSynthesizer is configured with: the public option, callback and event types, every
 * default, and the one resolver that validates the options and fills in the defaults.
 */
import { describeValue } from '../util/describe-value.js';
import {
  checkPositiveMs,
  resolveConnectionOptions,
  type ConnectionOptions,
  type ResolvedConnectionOptions,
} from '../config.js';
import type { ConnectionCloseInfo } from '../connection.js';
import { InvalidOptionError, InvalidParameterError, type DashScopeError } from '../errors/index.js';
import type { SynthesisParams } from '../params.js';
import type { AnySynthesisParams, SambertParams } from '../params-sambert.js';
import type { ModelFamily } from './families/model-family.js';
import { familyOf } from './families/select.js';
import { checkQuota } from '../quota/task-gate.js';
import type { Quota } from '../quota/types.js';

/**
 * Callbacks for the moments of a task, all optional (the Python SDK's `ResultCallback`).
 * Order per task: `onOpen` (task-started) → `onEvent`/`onData`… → `onComplete` or `onError`
 * → `onClose`. A task that fails before it started never gets `onOpen`.
 */
export interface ResultCallback {
  /** The server started the task (task-started). */
  onOpen?(): void;
  /** Every JSON event from the server, as received. */
  onEvent?(message: string): void;
  /** An audio frame. */
  onData?(data: Buffer): void;
  /** The task finished and all its audio was delivered (task-finished). */
  onComplete?(): void;
  /** The task failed; no more audio will come. */
  onError?(error: DashScopeError): void;
  /** The task is over (after onComplete or onError, or after a cancel). */
  onClose?(): void;
}

/**
 * Events emitted by a synthesizer: the callback moments (each right after the matching
 * {@link ResultCallback} method) plus `disconnect` for the socket. Per task, in order: `event`
 * for task-started, `open`, then `event`/`data` as they arrive, then `complete` or `error`, then
 * `close`.
 */
export interface SynthesizerEvents {
  /** The server started the task (task-started); no payload. At most once per task, even when retried. */
  open: () => void;
  /** Each JSON event of the task, as the raw text the server sent (task-started … task-finished/-failed). */
  event: (message: string) => void;
  /** One binary audio frame of the task, in order; not emitted for frames still in flight after a cancel. */
  data: (data: Buffer) => void;
  /** The task finished (task-finished) and all its audio was delivered; no payload. */
  complete: () => void;
  /** The task failed with this error (task-failed, lost connection, timeout); not emitted for a cancel. */
  error: (error: DashScopeError) => void;
  /** The task is over, whatever its outcome (after `complete` or `error`, or after a cancel); no payload. */
  close: () => void;
  /** The WebSocket closed (by either side). */
  disconnect: (info: ConnectionCloseInfo) => void;
}

/** When a task may be tried again on a fresh connection. Only before its first audio frame. */
export interface TaskRetryOptions {
  /** Retries of a task whose connection failed (closed, dropped, refused) before any audio. Default 1. */
  connectionFailures?: number | undefined;
  /** Retries of a task the server failed with `Throttling*` before any audio. Default 0 (opt in). */
  throttling?: number | undefined;
  /** First back-off delay; it doubles per retry, with full jitter. Default 200 ms. */
  initialDelayMs?: number | undefined;
  /** Longest back-off delay. Default 5000 ms. */
  maxDelayMs?: number | undefined;
}

/**
 * Everything a synthesizer is configured with besides its synthesis parameters: the connection,
 * the callback, eager start, the response watchdog and retries.
 */
export interface SynthesizerSettings extends ConnectionOptions {
  /** Receives the task's moments and audio. Without one, `call()` resolves to the whole audio. */
  callback?: ResultCallback | undefined;
  /**
   * Send the first text right after run-task instead of waiting for task-started (as the Java
   * SDK does by default), saving one round trip of first-packet delay. Default true. See
   * docs/protocol.md, "Task lifecycle".
   */
  eagerStart?: boolean | undefined;
  /**
   * While waiting on the server (for task-started, audio or task-finished), fail the task if
   * nothing arrives for this long. Default 30 000 ms (the server's own limit is 23 s: see
   * docs/protocol.md, "Inactivity").
   */
  responseTimeoutMs?: number | undefined;
  /** Retry of a task before its first audio (see {@link TaskRetryOptions}). */
  retry?: TaskRetryOptions | undefined;
  /** A budget shared with other processes (`createRedisQuota` of `dashscope-tts-pool/redis`). */
  quota?: Quota | undefined;
}

/** The options of a SpeechSynthesizer for a CosyVoice model: model, voice and the rest. */
export interface SpeechSynthesizerOptions extends SynthesisParams, SynthesizerSettings {}

/** The options of a SpeechSynthesizer for a Sambert model: the model is the voice. */
export interface SambertSynthesizerOptions extends SambertParams, SynthesizerSettings {}

/**
 * What `call()` and `streamingComplete()` resolve to for a synthesizer made with options of type
 * `O`: `Buffer` when `O` has no callback, `null` when it has one, `Buffer | null` when the type
 * cannot tell (a callback that may be undefined, or options typed as {@link SpeechSynthesizerOptions}).
 */
export type SynthesizerAudio<O> = 'callback' extends keyof O
  ? O['callback' & keyof O] extends undefined
    ? Buffer
    : O['callback' & keyof O] extends ResultCallback
      ? null
      : Buffer | null
  : Buffer;

/**
 * `O` with every key that neither {@link SpeechSynthesizerOptions} nor
 * {@link SambertSynthesizerOptions} knows turned into `never`, so that a misspelt option
 * (`volum`) is a type error although the constructor is generic.
 */
export type OnlyKnownOptions<O> = {
  [K in Exclude<keyof O, keyof SpeechSynthesizerOptions | keyof SambertSynthesizerOptions>]: never;
};

/** Options of one task. */
export interface TaskOptions {
  /** Fail the task (and close the connection) if it has not finished within this time. */
  timeoutMs?: number | undefined;
  /** Abort the task: the server is told to cancel, the connection stays usable. */
  signal?: AbortSignal | undefined;
}

export interface StreamOptions extends TaskOptions {
  /** Bytes of audio buffered before reading from the socket pauses. Default 1 MiB. */
  highWaterMark?: number | undefined;
}

/**
 * What a synthesizer is doing: `idle` (no task; the next may start), `busy` (a task runs or is
 * being cancelled), `closed` (after close(); it takes no more tasks).
 */
export type SynthesizerState = 'idle' | 'busy' | 'closed';

/** How long the server may stay silent while the client waits on it (`responseTimeoutMs`). */
export const DEFAULT_RESPONSE_TIMEOUT_MS = 30_000;

/** Every default of a synthesizer and its tasks, in one place (the pool reuses them). */
export const SYNTHESIZER_DEFAULTS = Object.freeze({
  eagerStart: true,
  responseTimeoutMs: DEFAULT_RESPONSE_TIMEOUT_MS,
  retry: Object.freeze({ connectionFailures: 1, throttling: 0, initialDelayMs: 200, maxDelayMs: 5_000 }),
  /** `stream()`: bytes buffered before reading from the socket pauses. */
  highWaterMark: 1024 * 1024,
});

/** A synthesizer's options, validated, with every default filled in. */
export interface ResolvedSynthesizerOptions {
  readonly connection: ResolvedConnectionOptions;
  /** The model family the parameters select (CosyVoice or Sambert). */
  readonly family: ModelFamily;
  /** The synthesis parameters, picked and in the family's canonical form. */
  readonly params: AnySynthesisParams;
  readonly callback: ResultCallback | undefined;
  readonly eagerStart: boolean;
  /** The fleet quota every task takes a lease from, if any. */
  readonly quota: Quota | undefined;
  readonly responseTimeoutMs: number;
  readonly retry: Readonly<Required<TaskRetryOptions>>;
}

/**
 * Validates a synthesizer's options and fills in the defaults.
 * @throws {InvalidParameterError} for a synthesis parameter out of its documented range.
 * @throws {InvalidOptionError} for a bad connection, timing, retry or `eagerStart` option.
 * @throws {MissingApiKeyError} when no key is given and `DASHSCOPE_API_KEY` is unset.
 */
export function resolveSynthesizerOptions(
  options: SpeechSynthesizerOptions | SambertSynthesizerOptions,
): ResolvedSynthesizerOptions {
  const family = familyOf((options as { model?: unknown } | null)?.model);
  family.validate(options);
  const connection = resolveConnectionOptions(options);
  checkCallback(options.callback);
  const params = family.pick(options);
  const eagerStart = options.eagerStart ?? SYNTHESIZER_DEFAULTS.eagerStart;
  if (typeof eagerStart !== 'boolean') {
    throw new InvalidOptionError(
      'eagerStart',
      `invalid eagerStart ${describeValue(eagerStart)}: expected true or false`,
    );
  }
  const responseTimeoutMs = options.responseTimeoutMs ?? SYNTHESIZER_DEFAULTS.responseTimeoutMs;
  checkPositiveMs('responseTimeoutMs', responseTimeoutMs);
  const retry = resolveRetryOptions(options.retry);
  const quota = checkQuota(options.quota);
  return {
    connection,
    family,
    params,
    callback: options.callback,
    eagerStart,
    responseTimeoutMs,
    retry,
    quota,
  };
}

/** Retry options with their defaults, validated. */
export function resolveRetryOptions(options: TaskRetryOptions | undefined): Required<TaskRetryOptions> {
  const defaults = SYNTHESIZER_DEFAULTS.retry;
  const resolved = {
    connectionFailures: options?.connectionFailures ?? defaults.connectionFailures,
    throttling: options?.throttling ?? defaults.throttling,
    initialDelayMs: options?.initialDelayMs ?? defaults.initialDelayMs,
    maxDelayMs: options?.maxDelayMs ?? defaults.maxDelayMs,
  };
  for (const name of ['connectionFailures', 'throttling'] as const) {
    if (!Number.isInteger(resolved[name]) || resolved[name] < 0) {
      throw new InvalidOptionError(
        `retry.${name}`,
        `invalid retry.${name} ${describeValue(resolved[name])}: expected an integer >= 0`,
      );
    }
  }
  checkPositiveMs('retry.initialDelayMs', resolved.initialDelayMs);
  checkPositiveMs('retry.maxDelayMs', resolved.maxDelayMs);
  return resolved;
}

/**
 * Checks an abort signal option: an `AbortSignal` (or an object that behaves as one: `aborted`,
 * `addEventListener`, `removeEventListener`), or undefined.
 * @throws {InvalidOptionError} naming `signal` and the bad value; nothing is armed then.
 */
export function checkSignal(signal: unknown): asserts signal is AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return;
  const candidate: Partial<Record<keyof AbortSignal, unknown>> | null =
    typeof signal === 'object' ? signal : null;
  if (
    candidate !== null &&
    typeof candidate.aborted === 'boolean' &&
    typeof candidate.addEventListener === 'function' &&
    typeof candidate.removeEventListener === 'function'
  ) {
    return;
  }
  throw new InvalidOptionError(
    'signal',
    `invalid signal ${describeValue(signal)}: expected an AbortSignal (from an AbortController)`,
  );
}

const CALLBACK_METHODS = ['onOpen', 'onEvent', 'onData', 'onComplete', 'onError', 'onClose'] as const;

/**
 * Checks a `callback` option: undefined, or an object whose `onOpen`, `onEvent`, `onData`,
 * `onComplete`, `onError` and `onClose`, when present, are functions. A bare function, a
 * number, a string or an array would silently lose the audio, so they are refused.
 * @throws {InvalidOptionError} naming the callback (or the method) and the bad value.
 */
export function checkCallback(callback: unknown): asserts callback is ResultCallback | undefined {
  if (callback === undefined) return;
  if (typeof callback !== 'object' || callback === null || Array.isArray(callback)) {
    throw new InvalidOptionError(
      'callback',
      `invalid callback ${describeValue(callback)}: expected an object with methods such as ` +
        'onData(data) and onComplete(), or no callback (then call() resolves to the audio)',
    );
  }
  for (const name of CALLBACK_METHODS) {
    const method = (callback as Record<string, unknown>)[name];
    if (method !== undefined && typeof method !== 'function') {
      throw new InvalidOptionError(
        `callback.${name}`,
        `invalid callback.${name} ${describeValue(method)}: expected a function`,
      );
    }
  }
}

/**
 * Checks the options of one task; `null` counts as none.
 * @returns the options, `{}` for `null` or undefined.
 * @throws {InvalidOptionError} for a non-object, a bad `timeoutMs` or a bad `signal`.
 */
export function checkTaskOptions(options: TaskOptions | null | undefined): TaskOptions {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') {
    throw new InvalidOptionError('options', `invalid options ${describeValue(options)}: expected an object`);
  }
  if (options.timeoutMs !== undefined) checkPositiveMs('timeoutMs', options.timeoutMs);
  checkSignal(options.signal);
  return options;
}

/**
 * Checks the options of one `stream()` and returns its high-water mark (default 1 MiB).
 * @throws like {@link checkTaskOptions}; {InvalidParameterError} for a bad `highWaterMark`.
 */
export function resolveStreamOptions(options: StreamOptions | null | undefined): number {
  const checked: StreamOptions = checkTaskOptions(options);
  const highWaterMark = checked.highWaterMark ?? SYNTHESIZER_DEFAULTS.highWaterMark;
  if (!Number.isInteger(highWaterMark) || highWaterMark <= 0) {
    throw new InvalidParameterError(
      'highWaterMark',
      `highWaterMark must be a positive integer, got ${highWaterMark}`,
    );
  }
  return highWaterMark;
}
