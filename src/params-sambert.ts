/**
 * Sambert's synthesis parameters: the options a `sambert-*` model takes (the CosyVoice names
 * where they mean the same), their validation against the documented ranges (docs/protocol.md,
 * "Sambert"), and their translation into the run-task `parameters` object. Pure: no I/O.
 */
import { InvalidParameterError } from './errors/index.js';
import {
  checkBoolean,
  checkJson,
  checkNonEmptyString,
  checkNumber,
  type AudioFormatSpec,
  type SynthesisParams,
} from './params.js';
import type { SambertWireParameters } from './protocol-sambert.js';
import { describeValue } from './util/describe-value.js';

/** The containers Sambert produces. */
export type SambertContainer = 'pcm' | 'wav' | 'mp3';

/** A Sambert model name, e.g. `sambert-zhichu-v1`: the model is also the voice. */
export type SambertModel = `sambert-${string}`;

/** What a Sambert task synthesizes with. The model is the voice; there is no `voice`. */
export interface SambertParams {
  /** A Sambert model, which also names the voice, e.g. `sambert-zhichu-v1`. */
  model: SambertModel;
  /** Not taken by Sambert: the model names the voice. Giving one is an error. */
  voice?: undefined;
  /**
   * The output format: `'wav'` (default), `'pcm'` or `'mp3'` with `sampleRate` beside it, as the
   * Python v1 SDK writes it, or the CosyVoice form `{ format, sampleRate }` (an `AudioFormat`
   * value of those containers works too).
   */
  format?: SambertContainer | AudioFormatSpec | undefined;
  /** Hz, next to a flat `format`: 8000, 16000 (default), 22050 or 24000. */
  sampleRate?: number | undefined;
  /** 0 to 100, default 50. */
  volume?: number | undefined;
  /** 0.5 to 2, default 1; sent as `rate`. */
  speechRate?: number | undefined;
  /** 0.5 to 2, default 1; sent as `pitch`. */
  pitchRate?: number | undefined;
  /** Ask for the words of each sentence with their times (`getTimestamps()`). */
  wordTimestampEnabled?: boolean | undefined;
  /** Ask for each word's phonemes too; needs `wordTimestampEnabled`. */
  phonemeTimestampEnabled?: boolean | undefined;
  /** Extra `parameters` keys, merged last (like the Python SDK's keyword arguments). */
  additionalParams?: Record<string, unknown> | undefined;
}

/** The parameters of a task of either model family: CosyVoice's or Sambert's. */
export type AnySynthesisParams = SynthesisParams | SambertParams;

/** Sambert parameters after validation: the format always as `{ format, sampleRate }`. */
export type ResolvedSambertParams = SambertParams & { format: AudioFormatSpec; sampleRate?: undefined };

/** Whether `model` names a Sambert model (the model family is chosen by the name alone). */
export function isSambertModel(model: unknown): model is SambertModel {
  return typeof model === 'string' && model.startsWith('sambert-');
}

const CONTAINERS: ReadonlySet<unknown> = new Set(['pcm', 'wav', 'mp3']);
const SAMPLE_RATES: ReadonlySet<unknown> = new Set([8000, 16000, 22050, 24000]);
const DEFAULT_CONTAINER = 'wav';
const DEFAULT_SAMPLE_RATE = 16000;

// CosyVoice's own parameters: meaningless for Sambert, so a mix-up is said, not ignored.
const COSYVOICE_ONLY = ['seed', 'instruction', 'languageHints', 'hotFix', 'enableSsml'] as const;

const SAMBERT_KEYS = [
  'model',
  'format',
  'sampleRate',
  'volume',
  'speechRate',
  'pitchRate',
  'wordTimestampEnabled',
  'phonemeTimestampEnabled',
  'additionalParams',
] as const satisfies ReadonlyArray<keyof SambertParams>;

function checkContainer(name: string, value: unknown): void {
  if (!CONTAINERS.has(value)) {
    throw new InvalidParameterError(
      name,
      `${name} must be 'pcm', 'wav' or 'mp3' for Sambert models, got ${describeValue(value)}`,
    );
  }
}

function checkSampleRate(name: string, value: unknown): void {
  if (value !== undefined && !SAMPLE_RATES.has(value)) {
    throw new InvalidParameterError(
      name,
      `${name} must be 8000, 16000, 22050 or 24000 for Sambert models, got ${describeValue(value)}`,
    );
  }
}

