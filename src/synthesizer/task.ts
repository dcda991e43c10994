/**
 * One synthesis task as a small state machine: its phase, its script of client frames, its
 * attempts, timings and audio. Only the transition methods change it; everything else is read.
 * What callers wait for (its result, task-started…) is its `TaskMoments` (task-moments.ts); its
 * timers, listeners and abort signal live in its `TaskScope` (task-scope.ts).
 *
 * Phases: `starting` → `started` → `finishing` → `ended`, with `cancelling` reachable from any
 * of the first three. A retry goes back to `starting` with a new task id.
 */
import type { Connection } from '../connection.js';
import type { DashScopeError } from '../errors/index.js';
import { newTaskId } from '../protocol.js';
import type { TaskMetrics, TaskOutcome } from './task-metrics.js';
import { TaskMoments } from './task-moments.js';

export type { TaskMetrics, TaskOutcome } from './task-metrics.js';

export type TaskPhase =
  /** run-task sent (or about to be); task-started not yet received. */
  | 'starting'
  /** task-started received; text may be sent. */
  | 'started'
  /** finish-task sent; waiting for task-finished. */
  | 'finishing'
  /** cancel directive sent; waiting for task-finished. */
  | 'cancelling'
  /** The server is done with the task (finished or failed) or the connection is gone. */
  | 'ended';

/** Why a task is tried again: its connection failed, or the server throttled it. */
export type RetryKind = 'connection' | 'throttling';

/** One thing the client sends within a task, kept so that a failed attempt can be replayed. */
export type ScriptEntry = { kind: 'text'; text: string } | { kind: 'flush' } | { kind: 'finish' };

/** The entries without data, shared by every task. */
export const FLUSH: ScriptEntry = Object.freeze({ kind: 'flush' });
export const FINISH: ScriptEntry = Object.freeze({ kind: 'finish' });

// The bits of Task's flags. A task in flight is kept alive across young-generation collections,
// where every field it holds is copied: yes/no states take one field between them.
const FINISH_REQUESTED = 1;
const CANCEL_REQUESTED = 2;
const PUMPING = 4;
const WATCHDOG_ARMED = 8;
const OPEN_NOTIFIED = 16;
const REUSED_CONNECTION = 32;

export class Task extends TaskMoments {
  readonly #startedAt = performance.now();
  #id = newTaskId();
  #phase: TaskPhase = 'starting';
  #outcome: TaskOutcome | undefined;
  /** The connection of the current attempt, once run-task is about to go out on it. */
  #connection: Connection | undefined;

  // What the client sends, in order, then the finish once requested (kept as a flag, not an
  // entry); the first `#sent` of them went out on the current attempt. Most tasks have one text:
  // the array is made for it, at its size.
  #script: ScriptEntry[] | undefined;
  #sent = 0;
  #charactersSent = 0;
  #textMessages = 0;

  // Attempts: a pump of an older attempt sees `attempt` change and stops itself.
  #attempt = 1;
  #connectionRetries = 0;
  #throttlingRetries = 0;
  #notBefore = 0;
  /** The task's yes/no states, as bits (see FINISH_REQUESTED…): one field, not one each. */
  #flags = 0;

  #connectMs: number | undefined;
  #runTaskSentAt: number | undefined;
  #taskStartedAt: number | undefined;
  #firstAudioAt: number | undefined;
  #endedAt: number | undefined;

  /** Collected audio, when the caller wants one Buffer at the end; emptied once handed over. */
  #chunks: Buffer[] | undefined;
  /** Receives each audio frame; returns false to ask for backpressure. */
  #sink: ((chunk: Buffer) => boolean) | undefined;
  #audioBytes = 0;
  #audioFrames = 0;
  #billedCharacters: number | undefined;

  /**
   * When the task's `timeoutMs` runs out, as a `performance.now()` time; undefined without one.
   * A fleet quota waits no longer than this (set by `armTaskOptions`).
   */
  deadline: number | undefined = undefined;

  /** @param collectAudio keep the frames, for one Buffer at the end (see {@link takeAudio}). */
  constructor(collectAudio: boolean) {
    super();
    this.#chunks = collectAudio ? [] : undefined;
  }

  // ----- reading ---------------------------------------------------------------------------------

