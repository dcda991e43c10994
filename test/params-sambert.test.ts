/** Sambert's parameters: the family's choice by name, validation, one canonical form, the wire. */
import { describe, expect, it } from 'vitest';
import { DashScopeError, InvalidParameterError } from '../src/errors/index.js';
import { AudioFormat } from '../src/params.js';
import {
  isSambertModel,
  pickSambertParams,
  toSambertWireParameters,
  validateSambertParams,
  type SambertParams,
} from '../src/params-sambert.js';

const base: SambertParams = { model: 'sambert-zhichu-v1' };

function parameterOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidParameterError);
    expect((error as InvalidParameterError).code).toBe('DS_ERR_INVALID_PARAMETER');
    return (error as InvalidParameterError).parameter;
  }
  return undefined;
}

const circular: Record<string, unknown> = {};
circular.self = circular;

describe('isSambertModel', () => {
  it('is true for sambert-* names only', () => {
    expect(isSambertModel('sambert-zhichu-v1')).toBe(true);
    expect(isSambertModel('sambert-zhiqi-v1')).toBe(true);
    expect(isSambertModel('cosyvoice-v3-flash')).toBe(false);
    expect(isSambertModel('Sambert-zhichu-v1')).toBe(false);
    expect(isSambertModel(undefined)).toBe(false);
    expect(isSambertModel(42)).toBe(false);
  });
});

describe('validateSambertParams', () => {
  it('accepts both format forms, every documented container and rate, and the ranges at their edges', () => {
    for (const format of ['pcm', 'wav', 'mp3'] as const) {
      for (const sampleRate of [8000, 16000, 22050, 24000]) {
        expect(() => validateSambertParams({ ...base, format, sampleRate })).not.toThrow();
        expect(() => validateSambertParams({ ...base, format: { format, sampleRate } })).not.toThrow();
      }
    }
    expect(() =>
      validateSambertParams({ ...base, format: AudioFormat.MP3_24000HZ_MONO_256KBPS }),
    ).not.toThrow();
    expect(() => validateSambertParams({ ...base, sampleRate: 8000 })).not.toThrow();
    expect(() =>
      validateSambertParams({
        ...base,
        volume: 0,
        speechRate: 0.5,
        pitchRate: 2,
        wordTimestampEnabled: true,
        phonemeTimestampEnabled: true,
        additionalParams: { stream: false },
      }),
    ).not.toThrow();
    expect(() =>
      validateSambertParams({ ...base, volume: 100, speechRate: 2, pitchRate: 0.5 }),
    ).not.toThrow();
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a voice', { voice: 'longanyang' }, 'voice'],
    ['opus', { format: 'opus' }, 'format'],
    ['the SDK default literal', { format: 'Default' }, 'format'],
    ['AudioFormat.DEFAULT', { format: AudioFormat.DEFAULT }, 'format.format'],
    ['an opus AudioFormat', { format: AudioFormat.OGG_OPUS_16KHZ_MONO_32KBPS }, 'format.format'],
    ['a rate Sambert does not produce (flat)', { format: 'wav', sampleRate: 48000 }, 'sampleRate'],
    [
      'a rate Sambert does not produce (nested)',
      { format: AudioFormat.WAV_44100HZ_MONO_16BIT },
      'format.sampleRate',
    ],
    ['a nested format without its rate', { format: { format: 'wav' } }, 'format.sampleRate'],
    ['a bit rate', { format: { format: 'mp3', sampleRate: 16000, bitRate: 64 } }, 'format.bitRate'],
    ['the rate given twice', { format: AudioFormat.WAV_16000HZ_MONO_16BIT, sampleRate: 16000 }, 'sampleRate'],
    ['a number as format', { format: 16000 }, 'format'],
    ['volume 101', { volume: 101 }, 'volume'],
    ['volume 50.5', { volume: 50.5 }, 'volume'],
    ['speechRate 2.1', { speechRate: 2.1 }, 'speechRate'],
    ['pitchRate 0.4', { pitchRate: 0.4 }, 'pitchRate'],
    ['pitchRate NaN', { pitchRate: Number.NaN }, 'pitchRate'],
    ['a string flag', { wordTimestampEnabled: 'yes' }, 'wordTimestampEnabled'],
    ['phonemes without words', { phonemeTimestampEnabled: true }, 'phonemeTimestampEnabled'],
    [
      'phonemes with words off',
      { wordTimestampEnabled: false, phonemeTimestampEnabled: true },
      'phonemeTimestampEnabled',
    ],
    ['CosyVoice seed', { seed: 1 }, 'seed'],
    ['CosyVoice instruction', { instruction: 'x' }, 'instruction'],
    ['CosyVoice languageHints', { languageHints: ['zh'] }, 'languageHints'],
    ['CosyVoice hotFix', { hotFix: {} }, 'hotFix'],
    ['CosyVoice enableSsml', { enableSsml: false }, 'enableSsml'],
    ['additionalParams as an array', { additionalParams: [1] }, 'additionalParams'],
    ['additionalParams with a cycle', { additionalParams: circular }, 'additionalParams'],
    ['additionalParams with a BigInt', { additionalParams: { n: 1n } }, 'additionalParams'],
  ])('refuses %s, naming the parameter', (_label, override, parameter) => {
    expect(parameterOf(() => validateSambertParams({ ...base, ...override }))).toBe(parameter);
  });

  it('refuses a non-object and explains what to do in short, typed messages', () => {
    expect(parameterOf(() => validateSambertParams(null as never))).toBe('params');
    const messages: string[] = [];
    for (const override of [
      { voice: 'x' },
      { seed: 1 },
      { phonemeTimestampEnabled: true },
      { format: 'opus' },
    ]) {
      try {
        validateSambertParams({ ...base, ...override } as SambertParams);
      } catch (error) {
        expect(error).toBeInstanceOf(DashScopeError);
        messages.push((error as Error).message);
      }
    }
    expect(messages[0]).toMatch(/model names it.*remove voice/);
    expect(messages[1]).toMatch(/CosyVoice parameter/);
    expect(messages[2]).toMatch(/needs wordTimestampEnabled/);
    expect(messages[3]).toMatch(/'pcm', 'wav' or 'mp3'/);
    for (const message of messages) expect(message.length).toBeLessThan(300);
  });
});

