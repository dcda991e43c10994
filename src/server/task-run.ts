/**
 * The run of one task on a socket: its start (validation, fault decision, encoder), the text it
 * receives (limits, SSML, segmentation), synthesis and paced streaming of each sentence, finish
 * and cancel. The socket side (order of messages, timers, writing, closing) is the session's; see
 * docs/protocol.md, "Task lifecycle".
 */
import { countCharacters, LIMITS } from '../params.js';
import { sleep } from '../util/async.js';
import {
  isFlush,
  ssmlToText,
  validateRunTask,
  type ClientMessage,
  type TaskSpec,
} from './client-messages.js';
import { createEncoder, type AudioEncoder } from './encoders/index.js';
import * as events from './events.js';
import { applyVolume, resample } from './resample.js';
import { isSpeakable, SentenceSegmenter, splitLongSentence } from './segmenter.js';
import type { Outbound, SessionContext } from './session-context.js';
import { encoderUnavailable, TASK_ERRORS, textTooLong, type TaskError } from './task-errors.js';
import { TaskFaultPlan } from './task-fault.js';
import type { TaskFault } from './types.js';
import { sambertWords } from './sambert-timings.js';
import { wordTimings } from './word-timestamps.js';

/** What a task run needs from the socket it runs on. */
export interface TaskSocket {
  /** True once the socket is closing: nothing more may start. */
  isClosing(): boolean;
  /** Queues an item on the outbound line. */
  send(item: Outbound): void;
  /** Drops this task's audio (binary frames and audio result events) still on the outbound line. */
  dropAudio(taskId: string): void;
  /** Answers task-failed, ends the running task and closes the socket. */
  fail(taskId: string, error: TaskError): void;
  /** Ends the socket at once, mid-task: `terminate` drops it, `close` sends 1011. */
  breakOff(how: 'terminate' | 'close'): void;
  /** Told once when the task is over, whatever the outcome. */
  ended(run: TaskRun): void;
  /** Emits a task event on the server's emitter. */
  emitTask(name: string, taskId: string, errorCode?: string): void;
}

/**
 * Validates a run-task, decides its fault and opens its encoder. Resolves with the run, not yet
 * started, or undefined when the task failed before it started (the socket has been told).
 */
export async function openTaskRun(
  message: Extract<ClientMessage, { kind: 'run-task' }>,
  ctx: SessionContext,
  socket: TaskSocket,
): Promise<TaskRun | undefined> {
  const spec = validateRunTask(message);
  if ('code' in spec) {
    socket.fail(message.taskId, spec);
    return undefined;
  }
  const fault = new TaskFaultPlan(ctx.faults);
  const outcome = fault.next(spec.initialText);
  if (outcome !== 'go' && outcome !== 'hang') {
    socket.fail(spec.taskId, outcome);
    return undefined;
  }
  let encoder: AudioEncoder;
  try {
    encoder = await createEncoder(spec.format, spec.sampleRate, spec.bitRate);
  } catch (error) {
    socket.fail(spec.taskId, encoderUnavailable(spec.format, (error as Error).message));
    return undefined;
  }
  if (socket.isClosing()) {
    encoder.close();
    return undefined;
  }
  // Account-wide limits (account-limits.ts): over them, the service's throttling error.
  const throttled = ctx.counters.accountLimits.admit();
  if (throttled) {
    encoder.close();
    socket.fail(spec.taskId, throttled);
    return undefined;
  }
  return new TaskRun(spec, encoder, fault, outcome === 'hang', ctx, socket);
}

/** One task from task-started to its end. Create it with {@link openTaskRun}. */
export class TaskRun {
  readonly spec: TaskSpec;
  readonly #encoder: AudioEncoder;
  readonly #fault: TaskFaultPlan;
  readonly #ctx: SessionContext;
  readonly #socket: TaskSocket;
  readonly #segmenter = new SentenceSegmenter();
  readonly #abort = new AbortController();
  #hung: boolean;
  #ended = false;
  #startedWritten = false;
  #sawText = false;
  #textMessages = 0;
  #receivedCharacters = 0;
  #billedCharacters = 0;
  #sentenceIndex = 0;
  #framesSent = 0;
  #audioMs = 0;
  #pacingStart: number | undefined;
  #pacedMs = 0;

