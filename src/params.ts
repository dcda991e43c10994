/**
 * Synthesis parameters: the user's camelCase options, their validation against the documented
 * ranges (docs/protocol.md, "Run-task" and "Limits"), and their translation into the run-task
 * `parameters` object. Pure: no I/O.
 */
import { InvalidParameterError } from './errors/index.js';
import { describeValue, typeLabel } from './util/describe-value.js';
import type { WireParameters } from './protocol.js';

/** The audio containers the service produces. */
export type AudioContainer = 'pcm' | 'wav' | 'mp3' | 'opus';

/** An output format: container, sample rate and, for opus/mp3, a bit rate in kbps. */
export interface AudioFormatSpec {
  /** The container; `'Default'` lets the server choose (mp3). */
  format: AudioContainer | 'Default';
  /** Hz; 0 lets the server choose (22050). */
  sampleRate: number;
  /** kbps; sent only for opus, like the official SDKs. */
  bitRate?: number;
}

function spec(format: AudioFormatSpec['format'], sampleRate: number, bitRate?: number): AudioFormatSpec {
  return Object.freeze(bitRate === undefined ? { format, sampleRate } : { format, sampleRate, bitRate });
}

/** The official SDKs' named formats (Python `AudioFormat`, Java `SpeechSynthesisAudioFormat`). */
export const AudioFormat = Object.freeze({
  /** The server's default: mp3 at 22050 Hz (sent as the literal `"Default"`, like the SDKs). */
  DEFAULT: spec('Default', 0),
  /** WAV (16-bit PCM), 8000 Hz, mono. */
  WAV_8000HZ_MONO_16BIT: spec('wav', 8000),
  /** WAV (16-bit PCM), 16000 Hz, mono. */
  WAV_16000HZ_MONO_16BIT: spec('wav', 16000),
  /** WAV (16-bit PCM), 22050 Hz, mono. */
  WAV_22050HZ_MONO_16BIT: spec('wav', 22050),
  /** WAV (16-bit PCM), 24000 Hz, mono. */
  WAV_24000HZ_MONO_16BIT: spec('wav', 24000),
  /** WAV (16-bit PCM), 44100 Hz, mono. */
  WAV_44100HZ_MONO_16BIT: spec('wav', 44100),
  /** WAV (16-bit PCM), 48000 Hz, mono. */
  WAV_48000HZ_MONO_16BIT: spec('wav', 48000),
  /** MP3, 8000 Hz, mono. */
  MP3_8000HZ_MONO_128KBPS: spec('mp3', 8000),
  /** MP3, 16000 Hz, mono. */
  MP3_16000HZ_MONO_128KBPS: spec('mp3', 16000),
  /** MP3, 22050 Hz, mono. */
  MP3_22050HZ_MONO_256KBPS: spec('mp3', 22050),
  /** MP3, 24000 Hz, mono. */
  MP3_24000HZ_MONO_256KBPS: spec('mp3', 24000),
  /** MP3, 44100 Hz, mono. */
  MP3_44100HZ_MONO_256KBPS: spec('mp3', 44100),
  /** MP3, 48000 Hz, mono. */
  MP3_48000HZ_MONO_256KBPS: spec('mp3', 48000),
  /** Raw 16-bit little-endian PCM, 8000 Hz, mono. */
  PCM_8000HZ_MONO_16BIT: spec('pcm', 8000),
  /** Raw 16-bit little-endian PCM, 16000 Hz, mono. */
  PCM_16000HZ_MONO_16BIT: spec('pcm', 16000),
  /** Raw 16-bit little-endian PCM, 22050 Hz, mono. */
  PCM_22050HZ_MONO_16BIT: spec('pcm', 22050),
  /** Raw 16-bit little-endian PCM, 24000 Hz, mono. */
  PCM_24000HZ_MONO_16BIT: spec('pcm', 24000),
  /** Raw 16-bit little-endian PCM, 44100 Hz, mono. */
  PCM_44100HZ_MONO_16BIT: spec('pcm', 44100),
  /** Raw 16-bit little-endian PCM, 48000 Hz, mono. */
  PCM_48000HZ_MONO_16BIT: spec('pcm', 48000),
  /** Ogg Opus, 8000 Hz, mono at 16 kbps. */
  OGG_OPUS_8KHZ_MONO_16KBPS: spec('opus', 8000, 16),
  /** Ogg Opus, 8000 Hz, mono at 32 kbps. */
  OGG_OPUS_8KHZ_MONO_32KBPS: spec('opus', 8000, 32),
  /** Ogg Opus, 16000 Hz, mono at 16 kbps. */
  OGG_OPUS_16KHZ_MONO_16KBPS: spec('opus', 16000, 16),
  /** Ogg Opus, 16000 Hz, mono at 32 kbps. */
  OGG_OPUS_16KHZ_MONO_32KBPS: spec('opus', 16000, 32),
  /** Ogg Opus, 16000 Hz, mono at 64 kbps. */
  OGG_OPUS_16KHZ_MONO_64KBPS: spec('opus', 16000, 64),
  /** Ogg Opus, 24000 Hz, mono at 16 kbps. */
  OGG_OPUS_24KHZ_MONO_16KBPS: spec('opus', 24000, 16),
  /** Ogg Opus, 24000 Hz, mono at 32 kbps. */
  OGG_OPUS_24KHZ_MONO_32KBPS: spec('opus', 24000, 32),
  /** Ogg Opus, 24000 Hz, mono at 64 kbps. */
  OGG_OPUS_24KHZ_MONO_64KBPS: spec('opus', 24000, 64),
  /** Ogg Opus, 48000 Hz, mono at 16 kbps. */
  OGG_OPUS_48KHZ_MONO_16KBPS: spec('opus', 48000, 16),
  /** Ogg Opus, 48000 Hz, mono at 32 kbps. */
  OGG_OPUS_48KHZ_MONO_32KBPS: spec('opus', 48000, 32),
  /** Ogg Opus, 48000 Hz, mono at 64 kbps. */
  OGG_OPUS_48KHZ_MONO_64KBPS: spec('opus', 48000, 64),
});

