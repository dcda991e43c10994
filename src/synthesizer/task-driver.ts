/**
 * Runs one task at a time on the synthesizer's connection: the script pump (run-task, then the
 * client's frames in order), attempts and the retry before the first audio, the task's timeout,
 * abort and response watchdog (armed from `task-deadlines.ts`), the cancel, and the end of the
 * task with its notifications. What the server sends is dispatched to it by `server-events.ts`.
 * Which frames a task sends is the model family's (`families/`: CosyVoice or Sambert).
 */
import type { Connection } from '../connection.js';
import {
  AbortError,
  CallbackError,
  ClosedError,
  ConnectionError,
  InvalidParameterError,
  InvalidStateError,
  type DashScopeError,
} from '../errors/index.js';
import { asDashScopeError } from '../errors/convert.js';
import { LIMITS, validateText, type SynthesisParams } from '../params.js';
import type { AnySynthesisParams } from '../params-sambert.js';
import { sleep } from '../util/async.js';
import { patchWavSizes } from '../wav.js';
import type { ConnectionSlot } from './connection-slot.js';
import type { ModelFamily, RunTaskParameters } from './families/model-family.js';
import type { SynthesizerHooks } from './internal.js';
import type { Notification, Notifier } from './notify.js';
import type { ResolvedSynthesizerOptions, TaskOptions } from './options.js';
import { RetryPolicy } from './retry-policy.js';
import { armTaskOptions, ResponseWatchdog } from './task-deadlines.js';
import { LastTask, type TaskOutcome, type TaskReport } from './task-metrics.js';
import { Task, type ScriptEntry } from './task.js';

/** After an abort that came once finish-task was sent, how long to wait for task-finished. */
const CANCEL_DRAIN_MS = 3_000;

/** The synthesizer's state the driver reads when it needs it; the synthesizer writes it. */
export interface DriverSettings {
  closed: boolean;
  /** The model family of `params`: which frames a task sends (see `families/`). */
  family: ModelFamily;
  params: AnySynthesisParams;
  wire: RunTaskParameters;
}

export class TaskDriver {
  /** Instrumentation: `beforeTask`, `beforeRunTask` and `onTaskEnd` are called from here. */
  hooks: SynthesizerHooks = {};
  readonly #settings: DriverSettings;
  readonly #slot: ConnectionSlot;
  readonly #notifier: Notifier;
  readonly #retry: RetryPolicy;
  readonly #eagerStart: boolean;
  readonly #watchdog: ResponseWatchdog;
  #task: Task | undefined;
  /** The last task's report (see LastTask); `#ended` once a task has ended. */
  readonly #lastTask = new LastTask();
  #ended = false;
  /** The last task itself, kept only when its family keeps results on it (Sambert's timestamps). */
  #lastKept: Task | undefined;

  constructor(
    settings: DriverSettings,
    slot: ConnectionSlot,
    notifier: Notifier,
    options: Pick<ResolvedSynthesizerOptions, 'eagerStart' | 'responseTimeoutMs' | 'retry'>,
  ) {
    this.#settings = settings;
    this.#slot = slot;
    this.#notifier = notifier;
    this.#retry = new RetryPolicy(options.retry);
    this.#eagerStart = options.eagerStart;
    this.#watchdog = new ResponseWatchdog(this, options.responseTimeoutMs);
  }

  /** Stops the response watchdog's timer (the synthesizer is closing). */
  close(): void {
    this.#watchdog.stop();
  }

  /** The model family of the parameters the tasks run with. */
  get family(): ModelFamily {
    return this.#settings.family;
  }

  /** The task that occupies the connection, if any. */
  get current(): Task | undefined {
    return this.#task;
  }

  /** The report of the task that ended last, if any. */
  get last(): TaskReport | undefined {
    return this.#ended ? this.#lastTask : undefined;
  }

