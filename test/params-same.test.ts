/** Rebinding the same CosyVoice parameters is noticed cheaply, and every change is noticed (src/params-same.ts). */
import { describe, expect, it } from 'vitest';
import { pickSynthesisParams, type SynthesisParams } from '../src/params.js';
import { sameSynthesisParams, SYNTHESIS_PARAM_KINDS } from '../src/params-same.js';

describe('sameSynthesisParams (a rebinding keeps the parameters when nothing changed)', () => {
  const base: SynthesisParams = {
    model: 'cosyvoice-v3-flash',
    voice: 'longanyang',
    format: { format: 'opus', sampleRate: 16000, bitRate: 32 },
    volume: 60,
    speechRate: 1.2,
    pitchRate: 0.9,
    seed: 7,
    instruction: 'calm',
    enableSsml: false,
    wordTimestampEnabled: true,
  };
  // A different valid value for each kind of parameter.
  const changed: Record<keyof SynthesisParams, unknown> = {
    model: 'cosyvoice-v3-plus',
    voice: 'longxiaochun',
    format: { format: 'opus', sampleRate: 16000, bitRate: 64 },
    volume: 61,
    speechRate: 1.3,
    pitchRate: 1,
    seed: 8,
    instruction: 'happy',
    languageHints: ['zh'],
    hotFix: { replace: [] },
    enableSsml: true,
    wordTimestampEnabled: false,
    additionalParams: { extra: 1 },
  };

  it('takes equal values as the same, a format compared field by field', () => {
    const current = pickSynthesisParams(base);
    expect(sameSynthesisParams(current, { ...base, format: { ...base.format! } })).toBe(true);
    expect(
      sameSynthesisParams(pickSynthesisParams({ model: 'm', voice: 'v' }), { model: 'm', voice: 'v' }),
    ).toBe(true);
  });

  it('notices a change of every parameter there is, and never takes an object parameter as unchanged', () => {
    const current = pickSynthesisParams(base);
    for (const key of Object.keys(SYNTHESIS_PARAM_KINDS) as Array<keyof SynthesisParams>) {
      expect(sameSynthesisParams(current, { ...base, [key]: changed[key] }), key).toBe(false);
      if (SYNTHESIS_PARAM_KINDS[key] === 'object') {
        const withObject = { ...base, [key]: changed[key] };
        expect(sameSynthesisParams(pickSynthesisParams(withObject), withObject), key).toBe(false);
      }
    }
    expect(sameSynthesisParams(current, { ...base, format: undefined })).toBe(false);
    expect(sameSynthesisParams(pickSynthesisParams({ ...base, format: undefined }), base)).toBe(false);
  });
});
