/**
 * SpeechSynthesizer: one WebSocket connection that runs synthesis tasks one after another
 * (run-task, continue-task, finish-task for CosyVoice; one run-task for Sambert) and delivers
 * their audio as one Buffer, through callbacks and events, or as a Readable stream with
 * backpressure.
 *
 * This file is the public face; the work is done by the task driver (`task-driver.ts`), the
 * server-event dispatch (`server-events.ts`) and the connection slot (`connection-slot.ts`).
 */
import { withQuota } from '../quota/task-gate.js';
import type { Quota } from '../quota/types.js';
import type { Readable } from 'node:stream';
import { inspect } from 'node:util';
import { EventEmitter } from 'eventemitter3';
import { AbortError, ClosedError, InvalidStateError } from '../errors/index.js';
import { validateTaskText, validateText } from '../params.js';
import type { AnySynthesisParams } from '../params-sambert.js';
import type { SambertSentence } from '../protocol-sambert.js';
import { createAudioStream } from './audio-stream.js';
import { callTask } from './call.js';
import { ConnectionSlot } from './connection-slot.js';
import { resolveBinding, type Binding } from './binding.js';
import {
  kBind,
  kForgetLastTask,
  kIdleMs,
  kIsCancelling,
  kRenewConnection,
  kResolved,
  kSetHooks,
  kWhenIdle,
  type SynthesizerHooks,
} from './internal.js';
import { Notifier } from './notify.js';
import {
  checkCallback,
  checkTaskOptions,
  resolveStreamOptions,
  resolveSynthesizerOptions,
  type OnlyKnownOptions,
  type ResolvedSynthesizerOptions,
  type ResultCallback,
  type SambertSynthesizerOptions,
  type SpeechSynthesizerOptions,
  type StreamOptions,
  type SynthesizerAudio,
  type SynthesizerEvents,
  type SynthesizerState,
  type TaskOptions,
} from './options.js';
import { ServerEvents } from './server-events.js';
import { FINISHING, requireStreamingTask } from './streaming.js';
import { armTaskOptions } from './task-deadlines.js';
import { TaskDriver, type DriverSettings } from './task-driver.js';
import type { TaskMetrics, TaskOutcome, TaskReport } from './task-metrics.js';
import { FINISH, FLUSH } from './task.js';

/**
 * One WebSocket connection to DashScope, running one synthesis task at a time.
 *
 * The type parameters only type what `call()` resolves to; they are inferred from the
 * constructor's options. They follow the callback given there (or to a pool's borrow):
 * `setCallback()` or `updateParams()` with a different callback changes the runtime result
 * but not the type.
 * @typeParam O The type of the options the synthesizer was made with.
 * @typeParam Audio What `call()` and `streamingComplete()` resolve to: `Buffer` without a
 *   callback, `null` with one, `Buffer | null` when the options' type cannot tell.
 */
export class SpeechSynthesizer<
  O extends SpeechSynthesizerOptions | SambertSynthesizerOptions = SpeechSynthesizerOptions,
  Audio extends Buffer | null = SynthesizerAudio<O>,
