/**
 * Parsing and validation of the client's text frames (docs/protocol.md, "Run-task" to "Sambert").
 * Lenient where the SDKs differ (extra payload keys, Java's repeated parameters, key order),
 * strict where the service is (required `input`, `model`, `voice`).
 */
import { countCharacters } from '../params.js';
import type { ContainerFormat } from './encoders/index.js';
import { TASK_ERRORS, unsupported, type TaskError } from './task-errors.js';
import { resolveVoice, type VoiceProfile } from './voices.js';

type JsonObject = Record<string, unknown>;

/** A client frame after JSON parsing and header checks. */
export type ClientMessage =
  /** Not JSON, or JSON without a usable header and task id: the socket is closed with 1007. */
  | { kind: 'malformed'; message: unknown }
  /** Structurally wrong but with a task id: task-failed "task can not be null". */
  | { kind: 'invalid'; taskId: string; action: string | undefined; message: JsonObject }
  | { kind: 'unknown-action'; taskId: string; action: string; message: JsonObject }
  | { kind: 'run-task'; taskId: string; streaming: string; payload: JsonObject; message: JsonObject }
  | { kind: 'continue-task' | 'finish-task'; taskId: string; input: JsonObject; message: JsonObject };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses one text frame. Never throws. */
export function parseClientMessage(raw: string): ClientMessage {
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch {
    return { kind: 'malformed', message: undefined };
  }
  if (!isObject(message) || !isObject(message.header)) return { kind: 'malformed', message };
  const header = message.header;
  const taskId = header.task_id;
  if (typeof taskId !== 'string' || taskId === '') return { kind: 'malformed', message };
  const action = typeof header.action === 'string' ? header.action : undefined;
  const payload = message.payload;
  if (action === undefined || !isObject(payload)) return { kind: 'invalid', taskId, action, message };
  const streaming = typeof header.streaming === 'string' ? header.streaming : 'duplex';
  switch (action) {
    case 'run-task':
      return { kind: 'run-task', taskId, streaming, payload, message };
    case 'continue-task':
    case 'finish-task':
      // Java's flush merges extra keys into input; a missing input is read as an empty one.
      return { kind: action, taskId, input: isObject(payload.input) ? payload.input : {}, message };
    default:
      return { kind: 'unknown-action', taskId, action, message };
  }
}

/** A validated run-task. */
export interface TaskSpec {
  taskId: string;
  /** `duplex` = CosyVoice (text in continue-task), `out` = Sambert (text in run-task). */
  mode: 'duplex' | 'out';
  model: string;
  voice: VoiceProfile;
  format: ContainerFormat;
  sampleRate: number;
  /** kbps, for mp3 and opus. */
  bitRate: number | undefined;
  volume: number;
  rate: number;
  pitch: number;
  ssml: boolean;
  wordTimestamps: boolean;
  /** Sambert: each word of a result also carries its phonemes (only with word timestamps). */
  phonemeTimestamps: boolean;
  /** Sambert's text (or text a client put into a CosyVoice run-task). */
  initialText: string | undefined;
}

const FORMATS: ReadonlySet<string> = new Set(['pcm', 'wav', 'mp3', 'opus']);
const SAMPLE_RATES: ReadonlySet<number> = new Set([8000, 12000, 16000, 22050, 24000, 44100, 48000]);

function numberIn(value: unknown, fallback: number, min: number, max: number): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, n));
}

function truthy(value: unknown): boolean {
  return value === true || value === 'true';
}

/** Validates a run-task into a task, or returns the task-failed error the service would send. */
export function validateRunTask(message: Extract<ClientMessage, { kind: 'run-task' }>): TaskSpec | TaskError {
  const { payload, taskId } = message;
  const mode = message.streaming === 'out' ? 'out' : 'duplex';
  if (!isObject(payload.input)) return TASK_ERRORS.missingInput;
  const input = payload.input;
  const model = payload.model;
  if (typeof model !== 'string' || model.trim() === '') return TASK_ERRORS.missingModel;
  const parameters = isObject(payload.parameters) ? payload.parameters : {};

  let initialText: string | undefined;
  if (input.text !== undefined) {
    if (typeof input.text !== 'string') return TASK_ERRORS.emptyText;
    initialText = input.text;
  }
  // The service rejects stray input fields such as `mode` or `content`.
  if (Object.keys(input).some((key) => key !== 'text')) return TASK_ERRORS.malformedTask;
  if (mode === 'out' && (initialText === undefined || initialText === '')) return TASK_ERRORS.emptyText;

  // Sambert has no voice parameter: the model is the voice.
  const voiceName = parameters.voice ?? (mode === 'out' ? model : undefined);
  if (typeof voiceName !== 'string' || voiceName.trim() === '') return TASK_ERRORS.noVoice;
  const voice = resolveVoice(voiceName);
  if (!voice) return TASK_ERRORS.unknownVoice;

  const rawFormat = parameters.format;
  let format: string;
  if (
    rawFormat === undefined ||
    rawFormat === null ||
    rawFormat === '' ||
    (typeof rawFormat === 'string' && rawFormat.toLowerCase() === 'default')
  ) {
    format = mode === 'out' ? 'wav' : 'mp3';
  } else if (typeof rawFormat === 'string' && FORMATS.has(rawFormat.toLowerCase())) {
    format = rawFormat.toLowerCase();
  } else {
    return unsupported('format', rawFormat);
  }

  const rawRate = parameters.sample_rate;
  let sampleRate: number;
  if (rawRate === undefined || rawRate === null || rawRate === 0 || rawRate === '0') {
    sampleRate = mode === 'out' ? 16000 : 22050;
  } else {
    sampleRate = typeof rawRate === 'string' ? Number(rawRate) : (rawRate as number);
    if (!SAMPLE_RATES.has(sampleRate)) return unsupported('sample_rate', rawRate);
  }

  const bitRate = parameters.bit_rate === undefined ? undefined : numberIn(parameters.bit_rate, 32, 6, 510);
  return {
    taskId,
    mode,
    model,
    voice,
    format: format as ContainerFormat,
    sampleRate,
    bitRate: bitRate === undefined ? undefined : Math.round(bitRate),
    volume: numberIn(parameters.volume, 50, 0, 100),
    rate: numberIn(parameters.rate, 1, 0.5, 2),
    pitch: numberIn(parameters.pitch, 1, 0.5, 2),
    ssml: truthy(parameters.enable_ssml) || parameters.text_type === 'SSML',
    wordTimestamps: truthy(parameters.word_timestamp_enabled),
    phonemeTimestamps: truthy(parameters.phoneme_timestamp_enabled),
    initialText,
  };
}

/** Whether a continue-task is a flush request (`input.flush: true`). */
export function isFlush(input: JsonObject): boolean {
  return input.flush === true;
}

/** Whether a finish-task is a cancel (`input.directive: "cancel"`). */
export function isCancel(input: JsonObject): boolean {
  return input.directive === 'cancel';
}

/** Removes SSML markup and decodes the five XML entities; what remains is spoken and counted. */
export function ssmlToText(text: string): string {
  if (!/^\s*</.test(text)) return text;
  return text
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Billable characters (CJK = 2), re-exported for the session. */
export const billableCharacters = countCharacters;
