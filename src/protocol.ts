/**
 * The DashScope speech-synthesis WebSocket protocol (CosyVoice, `streaming: "duplex"`):
 * builders for the client's frames and a parser for the server's events. Pure: no I/O.
 *
 * See docs/protocol.md, "Framing" to "Server events".
 */
import { randomFillSync } from 'node:crypto';
import { ProtocolError } from './errors/index.js';

/** The `payload.parameters` object of a run-task, as it goes on the wire. */
export interface WireParameters {
  voice: string;
  text_type: 'PlainText' | 'SSML';
  format: string;
  sample_rate: number;
  volume: number;
  rate: number;
  pitch: number;
  [key: string]: unknown;
}

export type ClientAction = 'run-task' | 'continue-task' | 'finish-task';

// Random bytes for task ids, drawn in batches (as randomUUID does): one system call per 256 ids.
const ID_BYTES = 16;
const idPool = Buffer.allocUnsafe(ID_BYTES * 256);
let idOffset = idPool.length;

/** A new task id: 32 lower-case hex characters, a random UUID v4 like the Python SDK's `uuid4().hex`. */
export function newTaskId(): string {
  if (idOffset === idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  const at = idOffset;
  idOffset += ID_BYTES;
  // The version (4) and variant (10xx) bits of RFC 9562.
  idPool[at + 6] = (idPool[at + 6]! & 0x0f) | 0x40;
  idPool[at + 8] = (idPool[at + 8]! & 0x3f) | 0x80;
  return idPool.toString('hex', at, at + ID_BYTES);
}

// Frames are built from templates, not with JSON.stringify of nested objects: their shape never
// changes, and a task sends three of them. The output is byte for byte what
// `JSON.stringify({ header: { action, task_id, streaming: 'duplex' }, payload })` gives.
function frame(action: ClientAction, taskId: string, payloadJson: string): string {
  return `{"header":{"action":"${action}","task_id":${JSON.stringify(taskId)},"streaming":"duplex"},"payload":${payloadJson}}`;
}

/**
 * The JSON of a run-task's `payload` for `model` and `parameters`: the part of run-task that
 * stays the same from task to task, for {@link buildRunTask} to reuse.
 */
export function runTaskPayload(model: string, parameters: WireParameters): string {
  return JSON.stringify({
    model,
    task_group: 'audio',
    task: 'tts',
    function: 'SpeechSynthesizer',
    input: {},
    parameters,
  });
}

/**
 * `run-task`: starts a task. The text is not sent here for CosyVoice.
 * @param payload {@link runTaskPayload} of `model` and `parameters`, when the caller keeps it.
 */
export function buildRunTask(
  taskId: string,
  model: string,
  parameters: WireParameters,
  payload: string = runTaskPayload(model, parameters),
): string {
  return frame('run-task', taskId, payload);
}

/** `continue-task` carrying a piece of text. */
export function buildContinueTask(taskId: string, text: string): string {
  return frame('continue-task', taskId, `{"input":{"text":${JSON.stringify(text)}}}`);
}

/** `continue-task` with `input.flush = true`: synthesize the buffered tail now (an SDK feature). */
export function buildFlush(taskId: string): string {
  return frame('continue-task', taskId, '{"input":{"flush":true}}');
}

/** `finish-task`: no more text; the server synthesizes what it holds, then sends task-finished. */
export function buildFinishTask(taskId: string): string {
  return frame('finish-task', taskId, '{"input":{}}');
}

/** `finish-task` with `directive: cancel`: stop now, no more audio, the socket stays usable. */
export function buildCancelTask(taskId: string): string {
  return frame('finish-task', taskId, '{"input":{"directive":"cancel"}}');
}

// ----- server events ----------------------------------------------------------------------------

/** Word timing inside a sentence (only with `word_timestamp_enabled`). */
export interface WordTimestamp {
  /** The word. */
  text: string;
  /** Index of the word's first character in the sentence. */
  begin_index?: number;
  /** Index just past the word's last character. */
  end_index?: number;
  /** Start of the word in the task's audio, ms. */
  begin_time: number;
  /** End of the word in the task's audio, ms. */
  end_time: number;
  [key: string]: unknown;
}

/** A sentence of a result-generated event, as the server sends it (snake_case wire names). */
export interface Sentence {
  /** The sentence's number within the task, from 0. */
  index?: number;
  /** Start of the sentence in the task's audio, ms. */
  begin_time?: number;
  /** End of the sentence in the task's audio, ms. */
  end_time?: number;
  /** Word timings; empty unless `word_timestamp_enabled` and the voice supports them. */
  words: WordTimestamp[];
  [key: string]: unknown;
}

/** The kind of a result-generated event: a sentence starts, its audio follows, it ends. */
export type ResultType = 'sentence-begin' | 'sentence-synthesis' | 'sentence-end';

/** Billing information of a task so far. */
export interface Usage {
  /** Billable characters (CJK ideographs count twice). */
  characters: number;
}

interface EventBase {
  /** The task the event belongs to. */
  taskId: string;
  /** The frame as received, for `onEvent` and `getResponse()`. */
  raw: string;
}

/** The server accepted the run-task; audio may follow. */
export interface TaskStartedEvent extends EventBase {
  /** The event's name. */
  event: 'task-started';
}

/** Progress of a task: sentence boundaries, timings and usage. */
export interface ResultGeneratedEvent extends EventBase {
  /** The event's name. */
  event: 'result-generated';
  /** Undefined for the older, untyped form of result-generated. */
  type: ResultType | undefined;
  /** The sentence the event is about, with its timings. */
  sentence: Sentence | undefined;
  /** The text of the sentence as sent, when the server includes it. */
  originalText: string | undefined;
  /** Billable characters so far. */
  usage: Usage | undefined;
}

/** The task ended with all its audio sent. */
export interface TaskFinishedEvent extends EventBase {
  /** The event's name. */
  event: 'task-finished';
  /** Billable characters of the whole task. */
  usage: Usage | undefined;
}

/** The server failed the task; the connection closes after it. */
export interface TaskFailedEvent extends EventBase {
  /** The event's name. */
  event: 'task-failed';
  /** The server's `error_code`, e.g. `InvalidParameter` or `Throttling.RateQuota`. */
  errorCode: string;
  /** The server's `error_message`. */
  errorMessage: string;
}

/** Any event the server sends on a task, told apart by `event`. */
export type ServerEvent = TaskStartedEvent | ResultGeneratedEvent | TaskFinishedEvent | TaskFailedEvent;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readUsage(payload: Record<string, unknown>): Usage | undefined {
  const usage = payload.usage;
  if (!isRecord(usage) || typeof usage.characters !== 'number') return undefined;
  return { characters: usage.characters };
}

function readSentence(value: unknown): Sentence | undefined {
  if (!isRecord(value)) return undefined;
  // The parsed object itself when it has its words (no copy per event), else with an empty list.
  return Array.isArray(value.words) ? (value as Sentence) : { ...value, words: [] };
}

/** The type of a result-generated event, if it is one of the known three (no hashing of the string). */
function resultType(value: unknown): ResultType | undefined {
  return value === 'sentence-begin' || value === 'sentence-synthesis' || value === 'sentence-end'
    ? value
    : undefined;
}

/**
 * Parses one text frame from the server.
 * @throws {ProtocolError} for invalid JSON, a missing header or task id, or an unknown event.
 */
export function parseServerEvent(raw: string): ServerEvent {
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch (error) {
    throw new ProtocolError(`Server sent a text frame that is not JSON: ${preview(raw)}`, { cause: error });
  }
  if (!isRecord(message) || !isRecord(message.header)) {
    throw new ProtocolError(`Server message has no header object: ${preview(raw)}`);
  }
  const header = message.header;
  const payload = isRecord(message.payload) ? message.payload : {};
  const taskId = header.task_id;
  if (typeof taskId !== 'string' || taskId === '') {
    throw new ProtocolError(`Server message has no task_id: ${preview(raw)}`);
  }
  switch (header.event) {
    case 'task-started':
      return { event: 'task-started', taskId, raw };
    case 'result-generated': {
      const output = isRecord(payload.output) ? payload.output : {};
      return {
        event: 'result-generated',
        taskId,
        raw,
        type: resultType(output.type),
        sentence: readSentence(output.sentence),
        originalText: typeof output.original_text === 'string' ? output.original_text : undefined,
        usage: readUsage(payload),
      };
    }
    case 'task-finished':
      return { event: 'task-finished', taskId, raw, usage: readUsage(payload) };
    case 'task-failed':
      return {
        event: 'task-failed',
        taskId,
        raw,
        errorCode: typeof header.error_code === 'string' ? header.error_code : 'UnknownError',
        errorMessage: typeof header.error_message === 'string' ? header.error_message : '',
      };
    default:
      throw new ProtocolError(
        `Server sent an unknown event ${JSON.stringify(header.event)}: ${preview(raw)}`,
      );
  }
}

function preview(raw: string): string {
  return raw.length > 200 ? `${raw.slice(0, 200)}…` : raw;
}
