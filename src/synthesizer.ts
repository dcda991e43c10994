/**
 * SpeechSynthesizer: one WebSocket connection that runs synthesis tasks one after another
 * (run-task, continue-task, finish-task) and delivers their audio as one Buffer, through
 * callbacks and events, or as a Readable stream with backpressure.
 */
import { Readable } from 'node:stream';
import { inspect } from 'node:util';
import { EventEmitter } from 'eventemitter3';
import {
  checkPositiveMs,
  resolveConnectionOptions,
  type ConnectionOptions,
  type ResolvedConnectionOptions,
} from './config.js';
import { Connection, type ConnectionCloseInfo } from './connection.js';
import {
  AbortError,
  CallbackError,
  ClosedError,
  ConnectionError,
  DashScopeError,
  InvalidParameterError,
  InvalidStateError,
  ProtocolError,
  TaskFailedError,
  TaskTimeoutError,
} from './errors.js';
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
import { Task, type TaskMetrics } from './task.js';

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

  #connection: Connection | undefined;
  #connecting: Promise<Connection> | undefined;
  #tasksOnConnection = 0;
  #task: Task | undefined;
  #lastTask: Task | undefined;
  #ops: Promise<void> = Promise.resolve();
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
    this.#reserveText(task, text);
    void this.#enqueue(async () => {
      await this.#startOnConnection(task);
      this.#sendText(task, text);
      this.#sendFinish(task);
    }).catch((error: unknown) => this.#failTask(task, asDashScopeError(error)));
    await task.result.promise;
    return task.chunks ? Buffer.concat(task.chunks, task.audioBytes) : null;
  }

  /**
   * Sends a piece of text; the first call starts a task. Fragments need not be sentences: the
   * server buffers an incomplete tail until more text, a flush or the finish.
   * Resolves once the text is on its way.
   */
  async streamingCall(text: string): Promise<void> {
    validateText(text);
    let task = this.#task;
    if (!task?.isActive || task.phase === 'cancelling') {
      task = await this.#newTask(this.#callback === undefined, {});
    } else if (task.phase === 'finishing') {
      throw new InvalidStateError('The task is finishing: streamingComplete() was already called');
    }
    this.#reserveText(task, text);
    const current = task;
    await this.#enqueue(async () => {
      if (current.runTaskSentAt === undefined) await this.#startOnConnection(current);
      this.#sendText(current, text);
    });
  }

  /** Asks the server to synthesize the buffered incomplete sentence now (the task stays open). */
  async streamingFlush(): Promise<void> {
    const task = this.#requireStreamingTask('streamingFlush');
    await this.#enqueue(() => {
      this.#assertUsable(task);
      this.#send(task, buildFlush(task.id));
    });
  }

  /**
   * Ends the text of the task and waits for task-finished. Without a callback it resolves to
   * the task's whole audio, else to null.
   */
  async streamingComplete(options: TaskOptions = {}): Promise<Buffer | null> {
    checkTaskOptions(options);
    const task = this.#requireStreamingTask('streamingComplete');
    this.#armTaskOptions(task, options);
    await this.#enqueue(() => this.#sendFinish(task));
    await task.result.promise;
    return task.chunks ? Buffer.concat(task.chunks, task.audioBytes) : null;
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
    checkPositiveMs('highWaterMark', highWaterMark);
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
        this.#reserveText(created, text);
        void this.#enqueue(async () => {
          await this.#startOnConnection(created);
          this.#sendText(created, text);
          this.#sendFinish(created);
        }).catch((error: unknown) => this.#failTask(created, asDashScopeError(error)));
        created.result.promise.then(
          () => readable.push(null),
          (error: unknown) => readable.destroy(asDashScopeError(error)),
        );
      },
      (error: unknown) => readable.destroy(asDashScopeError(error)),
    );
    return readable;
  }

  // ----- task internals ------------------------------------------------------------------------

  async #newTask(collectAudio: boolean, options: TaskOptions): Promise<Task> {
    this.#assertNotClosed();
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

  /** Counts the text against the task's limits before anything is sent. */
  #reserveText(task: Task, text: string): void {
    const characters = validateText(text);
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
      const timer = setTimeout(() => {
        this.#failTask(task, new TaskTimeoutError(task.id, timeoutMs));
        task.connection?.terminate();
      }, timeoutMs);
      task.timers.add(timer);
    }
    if (signal) {
      const onAbort = (): void => this.#cancel(task, new AbortError(signal.reason));
      signal.addEventListener('abort', onAbort, { once: true });
      task.cleanups.push(() => signal.removeEventListener('abort', onAbort));
    }
  }

  /** Runs `operation` after every operation queued before it, so frames leave in call order. */
  #enqueue(operation: () => void | Promise<void>): Promise<void> {
    const run = this.#ops.then(operation);
    this.#ops = run.catch(() => undefined);
    return run;
  }

  async #startOnConnection(task: Task): Promise<void> {
    this.#assertUsable(task);
    const wasOpen = this.isConnected;
    let connection: Connection;
    try {
      connection = await this.#ensureConnection();
    } catch (error) {
      throw asDashScopeError(error);
    }
    this.#assertUsable(task);
    task.connection = connection;
    task.connectMs = wasOpen ? undefined : connection.connectMs;
    task.reusedConnection = this.#tasksOnConnection > 0;
    task.runTaskSentAt = performance.now();
    this.#send(task, buildRunTask(task.id, this.#params.model, this.#wire));
    if (!this.#eagerStart) {
      this.#armResponseWatchdog(task);
      await task.started.promise;
      this.#assertUsable(task);
    }
  }

  #sendText(task: Task, text: string): void {
    this.#assertUsable(task);
    this.#send(task, buildContinueTask(task.id, text));
  }

  #sendFinish(task: Task): void {
    this.#assertUsable(task);
    if (task.phase === 'finishing') return;
    task.phase = 'finishing';
    this.#send(task, buildFinishTask(task.id));
    this.#armResponseWatchdog(task);
  }

  #send(task: Task, frame: string): void {
    const connection = task.connection;
    if (!connection) throw new InvalidStateError('The task has no connection');
    connection.send(frame).catch((error: unknown) => this.#failTask(task, asDashScopeError(error)));
  }

  /** Throws the task's error if it already ended (e.g. aborted while connecting). */
  #assertUsable(task: Task): void {
    if (!task.isActive || task.phase === 'cancelling') {
      throw task.error ?? new AbortError('the task was cancelled');
    }
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
      const silentFor = performance.now() - (task.connection?.lastActivityAt ?? task.startedAt);
      if (silentFor >= limit) {
        this.#failTask(task, new TaskTimeoutError(task.id, limit));
        task.connection?.terminate();
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
      this.#endTask(task, 'cancelled');
      return;
    }
    task.phase = 'cancelling';
    task.connection.resume();
    this.#send(task, buildCancelTask(task.id));
    this.#armResponseWatchdog(task);
  }

  #failTask(task: Task, error: DashScopeError): void {
    if (!task.isActive) return;
    this.#endTask(task, 'failed', error);
  }

  #endTask(task: Task, outcome: 'finished' | 'cancelled' | 'failed', error?: DashScopeError): void {
    if (!task.isActive) return;
    task.phase = 'ended';
    task.outcome = outcome;
    task.endedAt = performance.now();
    task.error = error;
    task.dispose();
    task.started.resolve();
    task.connection?.resume();
    if (this.#task === task) this.#task = undefined;
    this.#lastTask = task;
    if (outcome === 'failed') {
      // A failed task leaves the connection in an unknown state (and after task-failed the
      // server closes it): never reuse it.
      if (task.connection?.isOpen) void task.connection.close(1000, 'task failed');
    } else {
      this.#tasksOnConnection += 1;
    }
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
        this.#failTask(task, new CallbackError(name, error));
        task.connection?.terminate();
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
  }

  #onText(connection: Connection, raw: string): void {
    const task = this.#task?.connection === connection ? this.#task : undefined;
    let event: ServerEvent;
    try {
      event = parseServerEvent(raw);
    } catch (error) {
      if (task) {
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

function pickSynthesisParams(options: SynthesisParams): SynthesisParams {
  const {
    model,
    voice,
    format,
    volume,
    speechRate,
    pitchRate,
    seed,
    instruction,
    languageHints,
    hotFix,
    enableSsml,
    wordTimestampEnabled,
    additionalParams,
  } = options;
  return {
    model,
    voice,
    format,
    volume,
    speechRate,
    pitchRate,
    seed,
    instruction,
    languageHints,
    hotFix,
    enableSsml,
    wordTimestampEnabled,
    additionalParams,
  };
}

function checkTaskOptions(options: TaskOptions): void {
  if (options.timeoutMs !== undefined) checkPositiveMs('timeoutMs', options.timeoutMs);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidParameterError('signal', 'signal must be an AbortSignal');
  }
}

function asDashScopeError(error: unknown): DashScopeError {
  if (error instanceof DashScopeError) return error;
  return new ConnectionError(error instanceof Error ? error.message : String(error), { cause: error });
}
