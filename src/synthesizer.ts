/**
 * SpeechSynthesizer: one WebSocket connection that runs synthesis tasks one after another
 * (run-task, continue-task, finish-task) and delivers their audio as one Buffer, through
 * callbacks and events, or as a Readable stream with backpressure.
 */
import { Readable } from 'node:stream';
import { inspect } from 'node:util';
import { EventEmitter } from 'eventemitter3';
import { checkPositiveMs, resolveConnectionOptions, type ResolvedConnectionOptions } from './config.js';
import { Connection, type ConnectionCloseInfo } from './connection.js';
import type { DashScopeError } from './errors/index.js';
import {
  AbortError,
  CallbackError,
  ClosedError,
  ConnectionError,
  ConnectTimeoutError,
  HandshakeError,
  InvalidParameterError,
  InvalidStateError,
  ProtocolError,
  TaskFailedError,
  TaskTimeoutError,
} from './errors/index.js';
import { asDashScopeError } from './errors/convert.js';
import {
  LIMITS,
  toWireParameters,
  validateSynthesisParams,
  validateText,
  type SynthesisParams,
} from './params.js';
import {
  buildCancelTask,
  buildContinueTask,
  buildFinishTask,
  buildFlush,
  buildRunTask,
  newTaskId,
  parseServerEvent,
  type ServerEvent,
  type WireParameters,
} from './protocol.js';
import { fullJitter } from './backoff.js';
import { patchWavSizes } from './wav.js';
import {
  checkTaskOptions,
  DEFAULT_RESPONSE_TIMEOUT_MS,
  pickSynthesisParams,
  resolveRetryOptions,
  type ResultCallback,
  type SpeechSynthesizerOptions,
  type StreamOptions,
  type SynthesizerEvents,
  type SynthesizerHooks,
  type SynthesizerState,
  type TaskOptions,
  type TaskRetryOptions,
} from './synthesizer-options.js';
import { Task, type ScriptEntry, type TaskMetrics } from './task.js';
import { checkQuota, withQuota } from './quota/task-gate.js';
import { Deferred } from './util/async.js';

/** After an abort that came once finish-task was sent, how long to wait for task-finished. */
const CANCEL_DRAIN_MS = 3_000;

type Notification = keyof ResultCallback;
const EVENT_OF: Record<Notification, keyof SynthesizerEvents> = {
  onOpen: 'open',
  onEvent: 'event',
  onData: 'data',
  onComplete: 'complete',
  onError: 'error',
  onClose: 'close',
};

/** One WebSocket connection to DashScope, running one synthesis task at a time. */
export class SpeechSynthesizer extends EventEmitter<SynthesizerEvents> {
  #params: SynthesisParams;
  #wire: WireParameters;
  #callback: ResultCallback | undefined;
  readonly #connectionOptions: ResolvedConnectionOptions;
  readonly #eagerStart: boolean;
  readonly #responseTimeoutMs: number;
  readonly #retry: Required<TaskRetryOptions>;
  readonly #hooks: SynthesizerHooks;

  #connection: Connection | undefined;
  #connecting: Promise<Connection> | undefined;
  #tasksOnConnection = 0;
  #task: Task | undefined;
  #lastTask: Task | undefined;
  #closed = false;
  #lastResponse: string | undefined;

