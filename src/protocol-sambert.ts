/**
 * The Sambert side of the speech-synthesis WebSocket protocol (`streaming: "out"`): the one
 * client frame a task sends, and the sentences with word and phoneme timings its results carry.
 * Pure: no I/O. See docs/protocol.md, "Sambert".
 */
import type { Sentence } from './protocol.js';

/** The `payload.parameters` object of a Sambert run-task, as it goes on the wire (no `voice`). */
export interface SambertWireParameters {
  text_type: 'PlainText';
  format: 'pcm' | 'wav' | 'mp3';
  sample_rate: number;
  volume: number;
  rate: number;
  pitch: number;
  [key: string]: unknown;
}

/**
 * `run-task` of a Sambert task: the whole text travels in it, and no continue-task or
 * finish-task follows; the server ends the task by itself.
 */
export function buildSambertRunTask(
  taskId: string,
  model: string,
  text: string,
  parameters: SambertWireParameters,
): string {
  return JSON.stringify({
    header: { action: 'run-task', task_id: taskId, streaming: 'out' },
    payload: {
      model,
      task_group: 'audio',
      task: 'tts',
      function: 'SpeechSynthesizer',
      input: { text },
      parameters,
    },
  });
}

/** One phoneme of a Sambert word (only with `phonemeTimestampEnabled`). Times in ms. */
export interface SambertPhoneme {
  /** The phoneme, e.g. `h` or `uan`. */
  text: string;
  /** Start in the task's audio, ms. */
  beginTime: number;
  /** End in the task's audio, ms. */
  endTime: number;
  /** The tone, as the service writes it (e.g. `"1"`); undefined when it sends none. */
  tone: string | undefined;
}

/** One word of a Sambert sentence (only with `wordTimestampEnabled`). Times in ms. */
export interface SambertWord {
  /** The word (for Chinese, one character). */
  text: string;
  /** Start in the task's audio, ms. */
  beginTime: number;
  /** End in the task's audio, ms. */
  endTime: number;
  /** Its phonemes; empty unless `phonemeTimestampEnabled`. */
  phonemes: SambertPhoneme[];
}

/** One sentence of a Sambert task, as `getTimestamps()` returns it. Times in ms. */
export interface SambertSentence {
  /** Start in the task's audio, ms. */
  beginTime: number;
  /** End in the task's audio, ms. */
  endTime: number;
  /** Its words; empty unless `wordTimestampEnabled`. */
  words: SambertWord[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function time(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function readPhoneme(value: unknown): SambertPhoneme | undefined {
  if (!isRecord(value)) return undefined;
  const beginTime = time(value.begin_time);
  const endTime = time(value.end_time);
  if (beginTime === undefined || endTime === undefined) return undefined;
  const tone = value.tone;
  return {
    text: typeof value.text === 'string' ? value.text : '',
    beginTime,
    endTime,
    tone: typeof tone === 'string' ? tone : typeof tone === 'number' ? String(tone) : undefined,
  };
}

function readWord(value: unknown): SambertWord | undefined {
  if (!isRecord(value)) return undefined;
  const beginTime = time(value.begin_time);
  const endTime = time(value.end_time);
  if (beginTime === undefined || endTime === undefined) return undefined;
  const phonemes = Array.isArray(value.phonemes) ? value.phonemes.map(readPhoneme) : [];
  return {
    text: typeof value.text === 'string' ? value.text : '',
    beginTime,
    endTime,
    phonemes: phonemes.filter((p): p is SambertPhoneme => p !== undefined),
  };
}

/**
 * The timings of a Sambert result's sentence, in camelCase; undefined for a result without a
 * sentence that has `begin_time` and `end_time` (the Python SDK's condition for one).
 */
export function readSambertSentence(sentence: Sentence | undefined): SambertSentence | undefined {
  if (!sentence) return undefined;
  const beginTime = time(sentence.begin_time);
  const endTime = time(sentence.end_time);
  if (beginTime === undefined || endTime === undefined) return undefined;
  const words = sentence.words.map(readWord).filter((w): w is SambertWord => w !== undefined);
  return { beginTime, endTime, words };
}