/** Custom pronunciations and replacements (CosyVoice v3). */
export interface HotFix {
  /** Pronunciations to force, e.g. `[{ '银行': 'yin2 hang2' }]` (text → pinyin). */
  pronunciation?: Array<Record<string, string>>;
  /** Text to replace before synthesis, e.g. `[{ 'AI': '人工智能' }]`. */
  replace?: Array<Record<string, string>>;
}

/** What a task synthesizes with: model, voice, format and the documented tuning parameters. */
export interface SynthesisParams {
  /** e.g. `cosyvoice-v3-flash`. */
  model: string;
  /** e.g. `longanyang`. */
  voice: string;
  /** Default: `AudioFormat.DEFAULT` (mp3, 22050 Hz). */
  format?: AudioFormatSpec | undefined;
  /** 0 to 100, default 50. */
  volume?: number | undefined;
  /** 0.5 to 2, default 1. */
  speechRate?: number | undefined;
  /** 0.5 to 2, default 1. */
  pitchRate?: number | undefined;
  /** 0 to 65535, default 0. */
  seed?: number | undefined;
  /** Dialect, emotion or role control for Instruct voices; at most 100 characters. */
  instruction?: string | undefined;
  /** e.g. `['zh']`; only the first element is used by the service. */
  languageHints?: string[] | undefined;
  /** Custom pronunciations and replacements (CosyVoice v3), sent as `hot_fix`. */
  hotFix?: HotFix | undefined;
  /** Treat the text as SSML: then exactly one text message is allowed per task. */
  enableSsml?: boolean | undefined;
  /** Ask for word timestamps in sentence-end events (supported voices only). */
  wordTimestampEnabled?: boolean | undefined;
  /** Extra `parameters` keys, merged last (like the Python SDK's `additional_params`). */
  additionalParams?: Record<string, unknown> | undefined;
}

/** Documented limits (docs/protocol.md, "Limits"). */
export const LIMITS = Object.freeze({
  /** Characters per continue-task (CJK ideographs count twice). */
  maxCharactersPerMessage: 20_000,
  /** Characters per task (CJK ideographs count twice). */
  maxCharactersPerTask: 200_000,
  /** Characters of `instruction`. */
  maxInstructionLength: 100,
});

const SAMPLE_RATES: ReadonlySet<number> = new Set([0, 8000, 16000, 22050, 24000, 44100, 48000]);
const CONTAINERS: ReadonlySet<string> = new Set(['pcm', 'wav', 'mp3', 'opus', 'Default']);

// Chinese characters (汉字) count 2 towards the limits and the bill (the docs' "CJK ideographs").
// By Unicode script rather than hand-kept ranges, so every block is covered, the compatibility
// ideographs and extensions added after this was written included. CJK punctuation (，。) is of
// the Common script and counts 1, as the documented examples do. Sticky: tested in place.
const HAN = /\p{Script=Han}/uy;
/** No character of the Han script lies below U+2E80 (CJK Radicals Supplement). */
const FIRST_HAN = 0x2e80;

