import { describe, expect, it } from 'vitest';
import { voiceHint } from '../src/voice-hint.js';

describe('voiceHint', () => {
  it('names the voice and the model for the service\'s "Engine return error code: 418"', () => {
    for (const message of [
      '[tts:]Engine return error code: 418',
      '[cosyvoice:]Engine return error code: 418',
    ]) {
      const hint = voiceHint('InvalidParameter', message, {
        model: 'cosyvoice-v3-flash',
        voice: 'longxiaochun_v9',
      });
      expect(hint).toContain('voice "longxiaochun_v9"');
      expect(hint).toContain('model cosyvoice-v3-flash');
      expect(hint).toMatch(/region/);
      expect(hint).toMatch(/dashscope-tts voices/);
    }
  });

  it('says that no voice was given', () => {
    expect(voiceHint('InvalidParameter', 'Request voice is invalid!', { model: 'cosyvoice-v2' })).toMatch(
      /no voice was given/,
    );
  });

  it('explains a cloned voice used with another model, naming the voice from the message', () => {
    const hint = voiceHint('invalid_value', "The requested voice 'cosyvoice-abc-123' is not supported.", {
      model: 'cosyvoice-v3-flash',
      voice: 'cosyvoice-abc-123',
    });
    expect(hint).toContain('voice "cosyvoice-abc-123" cannot be used with model cosyvoice-v3-flash');
    expect(hint).toMatch(/target_model/);
  });

  it('stays silent for failures that are not about the voice', () => {
    expect(
      voiceHint('Throttling.RateQuota', 'Requests rate limit exceeded, please try again later.', {}),
    ).toBe(undefined);
    expect(voiceHint('InvalidParameter', 'Parameter invalid: text is null', { voice: 'longanyang' })).toBe(
      undefined,
    );
    expect(voiceHint(undefined, undefined, {})).toBe(undefined);
  });

  it('still reads without a model or voice', () => {
    expect(voiceHint('InvalidParameter', '[tts:]Engine return error code: 418', {})).toMatch(
      /^the voice is not available for this model/,
    );
  });
});