> extends EventEmitter<SynthesizerEvents> {
  readonly #settings: DriverSettings;
  readonly #notifier: Notifier;
  readonly #slot: ConnectionSlot;
  readonly #driver: TaskDriver;
  /** The fleet quota (`quota` option), wrapped around whatever hooks are installed. */
  readonly #quota: Quota | undefined;
  readonly #events: ServerEvents;

  /**
   * @throws {InvalidParameterError} for a parameter out of its documented range.
   * @throws {InvalidOptionError} for a bad connection, timing, retry or `eagerStart` option.
   * @throws {MissingApiKeyError} when no key is given and `DASHSCOPE_API_KEY` is unset.
   */
  constructor(options: O & OnlyKnownOptions<O>) {
    super();
    const made = (options as { [kResolved]?: ResolvedSynthesizerOptions } | null)?.[kResolved];
    const resolved = made ?? resolveSynthesizerOptions(options);
    const { family, params } = resolved;
    this.#settings = { closed: false, family, params, wire: family.toWire(params) };
    this.#notifier = new Notifier(this, resolved.callback);
    this.#slot = new ConnectionSlot(resolved.connection, this);
    this.#driver = new TaskDriver(this.#settings, this.#slot, this.#notifier, resolved);
    this.#quota = resolved.quota;
    if (this.#quota) this[kSetHooks]({});
    this.#events = new ServerEvents(this.#driver);
    this.#slot.listen(this.#events);
  }

  // ----- state ---------------------------------------------------------------------------------

  /** `busy` while a task runs (or is being cancelled), `closed` after close(). */
  get state(): SynthesizerState {
    if (this.#settings.closed) return 'closed';
    return this.#driver.current?.isActive ? 'busy' : 'idle';
  }

  /** True when the connection is open. */
  get isConnected(): boolean {
    return this.#slot.isOpen;
  }

  /**
   * True when the synthesizer can take the next task at once on its open connection: it is not
   * closed, no task is running, the socket is open and the last task did not fail.
   */
  isReusable(): boolean {
    return (
      !this.#settings.closed &&
      !this.#driver.current?.isActive &&
      this.isConnected &&
      this.#driver.last?.outcome !== 'failed'
    );
  }

  /** How the last task ended: `finished`, `cancelled`, `failed`, or undefined before any task. */
  get lastTaskOutcome(): TaskOutcome | undefined {
    return this.#driver.last?.outcome;
  }

  /** The parameters the next task will use. */
  get params(): Readonly<AnySynthesisParams> {
    return this.#settings.params;
  }

  /** The id of the open connection (for metrics), or undefined. */
  get connectionId(): number | undefined {
    return this.#slot.connection?.id;
  }

  /** How many tasks the current connection has completed. */
  get tasksOnConnection(): number {
    return this.#slot.tasksOnConnection;
  }

  /** Milliseconds from the start of the current or last task to its first audio frame; -1 if none. */
  getFirstPackageDelay(): number {
    return this.#shownTask()?.firstPackageDelayMs ?? -1;
  }

  /** The task_id of the current or last task (the server's request id); undefined before any task. */
  getLastRequestId(): string | undefined {
    return this.#shownTask()?.id;
  }

  /** The last JSON event received from the server, parsed; undefined before any. */
  getResponse(): Record<string, unknown> | undefined {
    const raw = this.#events.lastResponse;
    return raw === undefined ? undefined : (JSON.parse(raw) as Record<string, unknown>);
  }

  /** Timings and sizes of the current or last task. */
  getTaskMetrics(): TaskMetrics | undefined {
    return this.#shownTask()?.metrics();
  }

  /**
   * The current or last Sambert task's sentences → words → phonemes (ms), merged like the Python
   * SDK's `get_timestamps()`. Words need `wordTimestampEnabled`, phonemes `phonemeTimestampEnabled`.
   * @returns a new array each time; empty before any task.
   * @throws {UnsupportedOperationError} on a CosyVoice model (its sentence-end events carry words).
   */
  getTimestamps(): SambertSentence[] {
    const task = this.#driver.current ?? this.#driver.lastKept;
    return this.#settings.family.timestamps(task, this.#settings.params.model);
  }

  // ----- configuration -------------------------------------------------------------------------

  /**
   * Replaces the synthesis parameters (and, when given, the callback) for the next tasks, like
   * the Java SDK's `updateParamAndCallback`. Only while no task runs.
   * @throws {InvalidParameterError} / {InvalidOptionError} for a bad parameter / callback (nothing
   * changes then); {InvalidStateError} while a task runs.
   */
  updateParams(params: AnySynthesisParams & { callback?: ResultCallback | undefined }): void {
    this[kBind](params, undefined);
  }

  /** @internal {@link updateParams} with the binding of `params` resolved by the pool (or not). */
  [kBind](params: AnySynthesisParams & { callback?: ResultCallback }, shared: Binding | undefined): void {
    if (this.#driver.current?.isActive) {
      throw new InvalidStateError('Cannot change parameters while a task is running');
    }
    // The model decides the family (see binding.ts); nothing changes before everything is checked.
    const binding = shared ?? resolveBinding(this.#settings, params);
    if ('callback' in params) checkCallback(params.callback);
    if (binding && binding.params !== this.#settings.params) Object.assign(this.#settings, binding);
    if ('callback' in params) this.#notifier.callback = params.callback;
  }

  /**
   * Replaces the callback for the next tasks (undefined removes it). Only while no task runs.
   * @throws {InvalidStateError} while a task runs; {InvalidOptionError} for a bad callback.
   */
  setCallback(callback: ResultCallback | undefined): void {
    if (this.#driver.current?.isActive) {
      throw new InvalidStateError('Cannot change the callback while a task is running');
    }
    checkCallback(callback);
    this.#notifier.callback = callback;
  }

  // ----- connection ----------------------------------------------------------------------------

  /**
   * Opens the connection now instead of at the first task. Resolves at once if it is open.
   * @throws {ClosedError} after close(); the typed connect errors of the connection otherwise
   * (`AuthenticationError`, `HandshakeError`, `ConnectionError`, `ConnectTimeoutError`, `AbortError`).
   */
  async connect(options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
    if (this.#settings.closed) throw new ClosedError();
    await this.#slot.open(options.signal);
  }

  /**
   * Sends a WebSocket ping and waits for the pong. A missed pong destroys the half-open socket.
   * @param timeoutMs how long to wait for the pong (default 5 s).
   * @returns false when there is no open connection or no pong came.
   */
  ping(timeoutMs = 5_000): Promise<boolean> {
    return this.#slot.ping(timeoutMs);
  }

  /**
   * Closes the connection. A running task fails with a `ClosedError`. Resolves when the socket is
   * closed; nothing of this synthesizer is left running. Idempotent.
   */
  async close(): Promise<void> {
    this.#settings.closed = true;
    const task = this.#driver.current;
    if (task?.isActive)
      this.#driver.fail(task, new ClosedError('The synthesizer was closed during the task'));
    this.#driver.close();
    await this.#slot.close();
  }

  /** `await using synth = new SpeechSynthesizer(...)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ----- tasks ---------------------------------------------------------------------------------

  /**
   * Synthesizes `text` as one task: resolves to the whole audio without a callback, else to null
   * once the task finished (the audio went to the callback). `null` options count as none.
   * @throws {InvalidParameterError} / {InvalidOptionError} for bad text / a bad `timeoutMs` or
   * `signal` (nothing is sent or armed). {InvalidStateError} when another task is running.
   * @throws {TaskFailedError} when the server failed the task; {ConnectionError} when the
   * connection broke before the task finished.
   * @throws {TaskTimeoutError} / {AbortError} on timeout / abort.
   */
  call(text: string, options?: TaskOptions | null): Promise<Audio> {
    return callTask(this.#driver, this.#notifier.callback === undefined, text, options) as Promise<Audio>;
  }

  /**
   * Sends a piece of text; the first call starts a task. Fragments need not be sentences: the
   * server buffers an incomplete tail until more text, a flush or the finish.
   * Resolves once the task is under way (run-task sent).
   * @throws {InvalidParameterError} for bad text; {InvalidStateError} once the task is finishing;
   * the task's error when it could not start; {UnsupportedOperationError} on a Sambert model.
   */
  async streamingCall(text: string): Promise<void> {
    this.#settings.family.checkStreaming('streamingCall', this.#settings.params.model);
    const characters = validateText(text);
    let task = this.#driver.current;
    if (!task?.canSend) {
      task = await this.#driver.newTask(this.#notifier.callback === undefined, {});
    } else if (task.finishRequested) {
      throw new InvalidStateError(FINISHING);
    }
    this.#driver.append(task, { kind: 'text', text }, characters);
    await task.whenRunTaskSent;
  }

  /**
   * Asks the server to synthesize the buffered incomplete sentence now (the task stays open).
   * @throws {InvalidStateError} without a running streaming task, or once it is finishing;
   *   {UnsupportedOperationError} on Sambert.
   */
  async streamingFlush(): Promise<void> {
    const task = requireStreamingTask(this.#driver, this.#settings, 'streamingFlush');
    if (task.finishRequested) throw new InvalidStateError(FINISHING);
    this.#driver.append(task, FLUSH);
    await task.whenRunTaskSent;
  }

  /**
   * Ends the text of the task and waits for task-finished. Without a callback it resolves to
   * the task's whole audio, else to null.
   * @throws {InvalidStateError} without a running streaming task; the task's error as for call();
   *   {UnsupportedOperationError} on a Sambert model, which takes its text in one message.
   */
  async streamingComplete(options?: TaskOptions | null): Promise<Audio> {
    const checked = checkTaskOptions(options);
    const task = requireStreamingTask(this.#driver, this.#settings, 'streamingComplete');
    armTaskOptions(this.#driver, task, checked);
    this.#driver.append(task, FINISH);
    return (await task.result.promise) as Audio;
  }

  /**
   * Cancels the running task with the documented cancel directive: the server stops, sends no
   * more audio and answers task-finished; the connection stays usable. Resolves once the
   * server confirmed (or the connection is gone). Waiters on the task reject with `AbortError`.
   */
  async streamingCancel(): Promise<void> {
    const task = this.#driver.current;
    if (!task?.isActive) return;
    this.#driver.cancel(task, new AbortError('cancelled by streamingCancel()'));
    await task.whenReleased;
  }

  /**
   * Synthesizes `text` as a Readable stream of audio chunks, for `pipeline()` into a file or an
   * HTTP response, or `for await`. Reading slowly pauses the socket (backpressure). Destroying
   * the stream early cancels the task. Errors arrive as the stream's 'error'.
   * @throws {InvalidParameterError} synchronously for bad text or options.
   */
  stream(text: string, options?: StreamOptions | null): Readable {
    validateTaskText(text);
    const highWaterMark = resolveStreamOptions(options);
    return createAudioStream(this.#driver, text, highWaterMark, options ?? {});
  }

  // ----- the pool's hook-up (symbol-keyed: not part of the public API) ------------------------

  /** @internal Installs the pool's instrumentation (replaces any earlier). */
  [kSetHooks](hooks: SynthesizerHooks): void {
    const withLeases = withQuota(hooks, this.#quota);
    this.#driver.hooks = withLeases;
    this.#slot.hooks = withLeases;
  }

  /** @internal Forgets the last task and the last server event, as before any task. */
  [kForgetLastTask](): void {
    this.#driver.forgetLast();
    this.#events.forget();
  }

  /** @internal Milliseconds since the connection last sent or received anything; undefined if none. */
  get [kIdleMs](): number | undefined {
    return this.#slot.idleMs;
  }

  /** @internal True while a cancel is waiting for the server's confirmation. */
  get [kIsCancelling](): boolean {
    return this.#driver.current?.phase === 'cancelling';
  }

  /** @internal Resolves once no task occupies the connection (at once if none does). Never rejects. */
  [kWhenIdle](): Promise<void> {
    return this.#driver.whenIdle();
  }

  /**
   * @internal Replaces the idle connection with a fresh one, make-before-break. Resolves false
   * (and keeps the old one) if a task started meanwhile or the synthesizer was closed.
   * @throws the typed connect errors; the old connection is kept then.
   */
  [kRenewConnection](signal?: AbortSignal): Promise<boolean> {
    return this.#slot.renew(signal, () => this.#settings.closed || this.#driver.current?.isActive === true);
  }

  // ----- internals -----------------------------------------------------------------------------

  /** The current task, else the last one: what the metrics getters report on. */
  #shownTask(): TaskReport | undefined {
    return this.#driver.current ?? this.#driver.last;
  }

  /** A short description that never includes the API key. */
  override toString(): string {
    const { model, voice } = this.#settings.params;
    return `SpeechSynthesizer(${voice === undefined ? model : `${model}/${voice}`}, ${this.state})`;
  }

  /** What `console.log` and `util.inspect` show: the same as {@link toString}, never the API key. */
  [inspect.custom](): string {
    return this.toString();
  }
}
