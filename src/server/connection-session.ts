/**
 * One client socket: the protocol state machine of spec section 7. Messages are processed
 * strictly in order through a work queue (so continue/finish that arrive before task-started are
 * simply handled after the run-task); a cancel pre-empts the queue; any error answers task-failed
 * and closes the socket.
 */
import type { EventEmitter } from 'node:events';
import { WebSocket, type RawData } from 'ws';
import { countCharacters, LIMITS } from '../params.js';
import {
  isCancel,
  isFlush,
  parseClientMessage,
  ssmlToText,
  validateRunTask,
  type ClientMessage,
  type TaskSpec,
} from './client-messages.js';
import type { SpeechEngine } from './engine.js';
import { createEncoder, type AudioEncoder } from './encoders/index.js';
import * as events from './events.js';
import type { Faults } from './faults.js';
import { DelayLine, sleep } from './pacing.js';
import { applyVolume, resample } from './resample.js';
import { isSpeakable, SentenceSegmenter, splitLongSentence } from './segmenter.js';
import type { ServerCounters } from './stats.js';
import {
  encoderUnavailable,
  inactivity,
  invalidAction,
  TASK_ERRORS,
  textTooLong,
  unknownTask,
  type TaskError,
} from './task-errors.js';
import type { TaskFault } from './types.js';
import { wordTimings } from './word-timestamps.js';

/** Settings and shared objects a session needs from its server. */
export interface SessionContext {
  engine: SpeechEngine;
  counters: ServerCounters;
  faults: Faults;
  events: EventEmitter;
  taskInactivityTimeoutMs: number;
  strictTaskStarted: boolean;
  firstAudioDelayMs: number;
  realTimeFactor: number;
  roundTripMs: number;
  audioChunkBytes: number;
  idleTimeoutMs(): number;
  log(line: string): void;
}

type Outbound =
  | { kind: 'text'; data: string; taskId?: string; audio?: boolean; onWritten?: () => void }
  | { kind: 'binary'; data: Uint8Array; taskId: string }
  | { kind: 'close'; code: number; reason: string }
  | { kind: 'terminate' };

type Work = ClientMessage & { early?: boolean };

const MID_STREAM_FAULTS: ReadonlySet<TaskFault> = new Set([
  'fail-mid-stream',
  'drop-mid-stream',
  'close-mid-stream',
]);

interface Task {
  spec: TaskSpec;
  segmenter: SentenceSegmenter;
  encoder: AudioEncoder;
  abort: AbortController;
  fault: TaskFault | undefined;
  faultDecided: boolean;
  hung: boolean;
  ended: boolean;
  startedWritten: boolean;
  sawText: boolean;
  textMessages: number;
  receivedCharacters: number;
  billedCharacters: number;
  sentenceIndex: number;
  framesSent: number;
  audioMs: number;
  pacingStart: number | undefined;
  pacedMs: number;
}

/** Drives one WebSocket. Created by the server for every accepted upgrade. */
export class ConnectionSession {
  readonly id: string;
  readonly #ws: WebSocket;
  readonly #ctx: SessionContext;
  readonly #out: DelayLine<Outbound>;
  readonly #in: DelayLine<string>;
  #queue: Work[] = [];
  #pumping = false;
  #closing = false;
  #disposed = false;
  #task: Task | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #idleSince = Date.now();
  #inactivityTimer: NodeJS.Timeout | undefined;

  constructor(id: string, ws: WebSocket, ctx: SessionContext) {
    this.id = id;
    this.#ws = ws;
    this.#ctx = ctx;
    const halfTrip = ctx.roundTripMs / 2;
    this.#out = new DelayLine(halfTrip, (item) => this.#write(item));
    this.#in = new DelayLine(halfTrip, (raw) => this.#receive(raw));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      // Client binary frames mean nothing in TTS (R13): ignored.
      if (isBinary || this.#closing) return;
      ctx.counters.messagesReceived++;
      this.#in.push(rawText(data));
    });
    ws.on('error', (error) => ctx.log(`connection ${id}: ${error.message}`));
    ws.on('close', (code) => this.#dispose(code));
    this.#armIdle();
  }