function checkFormat(params: SambertParams): void {
  const format: unknown = params.format;
  checkSampleRate('sampleRate', params.sampleRate);
  if (format === undefined || typeof format === 'string') {
    if (format !== undefined) checkContainer('format', format);
    return;
  }
  if (typeof format !== 'object' || format === null) {
    throw new InvalidParameterError(
      'format',
      `format must be 'pcm', 'wav' or 'mp3' (with sampleRate beside it), or { format, sampleRate }, got ${describeValue(format)}`,
    );
  }
  const spec = format as Partial<AudioFormatSpec>;
  checkContainer('format.format', spec.format);
  if (spec.sampleRate === undefined) {
    throw new InvalidParameterError(
      'format.sampleRate',
      'format.sampleRate is missing: 8000, 16000, 22050 or 24000',
    );
  }
  checkSampleRate('format.sampleRate', spec.sampleRate);
  if (spec.bitRate !== undefined) {
    throw new InvalidParameterError(
      'format.bitRate',
      'Sambert models take no bit rate: remove format.bitRate',
    );
  }
  if (params.sampleRate !== undefined) {
    throw new InvalidParameterError(
      'sampleRate',
      'the sample rate is given twice: use either format: { format, sampleRate } or format plus sampleRate',
    );
  }
}

/**
 * Validates the parameters of a Sambert task against the documented ranges.
 * @throws {InvalidParameterError} naming the first parameter at fault: a voice, a CosyVoice-only
 *   parameter, a format or sample rate Sambert does not produce, a value out of range, phoneme
 *   timestamps without word timestamps.
 */
export function validateSambertParams(params: SambertParams): void {
  if (typeof params !== 'object' || params === null) {
    throw new InvalidParameterError('params', 'synthesis parameters must be an object');
  }
  checkNonEmptyString('model', params.model);
  if (params.voice !== undefined) {
    throw new InvalidParameterError(
      'voice',
      `Sambert models take no voice: the model names it (${params.model}); remove voice ${describeValue(params.voice)}`,
    );
  }
  const loose = params as SambertParams & Partial<Record<(typeof COSYVOICE_ONLY)[number], unknown>>;
  for (const key of COSYVOICE_ONLY) {
    if (loose[key] !== undefined) {
      throw new InvalidParameterError(
        key,
        `${key} is a CosyVoice parameter that Sambert models do not take; remove it ` +
          '(or send a raw key through additionalParams)',
      );
    }
  }
  checkFormat(params);
  checkNumber('volume', params.volume, 0, 100, true);
  checkNumber('speechRate', params.speechRate, 0.5, 2, false);
  checkNumber('pitchRate', params.pitchRate, 0.5, 2, false);
  checkBoolean('wordTimestampEnabled', params.wordTimestampEnabled);
  checkBoolean('phonemeTimestampEnabled', params.phonemeTimestampEnabled);
  if (params.phonemeTimestampEnabled === true && params.wordTimestampEnabled !== true) {
    throw new InvalidParameterError(
      'phonemeTimestampEnabled',
      'phonemeTimestampEnabled needs wordTimestampEnabled: true (phonemes come inside the words)',
    );
  }
  const extra = params.additionalParams;
  if (extra !== undefined && (typeof extra !== 'object' || extra === null || Array.isArray(extra))) {
    throw new InvalidParameterError('additionalParams', 'additionalParams must be a plain object');
  }
  checkJson('additionalParams', extra);
}

/**
 * The Sambert parameters out of a larger options object (no connection settings, no callback),
 * with the format in one form: `{ format, sampleRate }`, defaults filled in. Validate first.
 */
export function pickSambertParams(options: SambertParams): ResolvedSambertParams {
  const picked: Partial<Record<keyof SambertParams, unknown>> = {};
  for (const key of SAMBERT_KEYS) picked[key] = options[key];
  const format = options.format;
  picked.format =
    typeof format === 'object'
      ? format
      : Object.freeze({
          format: format ?? DEFAULT_CONTAINER,
          sampleRate: options.sampleRate ?? DEFAULT_SAMPLE_RATE,
        });
  picked.sampleRate = undefined;
  return picked as ResolvedSambertParams;
}

/** Builds a Sambert run-task's `parameters` object from picked parameters. */
export function toSambertWireParameters(params: ResolvedSambertParams): SambertWireParameters {
  const wire: SambertWireParameters = {
    text_type: 'PlainText',
    format: params.format.format as SambertContainer,
    sample_rate: params.format.sampleRate,
    volume: params.volume ?? 50,
    rate: params.speechRate ?? 1,
    pitch: params.pitchRate ?? 1,
  };
  if (params.wordTimestampEnabled !== undefined) wire.word_timestamp_enabled = params.wordTimestampEnabled;
  if (params.phonemeTimestampEnabled !== undefined) {
    wire.phoneme_timestamp_enabled = params.phonemeTimestampEnabled;
  }
  if (params.additionalParams) Object.assign(wire, params.additionalParams);
  return wire;
}