/**
 * Counts characters the way DashScope limits and bills them: a Chinese character (Unicode script
 * Han) counts 2, every other code point 1.
 */
export function countCharacters(text: string): number {
  // One pass over the UTF-16 code units: below U+2E80 (most text) no test at all, and the
  // script test runs in place, with no string made per character.
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    count += 1;
    const unit = text.charCodeAt(i);
    if (unit < FIRST_HAN) continue;
    HAN.lastIndex = i;
    if (HAN.test(text)) count += 1;
    // A surrogate pair is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) i += 1;
    }
  }
  return count;
}

/**
 * Checks a piece of text for one continue-task: a string, not empty, within the per-message
 * limit. A fragment of only whitespace is accepted (a token stream from an LLM may send "\n\n");
 * use {@link validateTaskText} for the whole text of a task.
 * @throws {InvalidParameterError} if it is not a string, is empty, or is over the per-message limit.
 * @returns its length as the service counts it.
 */
export function validateText(text: unknown, parameter = 'text'): number {
  if (typeof text !== 'string') {
    throw new InvalidParameterError(parameter, `${parameter} must be a string, got ${typeLabel(text)}`);
  }
  if (text.length === 0) {
    throw new InvalidParameterError(parameter, `${parameter} must not be empty`);
  }
  const characters = countCharacters(text);
  if (characters > LIMITS.maxCharactersPerMessage) {
    throw new InvalidParameterError(
      parameter,
      `${parameter} is ${characters} characters (Chinese characters counted twice); at most ` +
        `${LIMITS.maxCharactersPerMessage} are allowed in one message`,
    );
  }
  return characters;
}

/**
 * Checks the whole text of a task (`call()`, `stream()`): as {@link validateText}, and not only
 * whitespace, which the service refuses ("Ensure input text is valid.") after the task started.
 * @throws {InvalidParameterError} naming `parameter`.
 * @returns its length as the service counts it.
 */
export function validateTaskText(text: unknown, parameter = 'text'): number {
  const characters = validateText(text, parameter);
  if ((text as string).trim() === '') {
    throw new InvalidParameterError(
      parameter,
      `${parameter} must contain something to speak: it is only whitespace`,
    );
  }
  return characters;
}

/**
 * Checks an optional number against its range (shared with `params-sambert.ts`).
 * @throws {InvalidParameterError} naming `name` when it is not a (whole, if `integer`) number in range.
 */
export function checkNumber(name: string, value: unknown, min: number, max: number, integer: boolean): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new InvalidParameterError(
      name,
      `${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${describeValue(value)}`,
    );
  }
  if (value < min || value > max) {
    throw new InvalidParameterError(name, `${name} must be from ${min} to ${max}, got ${value}`);
  }
}

/**
 * Checks a required string.
 * @throws {InvalidParameterError} naming `name` when it is not a string with something in it.
 */
export function checkNonEmptyString(name: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidParameterError(name, `${name} must be a non-empty string, got ${describeValue(value)}`);
  }
}

/**
 * Checks an optional flag.
 * @throws {InvalidParameterError} naming `name` when it is neither undefined nor a boolean.
 */
export function checkBoolean(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new InvalidParameterError(name, `${name} must be true or false, got ${describeValue(value)}`);
  }
}

/**
 * A value sent inside run-task must survive JSON.stringify (no BigInt, no cycle).
 * @throws {InvalidParameterError} naming `name` when it cannot be serialized.
 */
export function checkJson(name: string, value: unknown): void {
  try {
    JSON.stringify(value);
  } catch (error) {
    throw new InvalidParameterError(
      name,
      `${name} cannot be sent as JSON (${error instanceof Error ? error.message.split('\n')[0] : 'unknown error'}): ` +
        'use plain strings, numbers, booleans, arrays and objects without cycles',
    );
  }
}

/**
 * Validates synthesis parameters against the documented ranges.
 * @throws {InvalidParameterError} naming the first parameter at fault.
 */