  /** Forgets the task that ended last (see `kForgetLastTask`); the running one, if any, stays. */
  forgetLast(): void {
    this.#ended = false;
    this.#lastKept = undefined;
    this.#lastTask.forget();
  }

  /** The task that ended last, when its family keeps results on it (else undefined). */
  get lastKept(): Task | undefined {
    return this.#lastKept;
  }

  /** The synthesis parameters of the running task (they cannot change while a task runs). */
  get params(): AnySynthesisParams {
    return this.#settings.params;
  }

  /** Resolves once no task occupies the connection (at once if none does). Never rejects. */
  whenIdle(): Promise<void> {
    return this.#task?.isActive ? this.#task.whenReleased : Promise.resolve();
  }

  /**
   * Creates the next task, once a task being cancelled has let go of the connection.
   * @throws {ClosedError} after close(); {InvalidStateError} while another task runs; {AbortError}
   * for an aborted signal; whatever the `beforeTask` hook throws.
   */
  async newTask(collectAudio: boolean, options: TaskOptions): Promise<Task> {
    return this.startTask(collectAudio, options);
  }

  /**
   * {@link newTask} without a promise when none is needed: the task at once, or a promise of it
   * while a task being cancelled still holds the connection. Throws synchronously.
   */
  startTask(collectAudio: boolean, options: TaskOptions): Task | Promise<Task> {
    if (this.#settings.closed) throw new ClosedError();
    this.hooks.beforeTask?.();
    if (options.signal?.aborted) throw new AbortError(options.signal.reason);
    // A task being cancelled still owns the connection until the server confirms.
    if (this.#task?.isActive && this.#task.phase === 'cancelling') {
      return this.#taskAfterCancel(collectAudio, options);
    }
    return this.#createTask(collectAudio, options);
  }

  async #taskAfterCancel(collectAudio: boolean, options: TaskOptions): Promise<Task> {
    while (this.#task?.isActive && this.#task.phase === 'cancelling') await this.#task.whenReleased;
    return this.#createTask(collectAudio, options);
  }

  #createTask(collectAudio: boolean, options: TaskOptions): Task {
    if (this.#settings.closed) throw new ClosedError();
    if (this.#task?.isActive) {
      throw new InvalidStateError(
        'A task is already running on this synthesizer; tasks run one after another (use a pool for concurrency)',
      );
    }
    const task = new Task(collectAudio);
    this.#task = task;
    armTaskOptions(this, task, options);
    return task;
  }

  /**
   * Adds what the client wants to send to the task's script (after checking the task's limits,
   * so that nothing is sent for bad input) and sends it as soon as the task allows.
   * @throws {InvalidParameterError} for bad text or text over the task's limit;
   * {InvalidStateError} for a second text with `enableSsml`.
   * @param characters the text's count from `validateText`, when the caller has checked it already.
   */
  append(task: Task, entry: ScriptEntry, characters = 0): void {
    if (entry.kind === 'text') {
      characters ||= validateText(entry.text);
      // Only CosyVoice has enableSsml; Sambert's picked parameters lack the key.
      if ((this.#settings.params as SynthesisParams).enableSsml && task.textMessages >= 1) {
        throw new InvalidStateError('With enableSsml, a task takes exactly one text message');
      }
      if (task.charactersSent + characters > LIMITS.maxCharactersPerTask) {
        throw new InvalidParameterError(
          'text',
          `The task would exceed ${LIMITS.maxCharactersPerTask} characters (CJK counted twice)`,
        );
      }
    }
    if (!task.append(entry, characters)) return;
    if (entry.kind === 'finish') this.#watchdog.watch(task);
    this.#pump(task);
  }

  /**
   * Cancels a task: locally if run-task was never sent, else with the cancel directive (the
   * server stops, sends no more audio and answers task-finished; the socket stays usable: see
   * docs/protocol.md, "Cancel").
   * Waiters on the task's result reject with `reason` at once.
   */
  cancel(task: Task, reason: AbortError): void {
    if (!task.canSend) return;
    task.result.reject(reason);
    task.requestCancel();
    const connection = task.connection;
    if (!task.sentRunTask || !connection?.isOpen) {
      this.end(task, 'cancelled', reason);
      return;
    }
    const finishSent = task.phase === 'finishing';
    task.markCancelling();
    connection.resume();
    const cancelFrame = finishSent ? undefined : this.#settings.family.cancelFrame(task.id);
    if (cancelFrame !== undefined) {
      this.#send(task, cancelFrame);
      this.#watchdog.watch(task);
      return;
    }
    // finish-task is already out: a second finish-task (the cancel directive) could reach the
    // server after the task ended and fail the connection. Or the family has no cancel message
    // (Sambert). Drop the remaining audio instead and wait a little for task-finished, which
    // keeps the socket; after that, close it.
    task.addTimer(setTimeout(() => connection.terminate(), CANCEL_DRAIN_MS));
  }

  /**
   * Ends a task with an error, unless the error is one a fresh attempt can cure (see
   * `retry-policy.ts`) and retries are left. Errors of a connection the task no longer uses
   * (`source`) are ignored.
   */
  fail(task: Task, error: DashScopeError, source?: Connection): void {
    if (!task.isActive) return;
    if (source && task.connection !== source) return;
    if (this.#retryTask(task, error)) return;
    this.end(task, 'failed', error);
  }

  /**
   * Ends a task: frees the connection (closing it after a failure, which leaves it in an unknown
   * state), settles the task's result and notifies in the documented order, then `onTaskEnd`.
   */
  end(task: Task, outcome: TaskOutcome, error?: DashScopeError): void {
    if (!task.isActive) return;
    task.end(outcome, error);
    if (this.#task === task) this.#task = undefined;
    const metrics = task.metrics();
    this.#lastTask.record(metrics);
    this.#ended = true;
    this.#lastKept = this.#settings.family.onResult ? task : undefined;
    const connection = task.connection;
    connection?.unref();
    // After task-failed the server closes the connection anyway (docs/protocol.md, "Errors"):
    // never reuse it.
    if (outcome === 'failed' && connection?.isOpen) void connection.close(1000, 'task failed');
    if (outcome !== 'failed') this.#slot.countTask(connection);
    if (outcome === 'finished') {
      this.notify(task, 'onComplete');
      task.result.resolve(this.#collectedAudio(task));
    } else {
      const failure = error ?? new AbortError('the task was cancelled');
      if (outcome === 'failed' && !task.cancelRequested) this.notify(task, 'onError', failure);
      task.result.reject(failure);
    }
    this.notify(task, 'onClose');
    task.markReleased();
    try {
      this.hooks.onTaskEnd?.(metrics, outcome === 'failed' ? error : undefined);
    } catch {
      // Instrumentation must never break the task flow.
    }
  }

  /** The task's whole audio as one Buffer (one copy), null when not collected; a WAV gets its exact sizes. */
  #collectedAudio(task: Task): Buffer | null {
    const audio = task.takeAudio();
    return audio && this.#settings.wire.format === 'wav' ? patchWavSizes(audio) : audio;
  }

  /** Notifies the user; a throw stops the task (a `CallbackError`) instead of the client. */
  notify(task: Task, name: Notification, argument?: unknown): void {
    try {
      this.#notifier.notify(name, argument);
    } catch (error) {
      if (task.isActive && name !== 'onError' && name !== 'onClose') {
        const connection = task.connection;
        task.requestCancel(); // no retry, no second error report for the user's own throw
        this.end(task, 'failed', new CallbackError(name, error));
        connection?.terminate();
      }
    }
  }

  /**
   * Sends the task's script. The first run opens the connection (if needed), passes the
   * `beforeRunTask` hook and sends run-task; after that, entries go out synchronously, in order.
   */
  #pump(task: Task): void {
    if (!task.canSend || task.isPumping) return;
    if (!task.sentRunTask && !this.#startAtOnce(task)) {
      task.setPumping(true);
      const attempt = task.attempt;
      this.#startAttempt(task).then(
        () => {
          if (task.attempt !== attempt) return;
          task.setPumping(false);
          this.#pump(task);
        },
        (error: unknown) => {
          if (task.attempt !== attempt) return;
          task.setPumping(false);
          this.fail(task, asDashScopeError(error));
        },
      );
      return;
    }
    // canSend is re-read after every send: a send can end the task.
    const family = this.#settings.family;
    while (task.canSend) {
      const entry = task.takeNext();
      if (entry === undefined) return;
      const frame = family.frame(task, entry);
      if (frame !== undefined) this.#send(task, frame);
    }
  }

  /**
   * Sends run-task at once when nothing is to be waited for (eager start, no back-off, no
   * `beforeRunTask` hook, the connection open): the usual case in a pool, which so skips a
   * promise and its hops. Returns false when the attempt must be started the waiting way.
   */
  #startAtOnce(task: Task): boolean {
    if (!this.#eagerStart || this.hooks.beforeRunTask) return false;
    if (task.notBefore > 0 && task.notBefore > performance.now()) return false;
    const connection = this.#slot.connection;
    if (!connection?.isOpen) return false;
    this.#sendRunTask(task, connection, true);
    return true;
  }

  /** Waits out a retry's back-off, opens the connection if needed and sends run-task. */
  async #startAttempt(task: Task): Promise<void> {
    const attempt = task.attempt;
    const stale = (): boolean => task.attempt !== attempt || !task.canSend;
    const wait = task.notBefore - performance.now();
    // The task's signal aborts when it ends, which cuts the back-off short.
    if (wait > 0) await sleep(wait, task.signal);
    if (stale()) return;
    const held = this.#slot.connection;
    const wasOpen = held?.isOpen ?? false;
    const connection = held && wasOpen ? held : await this.#slot.open(task.signal);
    if (stale()) return;
    if (this.hooks.beforeRunTask) {
      await this.hooks.beforeRunTask(task.signal, task.deadline);
      if (stale()) return;
    }
    if (!connection.isOpen) throw new ConnectionError('The connection closed before the task could start');
    this.#sendRunTask(task, connection, wasOpen);
    if (!this.#eagerStart) {
      this.#watchdog.watch(task);
      await task.whenStarted;
    }
  }

  /** Starts the attempt on `connection`: run-task goes out. */
  #sendRunTask(task: Task, connection: Connection, wasOpen: boolean): void {
    task.beginAttempt(connection, wasOpen);
    // A running task keeps the process alive; an idle connection does not (see end()).
    connection.ref();
    const settings = this.#settings;
    this.#send(task, settings.family.runTask(task, settings.params.model, settings.wire));
    task.markRunTaskSent();
  }

  /**
   * Sends one frame. On an open socket no callback is passed: a failed write closes the socket,
   * and the close fails the task with a `ConnectionError` (server-events.ts).
   */
  #send(task: Task, frame: string): void {
    const connection = task.connection;
    if (!connection) throw new InvalidStateError('The task has no connection');
    if (connection.isOpen) connection.send(frame);
    else connection.send(frame, (error) => this.fail(task, error, connection));
  }

  /** Starts the task over on a fresh connection, if the retry policy allows it. */
  #retryTask(task: Task, error: DashScopeError): boolean {
    if (this.#settings.closed) return false;
    const kind = this.#retry.kindOf(task, error);
    if (kind === undefined) return false;
    const old = task.connection;
    task.resetForRetry(kind, this.#retry.backoffMs(kind, task.retries(kind)));
    // The failed attempt's connection is unusable: after task-failed the server closes it anyway.
    if (old?.isOpen) old.terminate();
    this.#pump(task);
    return true;
  }
}