describe('pickSambertParams and toSambertWireParameters', () => {
  it('turn the flat and the nested form into the same parameters and wire object', () => {
    const flat = pickSambertParams({ ...base, format: 'mp3', sampleRate: 24000 });
    const nested = pickSambertParams({ ...base, format: { format: 'mp3', sampleRate: 24000 } });
    expect(flat.format).toEqual({ format: 'mp3', sampleRate: 24000 });
    expect(flat.sampleRate).toBeUndefined();
    expect(toSambertWireParameters(flat)).toEqual(toSambertWireParameters(nested));
  });

  it('fill in Sambert’s defaults (wav at 16 kHz) and leave connection settings and callbacks out', () => {
    const picked = pickSambertParams({ ...base, url: 'ws://x', callback: {} } as SambertParams);
    expect(picked.format).toEqual({ format: 'wav', sampleRate: 16000 });
    expect(picked).not.toHaveProperty('url');
    expect(picked).not.toHaveProperty('callback');
    expect(pickSambertParams({ ...base, sampleRate: 8000 }).format).toEqual({
      format: 'wav',
      sampleRate: 8000,
    });
    expect(pickSambertParams({ ...base, format: 'pcm' }).format).toEqual({
      format: 'pcm',
      sampleRate: 16000,
    });
    expect(toSambertWireParameters(pickSambertParams(base))).toEqual({
      text_type: 'PlainText',
      format: 'wav',
      sample_rate: 16000,
      volume: 50,
      rate: 1,
      pitch: 1,
    });
  });

  it('send speechRate and pitchRate as rate and pitch, the flags when set, and additionalParams last', () => {
    const wire = toSambertWireParameters(
      pickSambertParams({
        ...base,
        format: 'pcm',
        sampleRate: 8000,
        volume: 70,
        speechRate: 1.5,
        pitchRate: 0.8,
        wordTimestampEnabled: true,
        phonemeTimestampEnabled: false,
        additionalParams: { volume: 10, custom: 'x' },
      }),
    );
    expect(wire).toEqual({
      text_type: 'PlainText',
      format: 'pcm',
      sample_rate: 8000,
      volume: 10,
      rate: 1.5,
      pitch: 0.8,
      word_timestamp_enabled: true,
      phoneme_timestamp_enabled: false,
      custom: 'x',
    });
    expect(wire).not.toHaveProperty('voice');
  });
});