  /**
   * @throws {InvalidParameterError} for a parameter out of its documented range.
   * @throws {InvalidOptionError} for a bad connection option.
   * @throws {MissingApiKeyError} when no key is given and `DASHSCOPE_API_KEY` is unset.
   */
  constructor(options: SpeechSynthesizerOptions) {
    super();
    validateSynthesisParams(options);
    this.#connectionOptions = resolveConnectionOptions(options);
    this.#params = pickSynthesisParams(options);
    this.#wire = toWireParameters(this.#params);
    this.#callback = options.callback;
    this.#eagerStart = options.eagerStart ?? true;
    this.#responseTimeoutMs = options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
    checkPositiveMs('responseTimeoutMs', this.#responseTimeoutMs);
    this.#retry = resolveRetryOptions(options.retry);
    this.#hooks = withQuota(options.hooks ?? {}, checkQuota(options.quota));
  }

  // ----- state ---------------------------------------------------------------------------------

  /** `busy` while a task runs (or is being cancelled), `closed` after close(). */
  get state(): SynthesizerState {
    if (this.#closed) return 'closed';
    return this.#task?.isActive ? 'busy' : 'idle';
  }

  /** True when the connection is open. */
  get isConnected(): boolean {
    return this.#connection?.isOpen ?? false;
  }

  /**
   * True when the synthesizer can take the next task at once on its open connection: it is not
   * closed, no task is running, the socket is open and the last task did not fail.
   */
  isReusable(): boolean {
    return !this.#closed && !this.#task?.isActive && this.isConnected && this.#lastTask?.outcome !== 'failed';
  }

  /** True while a cancel is waiting for the server's confirmation. */
  get isCancelling(): boolean {
    return this.#task?.phase === 'cancelling';
  }

  /** Resolves once no task occupies the connection (at once if none does). Never rejects. */
  whenIdle(): Promise<void> {
    return this.#task?.isActive ? this.#task.released.promise : Promise.resolve();
  }

  /** How the last task ended: `finished`, `cancelled`, `failed`, or undefined before any task. */
  get lastTaskOutcome(): 'finished' | 'cancelled' | 'failed' | undefined {
    return this.#lastTask?.outcome;
  }

  /** The parameters the next task will use. */
  get params(): Readonly<SynthesisParams> {
    return this.#params;
  }

  /** The id of the open connection (for metrics), or undefined. */
  get connectionId(): number | undefined {
    return this.#connection?.id;
  }

  /** Milliseconds since the open connection last sent or received anything; undefined if none. */
  get idleMs(): number | undefined {
    return this.#connection ? performance.now() - this.#connection.lastActivityAt : undefined;
  }

  /** Milliseconds since the open connection was established; undefined if none. */
  get connectionAgeMs(): number | undefined {
    return this.#connection ? performance.now() - this.#connection.openedAt : undefined;
  }

  /** How many tasks the current connection has completed. */
  get tasksOnConnection(): number {
    return this.#tasksOnConnection;
  }

  /** Milliseconds from the start of the current or last task to its first audio frame; -1 if none. */
  getFirstPackageDelay(): number {
    return (this.#task ?? this.#lastTask)?.metrics().firstPackageDelayMs ?? -1;
  }

  /** The task_id of the current or last task (the server's request id); undefined before any task. */
  getLastRequestId(): string | undefined {
    return (this.#task ?? this.#lastTask)?.id;
  }

  /** The last JSON event received from the server, parsed; undefined before any. */
  getResponse(): Record<string, unknown> | undefined {
    return this.#lastResponse === undefined
      ? undefined
      : (JSON.parse(this.#lastResponse) as Record<string, unknown>);
  }

  /** Timings and sizes of the current or last task. */
  getTaskMetrics(): TaskMetrics | undefined {
    return (this.#task ?? this.#lastTask)?.metrics();
  }

  // ----- configuration -------------------------------------------------------------------------

  /**
   * Replaces the synthesis parameters (and, when given, the callback) for the next tasks, like
   * the Java SDK's `updateParamAndCallback`. Only while no task runs.
   * @throws {InvalidParameterError} for a bad parameter; nothing changes then.
   * @throws {InvalidStateError} while a task runs.
   */
  updateParams(params: SynthesisParams & { callback?: ResultCallback | undefined }): void {
    if (this.#task?.isActive) throw new InvalidStateError('Cannot change parameters while a task is running');
    validateSynthesisParams(params);
    const picked = pickSynthesisParams(params);
    this.#wire = toWireParameters(picked);
    this.#params = picked;
    if ('callback' in params) this.#callback = params.callback;
  }

  /** Replaces the callback for the next tasks (undefined removes it). Only while no task runs. */
  setCallback(callback: ResultCallback | undefined): void {
    if (this.#task?.isActive)
      throw new InvalidStateError('Cannot change the callback while a task is running');
    this.#callback = callback;
  }

  // ----- connection ----------------------------------------------------------------------------

  /**
   * Opens the connection now instead of at the first task. Resolves at once if it is open.
   * @throws the typed connect errors of {@link Connection.open}.
   */
  async connect(options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
    this.#assertNotClosed();
    await this.#ensureConnection(options.signal);
  }

  /**
   * Sends a WebSocket ping and waits for the pong. A missed pong destroys the half-open socket.
   * Resolves false when there is no open connection.
   */
  ping(timeoutMs = 5_000): Promise<boolean> {
    return this.#connection?.ping(timeoutMs) ?? Promise.resolve(false);
  }

  /**
   * Closes the connection. A running task fails with a `ClosedError`. Resolves when the socket is
   * closed; nothing of this synthesizer is left running. Idempotent.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const task = this.#task;
    if (task?.isActive) this.#failTask(task, new ClosedError('The synthesizer was closed during the task'));
    const connecting = this.#connecting;
    if (connecting) await connecting.catch(() => undefined);
    await this.#connection?.close();
  }

  /** `await using synth = new SpeechSynthesizer(...)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ----- tasks ---------------------------------------------------------------------------------

  /**
   * Synthesizes `text` as one task. Without a callback it resolves to the whole audio; with a
   * callback the audio goes there and it resolves to null once the task finished.
   * @throws {InvalidParameterError} for empty or over-long text (nothing is sent).
   * @throws {InvalidStateError} when another task is running on this synthesizer.
   * @throws {TaskFailedError} when the server failed the task.
   * @throws {ConnectionError} when the connection broke before the task finished.
   * @throws {TaskTimeoutError} / {AbortError} on timeout / abort.
   */
  async call(text: string, options: TaskOptions = {}): Promise<Buffer | null> {
    validateText(text);
    checkTaskOptions(options);
    const task = await this.#newTask(this.#callback === undefined, options);
    this.#append(task, { kind: 'text', text });
    this.#append(task, { kind: 'finish' });
    await task.result.promise;
    return this.#collectedAudio(task);
  }

  /**
   * Sends a piece of text; the first call starts a task. Fragments need not be sentences: the
   * server buffers an incomplete tail until more text, a flush or the finish.
   * Resolves once the task is under way (run-task sent); rejects if it could not start.
   */
  async streamingCall(text: string): Promise<void> {
    validateText(text);
    let task = this.#task;
    if (!task?.isActive || task.phase === 'cancelling') {
      task = await this.#newTask(this.#callback === undefined, {});
    } else if (task.finishRequested) {
      throw new InvalidStateError('The task is finishing: streamingComplete() was already called');
    }
    this.#append(task, { kind: 'text', text });
    await task.runTaskSent.promise;
  }

  /** Asks the server to synthesize the buffered incomplete sentence now (the task stays open). */
  async streamingFlush(): Promise<void> {
    const task = this.#requireStreamingTask('streamingFlush');
    this.#append(task, { kind: 'flush' });
    await task.runTaskSent.promise;
  }

  /**
   * Ends the text of the task and waits for task-finished. Without a callback it resolves to
   * the task's whole audio, else to null.
   */
  async streamingComplete(options: TaskOptions = {}): Promise<Buffer | null> {
    checkTaskOptions(options);
    const task = this.#requireStreamingTask('streamingComplete');
    this.#armTaskOptions(task, options);
    this.#append(task, { kind: 'finish' });
    await task.result.promise;
    return this.#collectedAudio(task);
  }

  /** The task's whole audio as one Buffer (one copy); a WAV gets its exact sizes. */
  #collectedAudio(task: Task): Buffer | null {
    if (!task.chunks) return null;
    const audio = Buffer.concat(task.chunks, task.audioBytes);
    // The synthesizer keeps its last task for metrics; it must not keep the audio too.
    task.chunks = [];
    return this.#params.format?.format === 'wav' ? patchWavSizes(audio) : audio;
  }

  /**
   * Cancels the running task with the documented cancel directive: the server stops, sends no
   * more audio and answers task-finished; the connection stays usable. Resolves once the
   * server confirmed (or the connection is gone). Waiters on the task reject with `AbortError`.
   */
  async streamingCancel(): Promise<void> {
    const task = this.#task;
    if (!task?.isActive) return;
    this.#cancel(task, new AbortError('cancelled by streamingCancel()'));
    await task.released.promise;
  }

  /**
   * Synthesizes `text` as a Readable stream of audio chunks, for `pipeline()` into a file or an
   * HTTP response, or `for await`. Reading slowly pauses the socket (backpressure). Destroying
   * the stream early cancels the task. Errors arrive as the stream's 'error'.
   * @throws {InvalidParameterError} synchronously for bad text.
   */
  stream(text: string, options: StreamOptions = {}): Readable {
    validateText(text);
    checkTaskOptions(options);
    const highWaterMark = options.highWaterMark ?? 1024 * 1024;
    if (!Number.isInteger(highWaterMark) || highWaterMark <= 0) {
      throw new InvalidParameterError(
        'highWaterMark',
        `highWaterMark must be a positive integer, got ${highWaterMark}`,
      );
    }
    let task: Task | undefined;
    const readable = new Readable({
      highWaterMark,
      read: () => task?.connection?.resume(),
      destroy: (error, callback) => {
        if (task?.isActive) this.#cancel(task, new AbortError('the audio stream was destroyed'));
        callback(error);
      },
    });
    this.#newTask(false, options).then(
      (created) => {
        task = created;
        if (readable.destroyed)
          return this.#cancel(created, new AbortError('the audio stream was destroyed'));
        created.sink = (chunk) => readable.push(chunk);
        created.result.promise.then(
          () => readable.push(null),
          (error: unknown) => readable.destroy(asDashScopeError(error)),
        );
        this.#append(created, { kind: 'text', text });
        this.#append(created, { kind: 'finish' });
      },
      (error: unknown) => readable.destroy(asDashScopeError(error)),
    );
    return readable;
  }

  // ----- task internals ------------------------------------------------------------------------

  async #newTask(collectAudio: boolean, options: TaskOptions): Promise<Task> {
    this.#assertNotClosed();
    this.#hooks.beforeTask?.();
    if (options.signal?.aborted) throw new AbortError(options.signal.reason);
    // A task being cancelled still owns the connection until the server confirms.
    while (this.#task?.isActive && this.#task.phase === 'cancelling') await this.#task.released.promise;
    this.#assertNotClosed();
    if (this.#task?.isActive) {
      throw new InvalidStateError(
        'A task is already running on this synthesizer; tasks run one after another (use a pool for concurrency)',
      );
    }
    const task = new Task(newTaskId(), collectAudio);
    this.#task = task;
    this.#armTaskOptions(task, options);
    return task;
  }

  /**
   * Adds what the client wants to send to the task's script (after checking the task's limits,
   * so that nothing is sent for bad input) and sends it as soon as the task allows.
   */
  #append(task: Task, entry: ScriptEntry): void {
    if (entry.kind === 'text') {
      const characters = validateText(entry.text);
      if (this.#params.enableSsml && task.textMessages >= 1) {
        throw new InvalidStateError('With enableSsml, a task takes exactly one text message');
      }
      if (task.charactersSent + characters > LIMITS.maxCharactersPerTask) {
        throw new InvalidParameterError(
          'text',
          `The task would exceed ${LIMITS.maxCharactersPerTask} characters (CJK counted twice)`,
        );
      }
      task.charactersSent += characters;
      task.textMessages += 1;
    } else if (entry.kind === 'finish') {
      if (task.finishRequested) return;
      task.finishRequested = true;
      this.#armResponseWatchdog(task);
    }
    task.script.push(entry);
    this.#pump(task);
  }

  /**
   * Sends the task's script. The first run opens the connection (if needed), passes the
   * `beforeRunTask` hook and sends run-task; after that, entries go out synchronously, in order.
   */
  #pump(task: Task): void {
    if (!task.isActive || task.phase === 'cancelling' || task.pumping) return;
    if (task.runTaskSentAt === undefined) {
      task.pumping = true;
      const attempt = task.attempt;
      this.#startAttempt(task).then(
        () => {
          if (task.attempt !== attempt) return;
          task.pumping = false;
          this.#pump(task);
        },
        (error: unknown) => {
          if (task.attempt !== attempt) return;
          task.pumping = false;
          this.#failTask(task, asDashScopeError(error));
        },
      );
      return;
    }
    while (task.sent < task.script.length && canSend(task)) {
      const entry = task.script[task.sent++]!;
      this.#send(task, this.#frameOf(task, entry));
    }
  }

  #frameOf(task: Task, entry: ScriptEntry): string {
    switch (entry.kind) {
      case 'text':
        return buildContinueTask(task.id, entry.text);
      case 'flush':
        return buildFlush(task.id);
      case 'finish':
        task.phase = 'finishing';
        return buildFinishTask(task.id);
    }
  }

  /** Opens the connection if needed and sends run-task for the task's current attempt. */
  async #startAttempt(task: Task): Promise<void> {
    const attempt = task.attempt;
    const stale = (): boolean => task.attempt !== attempt || !task.isActive || task.phase === 'cancelling';
    const wait = task.notBefore - performance.now();
    if (wait > 0) await delay(wait, task);
    if (stale()) return;
    const wasOpen = this.isConnected;
    const connection = this.#connection?.isOpen
      ? this.#connection
      : await this.#ensureConnection(task.signal);
    if (stale()) return;
    if (this.#hooks.beforeRunTask) {
      await this.#hooks.beforeRunTask(task.signal, task.deadline);
      if (stale()) return;
    }
    if (!connection.isOpen) throw new ConnectionError('The connection closed before the task could start');
    task.connection = connection;
    if (task.attempt === 1) {
      task.connectMs = wasOpen ? undefined : connection.connectMs;
      task.reusedConnection = wasOpen;
    }
    task.runTaskSentAt = performance.now();
    this.#send(task, buildRunTask(task.id, this.#params.model, this.#wire));
    task.runTaskEverSent = true;
    task.runTaskSent.resolve();
    if (!this.#eagerStart) {
      this.#armResponseWatchdog(task);
      await task.started.promise;
    }
  }

  #requireStreamingTask(method: string): Task {
    const task = this.#task;
    if (!task?.isActive || task.phase === 'cancelling') {
      throw new InvalidStateError(`${method}() needs a running task: call streamingCall(text) first`);
    }
    return task;
  }

  #armTaskOptions(task: Task, options: TaskOptions): void {
    const { timeoutMs, signal } = options;
    if (timeoutMs !== undefined) {
      task.deadline = performance.now() + timeoutMs;
      const timer = setTimeout(() => {
        const connection = task.connection;
        this.#failTask(task, new TaskTimeoutError(task.id, timeoutMs));
        connection?.terminate();
      }, timeoutMs);
      task.timers.add(timer);
    }
    if (signal) {
      const onAbort = (): void => this.#cancel(task, new AbortError(signal.reason));
      signal.addEventListener('abort', onAbort, { once: true });
      task.cleanups.push(() => signal.removeEventListener('abort', onAbort));
    }
  }

