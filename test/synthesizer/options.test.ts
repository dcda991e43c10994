/** The synthesizer's options: validated up front, with typed errors (src/synthesizer/options.ts). */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, InvalidParameterError, MissingApiKeyError } from '../../src/errors/index.js';
import {
  resolveSynthesizerOptions,
  SYNTHESIZER_DEFAULTS,
  type SpeechSynthesizerOptions,
} from '../../src/synthesizer/options.js';
import { KEY, useLocalServer } from './helpers.js';

const fixture = useLocalServer();
const { synthesizer } = fixture;

describe('validation: a typed error before anything is sent', () => {
  it('rejects bad parameters in the constructor', () => {
    const before = fixture.server.stats();
    expect(() => synthesizer({ volume: 101 })).toThrow(InvalidParameterError);
    expect(() => synthesizer({ speechRate: 3 })).toThrow(InvalidParameterError);
    expect(() => synthesizer({ seed: -1 })).toThrow(InvalidParameterError);
    expect(() => synthesizer({ format: { format: 'pcm', sampleRate: 12345 } })).toThrow(
      InvalidParameterError,
    );
    expect(() => synthesizer({ instruction: 'x'.repeat(101) })).toThrow(InvalidParameterError);
    expect(fixture.server.stats().connectionsAccepted).toBe(before.connectionsAccepted);
  });

  it('requires a key from the option or DASHSCOPE_API_KEY', () => {
    const saved = process.env.DASHSCOPE_API_KEY;
    delete process.env.DASHSCOPE_API_KEY;
    try {
      expect(() => synthesizer({ apiKey: undefined })).toThrow(MissingApiKeyError);
    } finally {
      if (saved !== undefined) process.env.DASHSCOPE_API_KEY = saved;
    }
  });
});

describe('resolveSynthesizerOptions', () => {
  const base: SpeechSynthesizerOptions = { model: 'cosyvoice-v3-flash', voice: 'longanyang', apiKey: KEY };

  it('fills in every default', () => {
    const resolved = resolveSynthesizerOptions(base);
    expect(resolved.eagerStart).toBe(true);
    expect(resolved.responseTimeoutMs).toBe(30_000);
    expect(resolved.retry).toEqual({
      connectionFailures: 1,
      throttling: 0,
      initialDelayMs: 200,
      maxDelayMs: 5_000,
    });
    expect(resolved.callback).toBeUndefined();
    expect(resolved.params).toMatchObject({ model: 'cosyvoice-v3-flash', voice: 'longanyang' });
    // Only synthesis parameters: no key, no callback, no connection settings.
    expect(Object.keys(resolved.params)).not.toContain('apiKey');
    expect(SYNTHESIZER_DEFAULTS.responseTimeoutMs).toBe(resolved.responseTimeoutMs);
  });

  it('keeps what is given', () => {
    const callback = { onData: () => undefined };
    const resolved = resolveSynthesizerOptions({
      ...base,
      callback,
      eagerStart: false,
      responseTimeoutMs: 1_000,
      retry: { connectionFailures: 0, throttling: 3, initialDelayMs: 10, maxDelayMs: 20 },
    });
    expect(resolved).toMatchObject({ callback, eagerStart: false, responseTimeoutMs: 1_000 });
    expect(resolved.retry).toEqual({
      connectionFailures: 0,
      throttling: 3,
      initialDelayMs: 10,
      maxDelayMs: 20,
    });
  });

  it('names the bad option: eagerStart, responseTimeoutMs, retry.*', () => {
    for (const [bad, option] of [
      [{ eagerStart: 'yes' }, 'eagerStart'],
      [{ eagerStart: 1 }, 'eagerStart'],
      [{ responseTimeoutMs: 0 }, 'responseTimeoutMs'],
      [{ responseTimeoutMs: Number.NaN }, 'responseTimeoutMs'],
      [{ retry: { connectionFailures: -1 } }, 'retry.connectionFailures'],
      [{ retry: { throttling: 1.5 } }, 'retry.throttling'],
      [{ retry: { initialDelayMs: -5 } }, 'retry.initialDelayMs'],
      [{ retry: { maxDelayMs: 0 } }, 'retry.maxDelayMs'],
    ] as const) {
      const options = { ...base, ...bad } as unknown as SpeechSynthesizerOptions;
      let error: unknown;
      try {
        resolveSynthesizerOptions(options);
      } catch (caught) {
        error = caught;
      }
      expect(error, option).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toBe(option);
    }
  });

  it('refuses a non-boolean eagerStart in the constructor too, before anything is sent', () => {
    const before = fixture.server.stats().connectionsAccepted;
    expect(() => synthesizer({ eagerStart: 'false' as unknown as boolean })).toThrow(InvalidOptionError);
    expect(fixture.server.stats().connectionsAccepted).toBe(before);
  });
});