export function validateSynthesisParams(params: SynthesisParams): void {
  if (typeof params !== 'object' || params === null) {
    throw new InvalidParameterError('params', 'synthesis parameters must be an object');
  }
  checkNonEmptyString('model', params.model);
  checkNonEmptyString('voice', params.voice);
  if ((params as { sampleRate?: unknown }).sampleRate !== undefined) {
    throw new InvalidParameterError(
      'sampleRate',
      "CosyVoice takes the sample rate inside format: { format: 'pcm', sampleRate: 16000 } (or an " +
        'AudioFormat value); a flat sampleRate is for Sambert models',
    );
  }
  const format = params.format;
  if (format !== undefined) {
    if (typeof format !== 'object' || format === null || !CONTAINERS.has(format.format)) {
      throw new InvalidParameterError(
        'format',
        `format must be one of pcm, wav, mp3, opus (or an AudioFormat value), got ${describeValue(format)}`,
      );
    }
    if (!SAMPLE_RATES.has(format.sampleRate)) {
      throw new InvalidParameterError(
        'format.sampleRate',
        `format.sampleRate must be one of 8000, 16000, 22050, 24000, 44100, 48000, got ${describeValue(format.sampleRate)}`,
      );
    }
    checkNumber('format.bitRate', format.bitRate, 6, 510, true);
  }
  checkNumber('volume', params.volume, 0, 100, true);
  checkNumber('speechRate', params.speechRate, 0.5, 2, false);
  checkNumber('pitchRate', params.pitchRate, 0.5, 2, false);
  checkNumber('seed', params.seed, 0, 65535, true);
  if (params.instruction !== undefined) {
    if (typeof params.instruction !== 'string') {
      throw new InvalidParameterError('instruction', 'instruction must be a string');
    }
    if (params.instruction.length > LIMITS.maxInstructionLength) {
      throw new InvalidParameterError(
        'instruction',
        `instruction is ${params.instruction.length} characters; at most ${LIMITS.maxInstructionLength} are allowed`,
      );
    }
  }
  if (
    params.languageHints !== undefined &&
    (!Array.isArray(params.languageHints) || params.languageHints.some((hint) => typeof hint !== 'string'))
  ) {
    throw new InvalidParameterError('languageHints', 'languageHints must be an array of strings');
  }
  if (params.hotFix !== undefined && (typeof params.hotFix !== 'object' || params.hotFix === null)) {
    throw new InvalidParameterError('hotFix', 'hotFix must be an object');
  }
  if (
    params.additionalParams !== undefined &&
    (typeof params.additionalParams !== 'object' ||
      params.additionalParams === null ||
      Array.isArray(params.additionalParams))
  ) {
    throw new InvalidParameterError('additionalParams', 'additionalParams must be a plain object');
  }
  checkBoolean('enableSsml', params.enableSsml);
  checkBoolean('wordTimestampEnabled', params.wordTimestampEnabled);
  checkJson('hotFix', params.hotFix);
  checkJson('additionalParams', params.additionalParams);
}

/** Builds the run-task `parameters` object from validated parameters. */
export function toWireParameters(params: SynthesisParams): WireParameters {
  const format = params.format ?? AudioFormat.DEFAULT;
  const wire: WireParameters = {
    voice: params.voice,
    text_type: 'PlainText',
    format: format.format,
    sample_rate: format.sampleRate,
    volume: params.volume ?? 50,
    rate: params.speechRate ?? 1,
    pitch: params.pitchRate ?? 1,
  };
  if (format.format === 'opus' && format.bitRate !== undefined) wire.bit_rate = format.bitRate;
  if (params.seed !== undefined) wire.seed = params.seed;
  if (params.instruction !== undefined) wire.instruction = params.instruction;
  if (params.languageHints !== undefined) wire.language_hints = params.languageHints;
  if (params.hotFix !== undefined) wire.hot_fix = params.hotFix;
  if (params.enableSsml !== undefined) wire.enable_ssml = params.enableSsml;
  if (params.wordTimestampEnabled !== undefined) wire.word_timestamp_enabled = params.wordTimestampEnabled;
  if (params.additionalParams) Object.assign(wire, params.additionalParams);
  return wire;
}

const SYNTHESIS_KEYS = [
  'model',
  'voice',
  'format',
  'volume',
  'speechRate',
  'pitchRate',
  'seed',
  'instruction',
  'languageHints',
  'hotFix',
  'enableSsml',
  'wordTimestampEnabled',
  'additionalParams',
] as const satisfies ReadonlyArray<keyof SynthesisParams>;

/** The synthesis parameters out of a larger options object (no connection settings, no callback). */
export function pickSynthesisParams(options: SynthesisParams): SynthesisParams {
  const picked: Partial<Record<keyof SynthesisParams, unknown>> = {};
  for (const key of SYNTHESIS_KEYS) picked[key] = options[key];
  // A copy: the caller may edit its format object later; what was validated must not change.
  if (options.format) picked.format = { ...options.format };
  return picked as SynthesisParams;
}
