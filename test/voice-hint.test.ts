import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskFailedError } from '../src/errors/index.js';
import { SpeechSynthesizerObjectPool } from '../src/pool/object-pool.js';
import { startLocalServer, type LocalServer } from '../src/server/index.js';
import { SpeechSynthesizer } from '../src/synthesizer/speech-synthesizer.js';
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

describe('a task the server failed over its voice', () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await startLocalServer({ engine: 'synthetic' });
  });
  afterAll(() => server.close());

  /** The error `run` rejects with. */
  async function failure(run: () => Promise<unknown>): Promise<TaskFailedError> {
    const error = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TaskFailedError);
    return error as TaskFailedError;
  }

  it("carries a hint that names the task's voice and model, after the server's own words", async () => {
    const synth = new SpeechSynthesizer({
      url: server.url,
      apiKey: 'k',
      model: 'cosyvoice-v3-flash',
      voice: 'longnobody',
    });
    try {
      const error = await failure(() => synth.call('Hello.'));
      expect(error.errorMessage).toMatch(/Engine return error code: 418$/);
      expect(error.hint).toMatch(/^voice "longnobody" is not available for model cosyvoice-v3-flash/);
      expect(error.message).toContain('Engine return error code: 418; voice "longnobody"');
    } finally {
      await synth.close();
    }
  });

  it('names the voice a pooled synthesizer was borrowed with', async () => {
    const pool = new SpeechSynthesizerObjectPool({ url: server.url, apiKey: 'k', maxSize: 1 });
    try {
      const error = await failure(() =>
        pool.withSynthesizer({ model: 'cosyvoice-v2', voice: 'longmissing_v2' }, (s) => s.call('Hello.')),
      );
      expect(error.hint).toMatch(/^voice "longmissing_v2" is not available for model cosyvoice-v2/);
    } finally {
      await pool.shutdown();
    }
  });
});
