/**
 * Bad input to the pool and to a lent synthesizer: typed errors before anything waits or is
 * sent, no timer left armed, and bounds that keep a typo from taking the process down.
 */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, InvalidParameterError } from '../../src/errors/index.js';
import { MAX_POOL_SIZE } from '../../src/pool/options.js';
import { SpeechSynthesizer } from '../../src/synthesizer/speech-synthesizer.js';
import { KEY, makePool, PARAMS, rejection, SENTENCE, server, usePoolServer } from './helpers.js';

usePoolServer();

const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
const BAD_SIGNALS: unknown[] = ['x', {}, 1, { aborted: false }, () => undefined];
const BAD_CALLBACKS: unknown[] = [() => undefined, 1, 'onData', [], null, { onData: 'x' }, { onComplete: 1 }];
const TOO_LONG_MS = 2 ** 31;

describe('signals', () => {
  it('refuses a signal that is not an AbortSignal wherever one is accepted, arming nothing', async () => {
    const pool = makePool({ maxSize: 1 });
    await pool.ready();
    const before = timers();
    for (const signal of BAD_SIGNALS) {
      const options = { signal } as never;
      expect(await rejection(pool.borrowSynthesizer(PARAMS, options))).toBeInstanceOf(InvalidOptionError);
      expect(await rejection(pool.withSynthesizer(PARAMS, () => 1, options))).toBeInstanceOf(
        InvalidOptionError,
      );
      expect(await rejection(pool.ready(options))).toBeInstanceOf(InvalidOptionError);
    }
    expect(pool.stats()).toMatchObject({ borrowed: 0, pending: 0 });
    expect(timers()).toBeLessThanOrEqual(before);

    const synth = await pool.borrowSynthesizer(PARAMS);
    const messages = server.stats().messagesReceived;
    for (const signal of BAD_SIGNALS) {
      const options = { signal } as never;
      expect(await rejection(synth.call(SENTENCE, options))).toBeInstanceOf(InvalidOptionError);
      expect(() => synth.stream(SENTENCE, options)).toThrow(InvalidOptionError);
    }
    await synth.streamingCall(SENTENCE);
    expect(await rejection(synth.streamingComplete({ signal: 'x' } as never))).toBeInstanceOf(
      InvalidOptionError,
    );
    expect((await synth.streamingComplete())!.length).toBeGreaterThan(0);
    // Only the one good streaming task reached the server (run-task, continue, finish).
    expect(server.stats().messagesReceived - messages).toBe(3);
    expect(await pool.returnSynthesizer(synth)).toBe(true);
    // An AbortSignal from AbortSignal.timeout() or any() is fine.
    expect(
      await pool.withSynthesizer(PARAMS, (s) => s.call(SENTENCE), { signal: AbortSignal.timeout(20_000) }),
    ).toBeInstanceOf(Buffer);
  });
});

describe('null and bad options objects', () => {
  it('reads null options as none', async () => {
    const pool = makePool({ maxSize: 1 });
    await pool.ready(null);
    const synth = await pool.borrowSynthesizer(PARAMS, null);
    expect((await synth.call(SENTENCE, null))!.length).toBeGreaterThan(0);
    expect(await pool.returnSynthesizer(synth)).toBe(true);
    expect(await pool.withSynthesizer(PARAMS, (s) => s.call(SENTENCE), null)).toBeInstanceOf(Buffer);
    await pool.shutdown(null);
  });

  it('refuses a non-object in place of options, and a fn that is not a function', async () => {
    const pool = makePool({ maxSize: 1 });
    for (const options of [1, 'x', true]) {
      expect(await rejection(pool.borrowSynthesizer(PARAMS, options as never))).toBeInstanceOf(
        InvalidOptionError,
      );
      expect(await rejection(pool.ready(options as never))).toBeInstanceOf(InvalidOptionError);
    }
    expect(await rejection(pool.withSynthesizer(PARAMS, 'fn' as never))).toBeInstanceOf(
      InvalidParameterError,
    );
    expect(await rejection(pool.shutdown({ graceMs: -1 }))).toBeInstanceOf(InvalidOptionError);
    expect(pool.stats().borrowed).toBe(0);
  });
});

describe('callbacks', () => {
  it('refuses a callback that is not an object of functions, before anything is sent', async () => {
    const pool = makePool({ maxSize: 1 });
    await pool.ready();
    const messages = server.stats().messagesReceived;
    for (const callback of BAD_CALLBACKS) {
      const error = await rejection(pool.borrowSynthesizer({ ...PARAMS, callback } as never));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toMatch(/^callback/);
      expect(
        () => new SpeechSynthesizer({ ...PARAMS, url: server.url, apiKey: KEY, callback } as never),
      ).toThrow(InvalidOptionError);
    }
    const synth = await pool.borrowSynthesizer(PARAMS);
    for (const callback of BAD_CALLBACKS) {
      expect(() => synth.setCallback(callback as never)).toThrow(InvalidOptionError);
      expect(() => synth.updateParams({ ...PARAMS, callback } as never)).toThrow(InvalidOptionError);
    }
    expect(server.stats().messagesReceived).toBe(messages);
    // Nothing changed: the synthesizer still collects the audio itself.
    expect((await synth.call(SENTENCE))!.length).toBeGreaterThan(0);
    expect(await pool.returnSynthesizer(synth)).toBe(true);
  });
});

describe('bounds', () => {
  it('refuses timeouts Node cannot arm (over 2^31-1 ms)', async () => {
    const pool = makePool({ maxSize: 1 });
    expect(await rejection(pool.borrowSynthesizer(PARAMS, { timeoutMs: TOO_LONG_MS }))).toBeInstanceOf(
      InvalidOptionError,
    );
    expect(await rejection(pool.ready({ timeoutMs: TOO_LONG_MS }))).toBeInstanceOf(InvalidOptionError);
    expect(await rejection(pool.shutdown({ graceMs: TOO_LONG_MS }))).toBeInstanceOf(InvalidOptionError);
    for (const option of ['acquireTimeoutMs', 'abandonedAfterMs', 'maintenanceIntervalMs']) {
      expect(() => makePool({ [option]: TOO_LONG_MS })).toThrow(InvalidOptionError);
    }
    // The largest delay Node can arm is fine.
    const synth = await pool.borrowSynthesizer(PARAMS, { timeoutMs: 2 ** 31 - 1 });
    expect(await pool.returnSynthesizer(synth)).toBe(true);
  });

  it('bounds maxSize and connectConcurrency, and makes connections only as fast as it may open them', async () => {
    for (const maxSize of [1e9, MAX_POOL_SIZE + 1, 1n, Number.POSITIVE_INFINITY]) {
      const startedAt = performance.now();
      expect(() => makePool({ maxSize: maxSize as number })).toThrow(InvalidOptionError);
      expect(performance.now() - startedAt).toBeLessThan(1_000);
    }
    expect(() => makePool({ connectConcurrency: 1_001 })).toThrow(InvalidOptionError);
    // The largest pool, aimed at a port that refuses: only connectConcurrency synthesizers exist
    // at once, not maxSize of them.
    const pool = makePool({
      url: 'ws://127.0.0.1:9/api-ws/v1/inference',
      maxSize: MAX_POOL_SIZE,
      connectConcurrency: 4,
    });
    for (let i = 0; i < 10; i++) {
      expect(pool.stats().size).toBeLessThanOrEqual(4);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
});