  constructor(
    spec: TaskSpec,
    encoder: AudioEncoder,
    fault: TaskFaultPlan,
    hung: boolean,
    ctx: SessionContext,
    socket: TaskSocket,
  ) {
    this.spec = spec;
    this.#encoder = encoder;
    this.#fault = fault;
    this.#hung = hung;
    this.#ctx = ctx;
    this.#socket = socket;
  }

  /** True when the task's fault is `hang`: it answers nothing more, only the socket's end stops it. */
  get hung(): boolean {
    return this.#hung;
  }

  /** True once the task is over (finished, cancelled, failed or aborted). */
  get ended(): boolean {
    return this.#ended;
  }

  /** True once task-started has been written to the socket (not merely queued). */
  get startedWritten(): boolean {
    return this.#startedWritten;
  }

  /** Counts the task, sends task-started and speaks the run-task's own text (Sambert). */
  async start(): Promise<void> {
    const { spec } = this;
    const counters = this.#ctx.counters;
    counters.started++;
    counters.active++;
    counters.resetBytes(spec.taskId);
    this.#socket.send({
      kind: 'text',
      data: events.taskStarted(spec.taskId),
      onWritten: () => (this.#startedWritten = true),
    });
    this.#socket.emitTask('task-started', spec.taskId);
    if (this.#hung || spec.initialText === undefined) return;
    if (spec.mode === 'out') {
      await this.continue({ text: spec.initialText });
      if (!this.#ended) await this.finish();
    } else if (spec.initialText !== '') {
      await this.continue({ text: spec.initialText });
    }
  }

  /** A continue-task's input: checks the text against the limits, then speaks whole sentences. */
  async continue(input: Record<string, unknown>): Promise<void> {
    const { taskId, ssml } = this.spec;
    const sentences: string[] = [];
    const text = input.text;
    if (text !== undefined) {
      if (typeof text !== 'string' || text === '') return this.#socket.fail(taskId, TASK_ERRORS.emptyText);
      if (ssml && this.#textMessages >= 1) return this.#socket.fail(taskId, TASK_ERRORS.ssmlSingleMessage);
      this.#textMessages++;
      const spoken = ssml ? ssmlToText(text) : text;
      const characters = countCharacters(spoken);
      if (characters > LIMITS.maxCharactersPerMessage) {
        return this.#socket.fail(taskId, textTooLong('message', LIMITS.maxCharactersPerMessage, characters));
      }
      this.#receivedCharacters += characters;
      if (this.#receivedCharacters > LIMITS.maxCharactersPerTask) {
        return this.#socket.fail(
          taskId,
          textTooLong('task', LIMITS.maxCharactersPerTask, this.#receivedCharacters),
        );
      }
      const outcome = this.#fault.next(text);
      if (outcome === 'hang') {
        this.#hung = true;
        return;
      }
      if (outcome !== 'go') return this.#socket.fail(taskId, outcome);
      if (isSpeakable(spoken)) this.#sawText = true;
      sentences.push(...this.#segmenter.push(spoken));
    }
    if (isFlush(input)) sentences.push(...this.#segmenter.flush());
    await this.#speak(sentences, false);
  }

  /** A normal finish-task: speaks the buffered tail, then task-finished. */
  async finish(): Promise<void> {
    const { taskId, mode } = this.spec;
    if (!this.#sawText) return this.#socket.fail(taskId, TASK_ERRORS.noText);
    await this.#speak(this.#segmenter.flush(), true);
    if (this.#ended) return;
    const characters = mode === 'out' ? undefined : this.#billedCharacters;
    this.#socket.send({ kind: 'text', data: events.taskFinished(taskId, characters) });
    this.#ctx.counters.finished++;
    this.#socket.emitTask('task-finished', taskId);
    this.end();
  }

  /** The cancel directive: no audio of this task may follow, task-finished at once. */
  cancel(): void {
    const { taskId } = this.spec;
    this.#socket.dropAudio(taskId);
    this.#socket.send({ kind: 'text', data: events.taskFinished(taskId, this.#billedCharacters) });
    this.#ctx.counters.cancelled++;
    this.#socket.emitTask('task-cancelled', taskId);
    this.end();
  }

  /** Ends the task (whatever the outcome): stops its synthesis and releases its encoder. Idempotent. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#abort.abort();
    this.#encoder.close();
    this.#ctx.counters.active--;
    this.#ctx.counters.accountLimits.release();
    this.#socket.ended(this);
  }

  async #speak(sentences: string[], final: boolean): Promise<void> {
    const speakable = sentences.flatMap((sentence) => splitLongSentence(sentence)).filter(isSpeakable);
    const { spec } = this;
    const ctx = this.#ctx;
    const signal = this.#abort.signal;
    for (let s = 0; s < speakable.length; s++) {
      // Let other sockets, timers and this socket's own cancel in between sentences.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#ended) return;
      if (this.#sentenceIndex === 0 && ctx.firstAudioDelayMs > 0) {
        await sleep(ctx.firstAudioDelayMs, signal);
        if (this.#ended) return;
      }
      const text = speakable[s]!.trim();
      const result = await ctx.engine.synthesize({
        text,
        voice: spec.voice,
        rate: spec.rate,
        pitch: spec.pitch,
      });
      if (this.#ended) return;
      const rate = this.#encoder.inputSampleRate;
      const pcm = resample(applyVolume(result.samples, spec.volume), result.sampleRate, rate);
      const bytes = this.#encoder.encode(pcm, final && s === speakable.length - 1);
      const durationMs = (pcm.length * 1000) / rate;
      const beginMs = this.#audioMs;
      this.#billedCharacters += countCharacters(text);
      const words = spec.wordTimestamps ? wordTimings(text, result.words, durationMs, beginMs) : [];
      const index = this.#sentenceIndex++;
      const duplex = spec.mode === 'duplex';
      // Sambert sends a sentence again as it grows: first without words, then whole.
      this.#sendAudioEvent(
        duplex
          ? events.sentenceBegin(spec.taskId, index, text)
          : events.sambertResult(spec.taskId, Math.round(beginMs), Math.round(beginMs), [], undefined),
      );
      const chunk = Math.max(1, ctx.audioChunkBytes);
      for (let offset = 0; offset < bytes.length; offset += chunk) {
        const piece = bytes.subarray(offset, Math.min(bytes.length, offset + chunk));
        await this.#pace((piece.length / bytes.length) * durationMs);
        if (this.#ended) return;
        if (duplex) this.#sendAudioEvent(events.sentenceSynthesis(spec.taskId, index));
        this.#socket.send({ kind: 'binary', data: piece, taskId: spec.taskId });
        this.#framesSent++;
        const fault = this.#framesSent === 1 ? this.#fault.midStream : undefined;
        if (fault !== undefined) return this.#midStreamFault(fault);
      }
      this.#audioMs += durationMs;
      const characters = this.#billedCharacters;
      this.#sendAudioEvent(
        duplex
          ? events.sentenceEnd(spec.taskId, index, text, words, characters)
          : events.sambertResult(
              spec.taskId,
              Math.round(beginMs),
              Math.round(this.#audioMs),
              sambertWords(words, spec.phonemeTimestamps),
              characters,
            ),
      );
    }
  }

  /** Waits so that audio is not sent faster than `realTimeFactor` × its duration (real time when slow). */
  async #pace(durationMs: number): Promise<void> {
    const factor = this.#fault.slow ? Math.max(1, this.#ctx.realTimeFactor) : this.#ctx.realTimeFactor;
    if (factor <= 0) return;
    this.#pacingStart ??= Date.now();
    const due = this.#pacingStart + factor * this.#pacedMs;
    this.#pacedMs += durationMs;
    await sleep(due - Date.now(), this.#abort.signal);
  }

  #midStreamFault(fault: TaskFault): void {
    if (fault === 'fail-mid-stream') {
      this.#socket.fail(this.spec.taskId, TASK_ERRORS.internal);
      return;
    }
    this.#ctx.counters.aborted++;
    this.end();
    this.#socket.breakOff(fault === 'drop-mid-stream' ? 'terminate' : 'close');
  }

  #sendAudioEvent(data: string): void {
    this.#socket.send({ kind: 'text', data, taskId: this.spec.taskId, audio: true });
  }
}