  /** The task_id of the current attempt (a retry gets a new one). */
  get id(): string {
    return this.#id;
  }
  get phase(): TaskPhase {
    return this.#phase;
  }
  get isActive(): boolean {
    return this.#phase !== 'ended';
  }
  /** Whether the task may still send frames (re-read after every send: a send can end it). */
  get canSend(): boolean {
    return this.#phase !== 'ended' && this.#phase !== 'cancelling';
  }
  get outcome(): TaskOutcome | undefined {
    return this.#outcome;
  }
  get connection(): Connection | undefined {
    return this.#connection;
  }
  /** Attempts made so far (1 for the first). */
  get attempt(): number {
    return this.#attempt;
  }
  /** Retries of this kind made so far. */
  retries(kind: RetryKind): number {
    return kind === 'connection' ? this.#connectionRetries : this.#throttlingRetries;
  }
  /** True while the pump is opening the connection or waiting to start. */
  get isPumping(): boolean {
    return (this.#flags & PUMPING) !== 0;
  }
  /** True once run-task went out on the current attempt. */
  get sentRunTask(): boolean {
    return this.#runTaskSentAt !== undefined;
  }
  /** Do not start the current attempt before this `performance.now()` (retry back-off). */
  get notBefore(): number {
    return this.#notBefore;
  }
  /** The watchdog counts silence from here at the earliest (reset by a retry). */
  get waitingSince(): number {
    // The start, or a retry's start after its back-off (which is later).
    return this.#notBefore > this.#startedAt ? this.#notBefore : this.#startedAt;
  }
  /** True once the client asked to finish (call(), stream() or streamingComplete()). */
  get finishRequested(): boolean {
    return (this.#flags & FINISH_REQUESTED) !== 0;
  }
  /** True once the user cancelled or aborted: the end is then `cancelled`, not a failure. */
  get cancelRequested(): boolean {
    return (this.#flags & CANCEL_REQUESTED) !== 0;
  }
  get charactersSent(): number {
    return this.#charactersSent;
  }
  get textMessages(): number {
    return this.#textMessages;
  }
  get audioBytes(): number {
    return this.#audioBytes;
  }
  get audioFrames(): number {
    return this.#audioFrames;
  }
  // ----- transitions -----------------------------------------------------------------------------

  /**
   * Adds an entry to the script (limits are the caller's to check first). Returns false for
   * anything after the finish (a second finish, a late flush), which is ignored: the finish
   * synthesizes all the text anyway.
   * @param characters the text's length as counted for the task limit.
   */
  append(entry: ScriptEntry, characters = 0): boolean {
    if ((this.#flags & FINISH_REQUESTED) !== 0) return false;
    if (entry.kind === 'finish') {
      this.#flags |= FINISH_REQUESTED;
      return true;
    }
    if (entry.kind === 'text') {
      this.#charactersSent += characters;
      this.#textMessages += 1;
    }
    if (this.#script === undefined) this.#script = [entry];
    else this.#script.push(entry);
    return true;
  }

  /** The next entry not yet sent on this attempt, marked as sent; undefined when all went out. */
  takeNext(): ScriptEntry | undefined {
    const length = this.#script?.length ?? 0;
    if (this.#sent < length) return this.#script![this.#sent++];
    if (this.#sent === length && (this.#flags & FINISH_REQUESTED) !== 0) {
      this.#sent += 1;
      return FINISH;
    }
    return undefined;
  }

  /** The pump is busy opening the connection / starting the attempt (true) or done (false). */
  setPumping(pumping: boolean): void {
    this.#flags = pumping ? this.#flags | PUMPING : this.#flags & ~PUMPING;
  }

  /** The attempt's connection is chosen and run-task is about to go out on it. */
  beginAttempt(connection: Connection, wasOpen: boolean): void {
    this.#connection = connection;
    if (this.#attempt === 1) {
      this.#connectMs = wasOpen ? undefined : connection.connectMs;
      if (wasOpen) this.#flags |= REUSED_CONNECTION;
    }
    this.#runTaskSentAt = performance.now();
  }

  /** task-started arrived. */
  markStarted(): void {
    this.#taskStartedAt = performance.now();
    if (this.#phase === 'starting') this.#phase = 'started';
    this.startedOrGone();
  }

  /** True the first time it is asked while the task is active: the `open` notification is due. */
  claimOpenNotification(): boolean {
    if (this.#phase === 'ended' || (this.#flags & OPEN_NOTIFIED) !== 0) return false;
    this.#flags |= OPEN_NOTIFIED;
    return true;
  }

  /** True once the response watchdog watches this task. */
  get watchdogClaimed(): boolean {
    return (this.#flags & WATCHDOG_ARMED) !== 0;
  }

  /** True the first time: the response watchdog is to watch this task. */
  claimWatchdog(): boolean {
    if ((this.#flags & WATCHDOG_ARMED) !== 0) return false;
    this.#flags |= WATCHDOG_ARMED;
    return true;
  }

  /** finish-task is going out. */
  markFinishing(): void {
    this.#phase = 'finishing';
  }

  /** The end will be `cancelled`, not a failure, and the task will not be retried. */
  requestCancel(): void {
    this.#flags |= CANCEL_REQUESTED;
  }

  /** The cancel is on the wire: the task waits for the server's confirmation. */
  markCancelling(): void {
    this.#phase = 'cancelling';
  }

  /** Where audio frames go besides the collected chunks (the stream adapter). */
  setSink(sink: (chunk: Buffer) => boolean): void {
    this.#sink = sink;
  }

  /** Counts an audio frame and hands it on. Returns false when the sink asks for backpressure. */
  recordAudio(data: Buffer): boolean {
    if (this.#firstAudioAt === undefined) this.#firstAudioAt = performance.now();
    this.#audioBytes += data.length;
    this.#audioFrames += 1;
    this.#chunks?.push(data);
    return this.#sink === undefined || this.#sink(data);
  }

  /** The server's `usage` count of billable characters. */
  recordUsage(characters: number): void {
    this.#billedCharacters = characters;
  }

  /** The collected audio as one Buffer (one copy), or null when it was not collected. */
  takeAudio(): Buffer | null {
    if (!this.#chunks) return null;
    const audio = Buffer.concat(this.#chunks, this.#audioBytes);
    // The synthesizer keeps its last task for metrics; it must not keep the audio too.
    this.#chunks = [];
    return audio;
  }

  /**
   * Starts the attempt over, with a new task id, after `backoffMs`: the script is replayed from
   * its start on a fresh connection. Anyone waiting for task-started of the old attempt goes on.
   */
  resetForRetry(kind: RetryKind, backoffMs: number): void {
    if (kind === 'connection') this.#connectionRetries += 1;
    else this.#throttlingRetries += 1;
    this.#attempt += 1;
    this.#id = newTaskId();
    this.#phase = 'starting';
    this.#sent = 0;
    this.#flags &= ~PUMPING;
    this.#connection = undefined;
    this.#runTaskSentAt = undefined;
    this.#taskStartedAt = undefined;
    this.newAttemptMoments();
    this.#notBefore = performance.now() + backoffMs;
  }

  /**
   * Ends the task: releases its scope (timers, listeners, signal) and lets go of what it will not
   * need (audio nobody will collect, a paused socket). `result` and `released` are the caller's
   * to settle, after its notifications.
   */
  end(outcome: TaskOutcome, error: DashScopeError | undefined): void {
    this.#phase = 'ended';
    this.#outcome = outcome;
    this.#endedAt = performance.now();
    this.#sink = undefined;
    this.releaseScope();
    this.endMoments(error);
    // A task that will not be collected gives its audio up now (the synthesizer keeps the task).
    if (outcome !== 'finished') this.#chunks = undefined;
    this.#connection?.resume();
  }

  /** From the start of the task to its first audio frame; -1 before one arrived (as in {@link metrics}). */
  get firstPackageDelayMs(): number {
    return this.#firstAudioAt === undefined ? -1 : this.#firstAudioAt - this.#startedAt;
  }

  /** Timings and sizes so far. */
  metrics(): TaskMetrics {
    return {
      taskId: this.#id,
      outcome: this.#outcome ?? 'running',
      connectMs: this.#connectMs,
      taskStartedMs:
        this.#taskStartedAt !== undefined && this.#runTaskSentAt !== undefined
          ? this.#taskStartedAt - this.#runTaskSentAt
          : undefined,
      firstPackageDelayMs: this.firstPackageDelayMs,
      totalMs: this.#endedAt === undefined ? undefined : this.#endedAt - this.#startedAt,
      reusedConnection: (this.#flags & REUSED_CONNECTION) !== 0,
      openedConnection: (this.#flags & REUSED_CONNECTION) === 0,
      attempts: this.#attempt,
      audioBytes: this.#audioBytes,
      audioFrames: this.#audioFrames,
      charactersSent: this.#charactersSent,
      billedCharacters: this.#billedCharacters,
    };
  }
}
