import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../src/errors/index.js';
import {
  AudioFormat,
  LIMITS,
  countCharacters,
  toWireParameters,
  validateSynthesisParams,
  validateText,
  type SynthesisParams,
} from '../src/params.js';

const base: SynthesisParams = { model: 'cosyvoice-v3-flash', voice: 'longanyang' };

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

describe('countCharacters', () => {
  it('counts CJK ideographs twice and everything else once', () => {
    expect(countCharacters('hello')).toBe(5);
    expect(countCharacters('你好，欢迎光临。')).toBe(14); // 6 ideographs x2 + 2 punctuation (docs/protocol.md, "Examples", V1)
    expect(countCharacters('今天天气不错，')).toBe(13);
    expect(countCharacters('😀a')).toBe(2); // one code point each
  });

  it('agrees with the per-code-point definition (script Han) on block edges, surrogates included', () => {
    const han = /\p{Script=Han}/u;
    const reference = (text: string): number => {
      let count = 0;
      for (const ch of text) count += han.test(ch) ? 2 : 1;
      return count;
    };
    const edges = [
      0x41, 0x2e7f, 0x2e80, 0x2e99, 0x2e9a, 0x2fd5, 0x2fd6, 0x3000, 0x3005, 0x3006, 0x3007, 0x3021, 0x33ff,
      0x3400, 0x4dbf, 0x4dc0, 0x4e00, 0x9fff, 0xa000, 0xf900, 0xfa6d, 0xfa6e, 0xfad9, 0xfb00, 0xff0c, 0x16fe3,
      0x1f600, 0x20000, 0x2a6df, 0x2a6e0, 0x2ebf0, 0x30000, 0x3134f, 0x31350, 0x10ffff,
    ];
    const pieces = [...edges.map((point) => String.fromCodePoint(point)), '\ud800', '\udc00', '\ud840x', 'a'];
    for (const piece of pieces) expect(countCharacters(piece)).toBe(reference(piece));
    // Random mixes of those pieces, lone surrogates included.
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let n = 0; n < 500; n++) {
      let text = '';
      for (let k = next() % 12; k >= 0; k--) text += pieces[next() % pieces.length];
      expect(countCharacters(text)).toBe(reference(text));
    }
  });
});

describe('validateText', () => {
  it('rejects empty and non-string text', () => {
    expect(parameterOf(() => validateText(''))).toBe('text');
    expect(parameterOf(() => validateText(undefined))).toBe('text');
    expect(parameterOf(() => validateText(42))).toBe('text');
  });

  it('applies the per-message limit with CJK counted twice', () => {
    expect(validateText('a'.repeat(LIMITS.maxCharactersPerMessage))).toBe(LIMITS.maxCharactersPerMessage);
    expect(parameterOf(() => validateText('a'.repeat(LIMITS.maxCharactersPerMessage + 1)))).toBe('text');
    expect(validateText('字'.repeat(LIMITS.maxCharactersPerMessage / 2))).toBe(
      LIMITS.maxCharactersPerMessage,
    );
    expect(parameterOf(() => validateText('字'.repeat(LIMITS.maxCharactersPerMessage / 2 + 1)))).toBe('text');
  });
});

describe('validateSynthesisParams', () => {
  it('accepts the documented ranges at their edges', () => {
    expect(() =>
      validateSynthesisParams({
        ...base,
        volume: 0,
        speechRate: 0.5,
        pitchRate: 2,
        seed: 65535,
        instruction: 'x'.repeat(100),
      }),
    ).not.toThrow();
    expect(() =>
      validateSynthesisParams({ ...base, volume: 100, speechRate: 2, pitchRate: 0.5, seed: 0 }),
    ).not.toThrow();
    for (const format of Object.values(AudioFormat))
      expect(() => validateSynthesisParams({ ...base, format })).not.toThrow();
  });

  it.each<[string, Partial<SynthesisParams> & Record<string, unknown>, string]>([
    ['volume above 100', { volume: 101 }, 'volume'],
    ['negative volume', { volume: -1 }, 'volume'],
    ['fractional volume', { volume: 50.5 }, 'volume'],
    ['speechRate below 0.5', { speechRate: 0.49 }, 'speechRate'],
    ['speechRate above 2', { speechRate: 2.01 }, 'speechRate'],
    ['pitchRate NaN', { pitchRate: Number.NaN }, 'pitchRate'],
    ['seed above 65535', { seed: 65536 }, 'seed'],
    ['a string seed', { seed: '1' as unknown as number }, 'seed'],
    ['a bad sample rate', { format: { format: 'pcm', sampleRate: 11025 } }, 'format.sampleRate'],
    ['a bad container', { format: { format: 'flac' as 'pcm', sampleRate: 16000 } }, 'format'],
    ['an instruction over 100 characters', { instruction: 'x'.repeat(101) }, 'instruction'],
    ['an empty model', { model: '' }, 'model'],
    ['a missing voice', { voice: undefined }, 'voice'],
    ['languageHints not an array', { languageHints: 'zh' as unknown as string[] }, 'languageHints'],
  ])('rejects %s', (_name, override, parameter) => {
    expect(parameterOf(() => validateSynthesisParams({ ...base, ...override }))).toBe(parameter);
  });
});

describe('toWireParameters', () => {
  it('sends the SDK defaults "Default" and sample_rate 0 when no format is given', () => {
    expect(toWireParameters(base)).toMatchObject({
      format: 'Default',
      sample_rate: 0,
      volume: 50,
      rate: 1,
      pitch: 1,
    });
  });

  it('maps camelCase options to wire names and merges additionalParams last', () => {
    const wire = toWireParameters({
      ...base,
      format: AudioFormat.OGG_OPUS_24KHZ_MONO_32KBPS,
      volume: 80,
      speechRate: 1.2,
      pitchRate: 0.9,
      seed: 7,
      instruction: 'speak slowly',
      languageHints: ['zh'],
      hotFix: { pronunciation: [{ 天气: 'tian1 qi4' }] },
      enableSsml: true,
      wordTimestampEnabled: true,
      additionalParams: { enable_aigc_tag: true, volume: 70 },
    });
    expect(wire).toEqual({
      voice: 'longanyang',
      text_type: 'PlainText',
      format: 'opus',
      sample_rate: 24000,
      bit_rate: 32,
      volume: 70,
      rate: 1.2,
      pitch: 0.9,
      seed: 7,
      instruction: 'speak slowly',
      language_hints: ['zh'],
      hot_fix: { pronunciation: [{ 天气: 'tian1 qi4' }] },
      enable_ssml: true,
      word_timestamp_enabled: true,
      enable_aigc_tag: true,
    });
  });
});