  #send(task: Task, frame: string): void {
    const connection = task.connection;
    if (!connection) throw new InvalidStateError('The task has no connection');
    connection.send(frame, (error) => this.#failTask(task, error, connection));
  }

  #assertNotClosed(): void {
    if (this.#closed) throw new ClosedError();
  }

  /**
   * While the client waits on the server, fails the task if the connection stays silent for
   * `responseTimeoutMs`. One timer per task, re-armed for the remaining time.
   */
  #armResponseWatchdog(task: Task): void {
    if (task.watchdogArmed) return;
    task.watchdogArmed = true;
    const limit = this.#responseTimeoutMs;
    const check = (): void => {
      task.timers.delete(timer);
      if (!task.isActive) return;
      const lastSign = Math.max(task.waitingSince, task.connection?.lastActivityAt ?? 0);
      const silentFor = performance.now() - lastSign;
      if (silentFor >= limit) {
        const connection = task.connection;
        this.#failTask(task, new TaskTimeoutError(task.id, limit));
        connection?.terminate();
        return;
      }
      timer = setTimeout(check, limit - silentFor);
      task.timers.add(timer);
    };
    let timer = setTimeout(check, limit);
    task.timers.add(timer);
  }

  /** Cancels a task: locally if run-task was never sent, else with the cancel directive. */
  #cancel(task: Task, reason: AbortError): void {
    if (!task.isActive || task.phase === 'cancelling') return;
    task.result.reject(reason);
    task.cancelRequested = true;
    if (task.runTaskSentAt === undefined || !task.connection?.isOpen) {
      this.#endTask(task, 'cancelled', reason);
      return;
    }
    const finishSent = task.phase === 'finishing';
    task.phase = 'cancelling';
    task.connection.resume();
    if (!finishSent) {
      this.#send(task, buildCancelTask(task.id));
      this.#armResponseWatchdog(task);
      return;
    }
    // finish-task is already out: a second finish-task (the cancel directive) could reach the
    // server after the task ended and fail the connection. Drop the remaining audio instead and
    // wait a little for task-finished, which keeps the socket; after that, close it.
    const connection = task.connection;
    const timer = setTimeout(() => connection.terminate(), CANCEL_DRAIN_MS);
    task.timers.add(timer);
  }

  /**
   * Ends a task with an error, unless the error is one a fresh attempt can cure (the connection
   * failed, or the server throttled, before any audio arrived) and retries are left. Errors of
   * a connection the task no longer uses are ignored.
   */
  #failTask(task: Task, error: DashScopeError, source?: Connection): void {
    if (!task.isActive) return;
    if (source && task.connection !== source) return;
    if (this.#retryTask(task, error)) return;
    this.#endTask(task, 'failed', error);
  }

  #retryTask(task: Task, error: DashScopeError): boolean {
    if (this.#closed || task.cancelRequested || task.audioFrames > 0 || task.phase === 'cancelling')
      return false;
    let retriesSoFar: number;
    if (error instanceof TaskFailedError && error.retryable) {
      if (task.throttlingRetries >= this.#retry.throttling) return false;
      retriesSoFar = task.throttlingRetries++;
    } else if (isConnectionFailure(error)) {
      if (task.connectionRetries >= this.#retry.connectionFailures) return false;
      retriesSoFar = task.connectionRetries++;
    } else {
      return false;
    }
    const old = task.connection;
    const backoff =
      error instanceof TaskFailedError || retriesSoFar > 0
        ? fullJitter(this.#retry.initialDelayMs, this.#retry.maxDelayMs, retriesSoFar)
        : 0;
    task.attempt += 1;
    task.id = newTaskId();
    task.phase = 'starting';
    task.sent = 0;
    task.pumping = false;
    task.connection = undefined;
    task.runTaskSentAt = undefined;
    task.taskStartedAt = undefined;
    task.started.resolve();
    task.started = new Deferred<void>();
    task.notBefore = performance.now() + backoff;
    task.waitingSince = task.notBefore;
    task.lastRetryError = error;
    // The failed attempt's connection is unusable: after task-failed the server closes it anyway.
    if (old?.isOpen) old.terminate();
    this.#pump(task);
    return true;
  }

  #endTask(task: Task, outcome: 'finished' | 'cancelled' | 'failed', error?: DashScopeError): void {
    if (!task.isActive) return;
    task.phase = 'ended';
    task.outcome = outcome;
    task.endedAt = performance.now();
    task.error = error;
    task.dispose();
    task.started.resolve();
    if (!task.runTaskEverSent) task.runTaskSent.reject(error ?? new AbortError('the task was cancelled'));
    // A task that will not be collected gives its audio up now (the synthesizer keeps the task).
    if (outcome !== 'finished') task.chunks = undefined;
    task.connection?.resume();
    if (this.#task === task) this.#task = undefined;
    this.#lastTask = task;
    // A failed task leaves the connection in an unknown state (and after task-failed the server
    // closes it): never reuse it.
    if (outcome === 'failed' && task.connection?.isOpen) void task.connection.close(1000, 'task failed');
    if (outcome !== 'failed' && task.connection === this.#connection) this.#tasksOnConnection += 1;
    if (outcome === 'finished') {
      this.#notify(task, 'onComplete');
      task.result.resolve();
    } else {
      const failure = error ?? new AbortError('the task was cancelled');
      if (outcome === 'failed' && !task.cancelRequested) this.#notify(task, 'onError', failure);
      task.result.reject(failure);
    }
    this.#notify(task, 'onClose');
    task.released.resolve();
    try {
      this.#hooks.onTaskEnd?.(task.metrics(), outcome === 'failed' ? error : undefined);
    } catch {
      // Instrumentation must never break the task flow.
    }
  }

  /** Calls the user's callback and event listeners; a throw stops the task instead of the client. */
  #notify(task: Task | undefined, name: Notification, argument?: unknown): void {
    const callbacks = this.#callback as
      Record<Notification, ((value?: unknown) => void) | undefined> | undefined;
    try {
      callbacks?.[name]?.(argument);
      this.emit(EVENT_OF[name], argument as never);
    } catch (error) {
      if (task?.isActive && name !== 'onError' && name !== 'onClose') {
        const connection = task.connection;
        task.cancelRequested = true; // no retry, no second error report for the user's own throw
        this.#endTask(task, 'failed', new CallbackError(name, error));
        connection?.terminate();
      }
    }
  }

  // ----- connection internals ------------------------------------------------------------------

  #ensureConnection(signal?: AbortSignal): Promise<Connection> {
    if (this.#connection?.isOpen) return Promise.resolve(this.#connection);
    if (!this.#connecting) {
      this.#connecting = Connection.open(this.#connectionOptions, signal)
        .then((connection) => {
          if (this.#closed) {
            void connection.close();
            throw new ClosedError();
          }
          this.#attach(connection);
          return connection;
        })
        .finally(() => {
          this.#connecting = undefined;
        });
    }
    return this.#connecting;
  }

  #attach(connection: Connection): void {
    this.#connection = connection;
    this.#tasksOnConnection = 0;
    connection.on('text', (raw) => this.#onText(connection, raw));
    connection.on('binary', (data) => this.#onBinary(connection, data));
    connection.on('close', (info) => this.#onClose(connection, info));
    try {
      this.#hooks.onConnect?.(connection.id, connection.connectMs);
    } catch {
      // Instrumentation must never break the connection flow.
    }
  }

  /**
   * Replaces the idle connection with a fresh one, make-before-break: the new socket is opened
   * first, then the old one is closed. Resolves false (and keeps the old one) if a task started
   * meanwhile or the synthesizer was closed.
   * @throws the typed connect errors of {@link Connection.open}; the old connection is kept then.
   */
  async renewConnection(signal?: AbortSignal): Promise<boolean> {
    if (this.#closed || this.#task?.isActive || this.#connecting) return false;
    const fresh = await Connection.open(this.#connectionOptions, signal);
    if (this.#closed || this.#task?.isActive || this.#connecting) {
      void fresh.close(1000, 'not needed');
      return false;
    }
    const old = this.#connection;
    this.#attach(fresh);
    if (old) void old.close(1000, 'renewed');
    return true;
  }

  #onText(connection: Connection, raw: string): void {
    const task = this.#task?.connection === connection ? this.#task : undefined;
    let event: ServerEvent;
    try {
      event = parseServerEvent(raw);
    } catch (error) {
      if (task?.isActive) {
        task.cancelRequested = true; // a confused peer: no retry
        this.#failTask(task, asDashScopeError(error));
        connection.terminate();
      }
      return;
    }
    this.#lastResponse = raw;
    if (!task?.isActive) return;
    if (event.taskId !== task.id) {
      this.#failTask(
        task,
        new ProtocolError(`Server sent ${event.event} for task ${event.taskId} during task ${task.id}`),
      );
      connection.terminate();
      return;
    }
    this.#notify(task, 'onEvent', raw);
    switch (event.event) {
      case 'task-started':
        task.taskStartedAt = performance.now();
        if (task.phase === 'starting') task.phase = 'started';
        task.started.resolve();
        if (task.isActive && !task.openNotified) {
          task.openNotified = true;
          this.#notify(task, 'onOpen');
        }
        break;
      case 'result-generated':
        if (event.usage) task.billedCharacters = event.usage.characters;
        break;
      case 'task-finished':
        if (event.usage) task.billedCharacters = event.usage.characters;
        this.#endTask(task, task.cancelRequested ? 'cancelled' : 'finished');
        break;
      case 'task-failed':
        this.#failTask(
          task,
          new TaskFailedError({
            errorCode: event.errorCode,
            errorMessage: event.errorMessage,
            taskId: event.taskId,
            audioReceived: task.audioFrames > 0,
          }),
          connection,
        );
        break;
    }
  }

  #onBinary(connection: Connection, data: Buffer): void {
    const task = this.#task;
    // After a cancel the server sends no more audio; frames already in flight are dropped.
    if (!task?.isActive || task.connection !== connection || task.phase === 'cancelling') return;
    if (task.firstAudioAt === undefined) task.firstAudioAt = performance.now();
    task.audioBytes += data.length;
    task.audioFrames += 1;
    task.chunks?.push(data);
    if (task.sink && !task.sink(data)) connection.pause();
    this.#notify(task, 'onData', data);
  }

  #onClose(connection: Connection, info: ConnectionCloseInfo): void {
    if (this.#connection === connection) this.#connection = undefined;
    const task = this.#task;
    if (task?.isActive && task.connection === connection) {
      if (task.phase === 'cancelling') {
        // The cancel's goal (no more audio) is met; the connection just did not survive it.
        this.#endTask(task, 'cancelled');
      } else {
        const received =
          task.audioFrames > 0 ? `after ${task.audioBytes} bytes of audio` : 'before any audio';
        this.#failTask(
          task,
          new ConnectionError(
            `Connection closed during task ${task.id} ${received} (code ${info.code}${info.reason ? `: ${info.reason}` : ''}); the audio is incomplete`,
            { closeCode: info.code, closeReason: info.reason, audioReceived: task.audioFrames > 0 },
          ),
        );
      }
    }
    try {
      this.#hooks.onDisconnect?.(connection.id, info);
      this.emit('disconnect', info);
    } catch {
      // A listener's throw must not break connection bookkeeping.
    }
  }

  override toString(): string {
    return `SpeechSynthesizer(${this.#params.model}/${this.#params.voice}, ${this.state})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Whether the task may still send frames (re-read after every send: a send can end it). */
function canSend(task: Task): boolean {
  return task.isActive && task.phase !== 'cancelling';
}

/** Errors after which the same task may succeed on a fresh connection. */
function isConnectionFailure(error: DashScopeError): boolean {
  if (error instanceof ConnectionError || error instanceof ConnectTimeoutError) return true;
  return error instanceof HandshakeError && error.retryable;
}

/** Resolves after `ms`, or early when the task ends (its timers are cleared then). */
function delay(ms: number, task: Task): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      task.timers.delete(timer);
      resolve();
    }, ms);
    task.timers.add(timer);
    task.signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
