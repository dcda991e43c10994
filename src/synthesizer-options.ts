/**
 * What a SpeechSynthesizer is configured with: its options, callbacks, events, retry and hook
 * settings, and their validation. Types and pure functions only.
 */
import { checkPositiveMs, type ConnectionOptions } from './config.js';
import type { ConnectionCloseInfo } from './connection.js';
import { InvalidOptionError, InvalidParameterError, type DashScopeError } from './errors/index.js';
import type { SynthesisParams } from './params.js';
import type { Quota } from './quota/types.js';
import type { TaskMetrics } from './task.js';

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

/** Events emitted by a synthesizer: the callback moments plus `disconnect` for the socket. */
export interface SynthesizerEvents {
  open: () => void;
  event: (message: string) => void;
  data: (data: Buffer) => void;
  complete: () => void;
  error: (error: DashScopeError) => void;
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
 * Instrumentation points, for pools and metrics. Hooks must not throw (their throws are
 * ignored), except `beforeTask`, whose throw is the way to refuse a task.
 */
export interface SynthesizerHooks {
  /**
   * Awaited before every run-task, e.g. a shared rate limiter; the signal aborts when the task
   * ends; `deadline` is the task's `timeoutMs` as a `performance.now()` time, if it has one.
   */
  beforeRunTask?: ((signal: AbortSignal, deadline?: number) => Promise<void>) | undefined;
  /** Called once when a task ends, with its metrics and, if it failed, the error. */
  onTaskEnd?: ((metrics: TaskMetrics, error: DashScopeError | undefined) => void) | undefined;
  /** Called when a connection opens. */
  onConnect?: ((connectionId: number, connectMs: number) => void) | undefined;
  /** Called when a connection closes. */
  onDisconnect?: ((connectionId: number, info: ConnectionCloseInfo) => void) | undefined;
  /** Called before a task is created; a throw refuses the task before anything is sent. */
  beforeTask?: (() => void) | undefined;
}

export interface SpeechSynthesizerOptions extends SynthesisParams, ConnectionOptions {
  /** Receives the task's moments and audio. Without one, `call()` resolves to the whole audio. */
  callback?: ResultCallback | undefined;
  /**
   * Send the first text right after run-task instead of waiting for task-started (as the Java
   * SDK does by default), saving one round trip of first-packet delay. Default true.
   */
  eagerStart?: boolean | undefined;
  /**
   * While waiting on the server (for task-started, audio or task-finished), fail the task if
   * nothing arrives for this long. Default 30 000 ms (the server's own limit is 23 s).
   */
  responseTimeoutMs?: number | undefined;
  /** Retry of a task before its first audio (see {@link TaskRetryOptions}). */
  retry?: TaskRetryOptions | undefined;
  /** Instrumentation (see {@link SynthesizerHooks}). */
  hooks?: SynthesizerHooks | undefined;
  /** A budget shared with other processes (`createRedisQuota` of `dashscope-tts-pool/redis`). */
  quota?: Quota | undefined;
}

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

export type SynthesizerState = 'idle' | 'busy' | 'closed';

export const DEFAULT_RESPONSE_TIMEOUT_MS = 30_000;

const SYNTHESIS_KEYS = [
  'model',
  'voice',
  'format',
  'volume',
  'speechRate',
  'pitchRate',
  'seed',
  'instruction',
  'languageHints',
  'hotFix',
  'enableSsml',
  'wordTimestampEnabled',
  'additionalParams',
] as const satisfies ReadonlyArray<keyof SynthesisParams>;

/** The synthesis parameters out of a larger options object (no connection settings, no callback). */
export function pickSynthesisParams(options: SynthesisParams): SynthesisParams {
  const picked: Partial<Record<keyof SynthesisParams, unknown>> = {};
  for (const key of SYNTHESIS_KEYS) picked[key] = options[key];
  return picked as SynthesisParams;
}

/** Checks the options of one task. */
export function checkTaskOptions(options: TaskOptions): void {
  if (options.timeoutMs !== undefined) checkPositiveMs('timeoutMs', options.timeoutMs);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidParameterError('signal', 'signal must be an AbortSignal');
  }
}

/** Retry options with their defaults, validated. */
export function resolveRetryOptions(options: TaskRetryOptions | undefined): Required<TaskRetryOptions> {
  const resolved = {
    connectionFailures: options?.connectionFailures ?? 1,
    throttling: options?.throttling ?? 0,
    initialDelayMs: options?.initialDelayMs ?? 200,
    maxDelayMs: options?.maxDelayMs ?? 5_000,
  };
  for (const name of ['connectionFailures', 'throttling'] as const) {
    if (!Number.isInteger(resolved[name]) || resolved[name] < 0) {
      throw new InvalidOptionError(
        `retry.${name}`,
        `invalid retry.${name} ${JSON.stringify(resolved[name])}: expected an integer >= 0`,
      );
    }
  }
  checkPositiveMs('retry.initialDelayMs', resolved.initialDelayMs);
  checkPositiveMs('retry.maxDelayMs', resolved.maxDelayMs);
  return resolved;
}