  /** Terminates the socket at once (no close frame). */
  kill(): void {
    this.#ws.terminate();
  }

  /** Re-schedules the idle close after the idle timeout changed. */
  rescheduleIdle(): void {
    if (this.#idleTimer) this.#armIdle(this.#idleSince);
  }

  // ----- inbound -----------------------------------------------------------------------------

  #receive(raw: string): void {
    if (this.#closing) return;
    const message: Work = parseClientMessage(raw);
    if (message.kind !== 'malformed') {
      this.#ctx.events.emit('client-message', {
        connectionId: this.id,
        action:
          message.kind === 'invalid' ? message.action : (message.message.header as { action: string }).action,
        taskId: message.taskId,
        message: message.message,
      });
    }
    this.#clearInactivity();
    if (message.kind === 'run-task') this.#clearIdle();
    const task = this.#task;
    const forRunningTask =
      task !== undefined && !task.ended && 'taskId' in message && message.taskId === task.spec.taskId;
    if (message.kind === 'continue-task' || message.kind === 'finish-task') {
      message.early = this.#ctx.strictTaskStarted && !(forRunningTask && task.startedWritten);
      if (
        message.kind === 'finish-task' &&
        isCancel(message.input) &&
        forRunningTask &&
        !task.hung &&
        !message.early
      ) {
        // Cancel takes effect at once: whatever was queued before it is moot.
        this.#queue = [];
        this.#cancel(task);
        return;
      }
    }
    this.#queue.push(message);
    void this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0 && !this.#closing) {
        const message = this.#queue.shift()!;
        try {
          await this.#handle(message);
        } catch (error) {
          this.#ctx.log(`connection ${this.id}: internal error: ${(error as Error).stack ?? String(error)}`);
          const taskId = this.#task?.spec.taskId ?? ('taskId' in message ? message.taskId : undefined);
          if (taskId !== undefined) this.#fail(taskId, TASK_ERRORS.internal);
          else this.#close(1011, 'Internal error');
        }
      }
    } finally {
      this.#pumping = false;
    }
    if (!this.#closing) {
      this.#armInactivity();
      if (!this.#task) this.#armIdle();
    }
  }

  async #handle(message: Work): Promise<void> {
    const task = this.#task;
    switch (message.kind) {
      case 'malformed':
        this.#close(1007, 'Invalid frame payload data');
        return;
      case 'invalid':
        this.#fail(message.taskId, TASK_ERRORS.malformedTask);
        return;
      case 'unknown-action':
        this.#fail(message.taskId, invalidAction(message.action));
        return;
      case 'run-task':
        if (task) this.#fail(message.taskId, TASK_ERRORS.runTaskWhileBusy);
        else await this.#start(message);
        return;
      case 'continue-task':
      case 'finish-task': {
        if (!task || task.spec.taskId !== message.taskId) {
          this.#fail(message.taskId, unknownTask(message.taskId));
          return;
        }
        if (task.hung) return;
        if (message.early) {
          this.#fail(message.taskId, invalidAction(message.kind));
          return;
        }
        if (message.kind === 'continue-task') await this.#continue(task, message.input);
        else if (isCancel(message.input)) this.#cancel(task);
        else await this.#finish(task);
        return;
      }
    }
  }

  // ----- task lifecycle ----------------------------------------------------------------------

  async #start(message: Extract<ClientMessage, { kind: 'run-task' }>): Promise<void> {
    const spec = validateRunTask(message);
    if ('code' in spec) {
      this.#fail(message.taskId, spec);
      return;
    }
    let fault = this.#ctx.faults.takeAtStart();
    let faultDecided = !this.#ctx.faults.hasMatchers;
    if (!fault && spec.initialText !== undefined && !faultDecided) {
      fault = this.#ctx.faults.takeForText(spec.initialText);
      faultDecided = true;
    }
    if (fault === 'fail-at-start' || fault === 'throttle') {
      this.#fail(spec.taskId, fault === 'throttle' ? TASK_ERRORS.throttled : TASK_ERRORS.internal);
      return;
    }
    let encoder: AudioEncoder;
    try {
      encoder = await createEncoder(spec.format, spec.sampleRate, spec.bitRate);
    } catch (error) {
      this.#fail(spec.taskId, encoderUnavailable(spec.format, (error as Error).message));
      return;
    }
    if (this.#closing) {
      encoder.close();
      return;
    }
    // Account-wide limits (account-limits.ts): over them, the service's throttling error.
    const throttled = this.#ctx.counters.accountLimits.admit();
    if (throttled) {
      encoder.close();
      return this.#fail(spec.taskId, throttled);
    }
    const task: Task = {
      spec,
      segmenter: new SentenceSegmenter(),
      encoder,
      abort: new AbortController(),
      fault,
      faultDecided,
      hung: fault === 'hang',
      ended: false,
      startedWritten: false,
      sawText: false,
      textMessages: 0,
      receivedCharacters: 0,
      billedCharacters: 0,
      sentenceIndex: 0,
      framesSent: 0,
      audioMs: 0,
      pacingStart: undefined,
      pacedMs: 0,
    };
    this.#task = task;
    const counters = this.#ctx.counters;
    counters.started++;
    counters.active++;
    counters.resetBytes(spec.taskId);
    this.#send({
      kind: 'text',
      data: events.taskStarted(spec.taskId),
      onWritten: () => (task.startedWritten = true),
    });
    this.#emitTask('task-started', spec.taskId);
    if (task.hung) return;
    if (spec.initialText !== undefined) {
      if (spec.mode === 'out') {
        await this.#continue(task, { text: spec.initialText });
        if (!task.ended) await this.#finish(task);
      } else if (spec.initialText !== '') {
        await this.#continue(task, { text: spec.initialText });
      }
    }
  }

  async #continue(task: Task, input: Record<string, unknown>): Promise<void> {
    const sentences: string[] = [];
    const text = input.text;
    if (text !== undefined) {
      if (typeof text !== 'string' || text === '') return this.#fail(task.spec.taskId, TASK_ERRORS.emptyText);
      if (task.spec.ssml && task.textMessages >= 1) {
        return this.#fail(task.spec.taskId, TASK_ERRORS.ssmlSingleMessage);
      }
      task.textMessages++;
      const spoken = task.spec.ssml ? ssmlToText(text) : text;
      const characters = countCharacters(spoken);
      if (characters > LIMITS.maxCharactersPerMessage) {
        return this.#fail(
          task.spec.taskId,
          textTooLong('message', LIMITS.maxCharactersPerMessage, characters),
        );
      }
      task.receivedCharacters += characters;
      if (task.receivedCharacters > LIMITS.maxCharactersPerTask) {
        return this.#fail(
          task.spec.taskId,
          textTooLong('task', LIMITS.maxCharactersPerTask, task.receivedCharacters),
        );
      }
      if (!task.faultDecided) {
        task.faultDecided = true;
        task.fault ??= this.#ctx.faults.takeForText(text);
        if (task.fault === 'fail-at-start' || task.fault === 'throttle') {
          return this.#fail(
            task.spec.taskId,
            task.fault === 'throttle' ? TASK_ERRORS.throttled : TASK_ERRORS.internal,
          );
        }
        if (task.fault === 'hang') {
          task.hung = true;
          return;
        }
      }
      if (isSpeakable(spoken)) task.sawText = true;
      sentences.push(...task.segmenter.push(spoken));
    }
    if (isFlush(input)) sentences.push(...task.segmenter.flush());
    await this.#speak(task, sentences, false);
  }

  async #finish(task: Task): Promise<void> {
    if (!task.sawText) return this.#fail(task.spec.taskId, TASK_ERRORS.noText);
    await this.#speak(task, task.segmenter.flush(), true);
    if (task.ended) return;
    const characters = task.spec.mode === 'out' ? undefined : task.billedCharacters;
    this.#send({ kind: 'text', data: events.taskFinished(task.spec.taskId, characters) });
    this.#ctx.counters.finished++;
    this.#emitTask('task-finished', task.spec.taskId);
    this.#endTask(task);
  }

  #cancel(task: Task): void {
    // No audio of this task may follow: drop what is still in flight on the outbound line.
    this.#out.remove(
      (item) =>
        (item.kind === 'binary' || item.kind === 'text') &&
        item.taskId === task.spec.taskId &&
        (item.kind === 'binary' || item.audio === true),
    );
    this.#send({ kind: 'text', data: events.taskFinished(task.spec.taskId, task.billedCharacters) });
    this.#ctx.counters.cancelled++;
    this.#emitTask('task-cancelled', task.spec.taskId);
    this.#endTask(task);
    this.#clearInactivity();
    if (!this.#pumping) this.#armIdle();
  }

  /** Ends the running task (whatever the outcome) and releases its encoder. */
  #endTask(task: Task): void {
    if (task.ended) return;
    task.ended = true;
    task.abort.abort();
    task.encoder.close();
    this.#ctx.counters.active--;
    this.#ctx.counters.accountLimits.release();
    if (this.#task === task) this.#task = undefined;
  }

  /** Answers task-failed, ends the running task and closes the socket (R3). */
  #fail(taskId: string, error: TaskError): void {
    if (this.#closing) return;
    const task = this.#task;
    if (task && task.spec.taskId !== taskId) {
      // The running task dies with the socket (e.g. run-task while busy).
      this.#ctx.counters.aborted++;
    }
    if (task) this.#endTask(task);
    this.#send({ kind: 'text', data: events.taskFailed(taskId, error.code, error.message) });
    this.#ctx.counters.failed++;
    this.#emitTask('task-failed', taskId, error.code);
    this.#close(1000, 'task failed');
  }

  // ----- synthesis and streaming -------------------------------------------------------------

  async #speak(task: Task, sentences: string[], final: boolean): Promise<void> {
    const speakable = sentences.flatMap((sentence) => splitLongSentence(sentence)).filter(isSpeakable);
    for (let s = 0; s < speakable.length; s++) {
      // Let other sockets, timers and this socket's own cancel in between sentences.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (task.ended) return;
      if (task.sentenceIndex === 0 && this.#ctx.firstAudioDelayMs > 0) {
        await sleep(this.#ctx.firstAudioDelayMs, task.abort.signal);
        if (task.ended) return;
      }
      const text = speakable[s]!.trim();
      const spec = task.spec;
      const result = await this.#ctx.engine.synthesize({
        text,
        voice: spec.voice,
        rate: spec.rate,
        pitch: spec.pitch,
      });
      if (task.ended) return;
      const rate = task.encoder.inputSampleRate;
      const pcm = resample(applyVolume(result.samples, spec.volume), result.sampleRate, rate);
      const bytes = task.encoder.encode(pcm, final && s === speakable.length - 1);
      const durationMs = (pcm.length * 1000) / rate;
      const beginMs = task.audioMs;
      task.billedCharacters += countCharacters(text);
      const words = spec.wordTimestamps ? wordTimings(text, result.words, durationMs, beginMs) : [];
      const index = task.sentenceIndex++;
      const duplex = spec.mode === 'duplex';
      if (duplex) this.#sendAudioEvent(task, events.sentenceBegin(spec.taskId, index, text));
      const chunk = Math.max(1, this.#ctx.audioChunkBytes);
      for (let offset = 0; offset < bytes.length; offset += chunk) {
        const piece = bytes.subarray(offset, Math.min(bytes.length, offset + chunk));
        await this.#pace(task, (piece.length / bytes.length) * durationMs);
        if (task.ended) return;
        if (duplex) this.#sendAudioEvent(task, events.sentenceSynthesis(spec.taskId, index));
        this.#send({ kind: 'binary', data: piece, taskId: spec.taskId });
        task.framesSent++;
        if (task.framesSent === 1 && task.fault && MID_STREAM_FAULTS.has(task.fault)) {
          this.#midStreamFault(task, task.fault);
          return;
        }
      }
      task.audioMs += durationMs;
      const characters = task.billedCharacters;
      this.#sendAudioEvent(
        task,
        duplex
          ? events.sentenceEnd(spec.taskId, index, text, words, characters)
          : events.sambertResult(
              spec.taskId,
              Math.round(beginMs),
              Math.round(task.audioMs),
              words,
              characters,
            ),
      );
    }
  }

  /** Waits so that audio is not sent faster than `realTimeFactor` × its duration. */
  async #pace(task: Task, durationMs: number): Promise<void> {
    const factor = this.#ctx.realTimeFactor;
    if (factor <= 0) return;
    task.pacingStart ??= Date.now();
    const due = task.pacingStart + factor * task.pacedMs;
    task.pacedMs += durationMs;
    await sleep(due - Date.now(), task.abort.signal);
  }

  #midStreamFault(task: Task, fault: TaskFault): void {
    if (fault === 'fail-mid-stream') {
      this.#fail(task.spec.taskId, TASK_ERRORS.internal);
      return;
    }
    this.#ctx.counters.aborted++;
    this.#endTask(task);
    this.#closing = true;
    this.#queue = [];
    this.#clearTimers();
    this.#send(
      fault === 'drop-mid-stream'
        ? { kind: 'terminate' }
        : { kind: 'close', code: 1011, reason: 'Internal error' },
    );
  }

  // ----- outbound ----------------------------------------------------------------------------

  #sendAudioEvent(task: Task, data: string): void {
    this.#send({ kind: 'text', data, taskId: task.spec.taskId, audio: true });
  }

  #send(item: Outbound): void {
    this.#out.push(item);
  }

  #write(item: Outbound): void {
    const ws = this.#ws;
    if (item.kind === 'terminate') {
      ws.terminate();
      return;
    }
    if (ws.readyState !== WebSocket.OPEN) return;
    switch (item.kind) {
      case 'text':
        ws.send(item.data);
        item.onWritten?.();
        return;
      case 'binary':
        ws.send(item.data);
        this.#ctx.counters.addBytes(item.taskId, item.data.length);
        return;
      case 'close':
        ws.close(item.code, item.reason);
        return;
    }
  }

  /** Closes the socket after everything already queued has been sent. */
  #close(code: number, reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#queue = [];
    this.#clearTimers();
    this.#send({ kind: 'close', code, reason });
  }

  // ----- timers ------------------------------------------------------------------------------

  #armIdle(since = Date.now()): void {
    this.#clearIdle();
    if (this.#closing || this.#disposed) return;
    this.#idleSince = since;
    const wait = Math.max(0, since + this.#ctx.idleTimeoutMs() - Date.now());
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#task || this.#pumping || this.#queue.length > 0) return;
      this.#ctx.log(`connection ${this.id}: idle, closing`);
      this.#close(1000, 'idle timeout');
    }, wait);
  }

  #clearIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #armInactivity(): void {
    this.#clearInactivity();
    const task = this.#task;
    if (!task || task.hung || task.ended || this.#closing) return;
    const ms = this.#ctx.taskInactivityTimeoutMs;
    this.#inactivityTimer = setTimeout(() => {
      this.#inactivityTimer = undefined;
      if (this.#task === task && !task.ended && !this.#pumping) this.#fail(task.spec.taskId, inactivity(ms));
    }, ms);
  }

  #clearInactivity(): void {
    if (this.#inactivityTimer) clearTimeout(this.#inactivityTimer);
    this.#inactivityTimer = undefined;
  }

  #clearTimers(): void {
    this.#clearIdle();
    this.#clearInactivity();
  }

  #emitTask(name: string, taskId: string, errorCode?: string): void {
    this.#ctx.events.emit(name, { connectionId: this.id, taskId, ...(errorCode ? { errorCode } : {}) });
  }

  #dispose(code: number): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#closing = true;
    this.#queue = [];
    this.#clearTimers();
    this.#out.clear();
    this.#in.clear();
    const task = this.#task;
    if (task && !task.ended) {
      // The client went away mid-task (R11): stop, send nothing.
      this.#ctx.counters.aborted++;
      this.#endTask(task);
    }
    this.#ctx.counters.openConnections--;
    this.#ctx.events.emit('disconnect', { connectionId: this.id, code });
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
