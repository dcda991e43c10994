/**
 * What `call()` is typed to resolve to follows the callback: `Buffer` without one, `null` with
 * one, `Buffer | null` when the type cannot tell. The `expectTypeOf` lines are checked by
 * `npm run typecheck` (tsc over test/); the runs check that the runtime agrees with the types.
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { SpeechSynthesizerObjectPool } from '../../src/pool/object-pool.js';
import { startLocalServer, type LocalServer } from '../../src/server/index.js';
import type { ResultCallback, SpeechSynthesizerOptions } from '../../src/synthesizer/options.js';
import { SpeechSynthesizer } from '../../src/synthesizer/speech-synthesizer.js';

let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer({ engine: 'synthetic' });
});
afterAll(() => server.close());

const params = { model: 'cosyvoice-v3-flash', voice: 'longanyang' };

describe('the type of call()', () => {
  it('is Buffer without a callback and null with one, as the runtime resolves', async () => {
    const plain = new SpeechSynthesizer({ url: server.url, apiKey: 'k', ...params });
    const frames: Buffer[] = [];
    const withCallback = new SpeechSynthesizer({
      url: server.url,
      apiKey: 'k',
      ...params,
      callback: { onData: (data) => frames.push(data) },
    });
    try {
      const audio = await plain.call('Hello.');
      expectTypeOf(audio).toEqualTypeOf<Buffer>();
      expect(audio.length).toBeGreaterThan(0);
      expectTypeOf(plain.streamingComplete).returns.resolves.toEqualTypeOf<Buffer>();
      await plain.streamingCall('Hello again.');
      expect((await plain.streamingComplete()).length).toBeGreaterThan(0);

      const nothing = await withCallback.call('Hello.');
      expectTypeOf(nothing).toEqualTypeOf<null>();
      expect(nothing).toBeNull();
      expect(frames.length).toBeGreaterThan(0);
    } finally {
      await Promise.all([plain.close(), withCallback.close()]);
    }
  });

  it('is Buffer | null when the options cannot tell, and every synthesizer fits the bare type', () => {
    const maybe: ResultCallback | undefined = undefined as ResultCallback | undefined;
    const options: SpeechSynthesizerOptions = { url: server.url, apiKey: 'k', ...params };
    const typed = new SpeechSynthesizer(options);
    const either = new SpeechSynthesizer({ url: server.url, apiKey: 'k', ...params, callback: maybe });
    expectTypeOf(typed.call).returns.resolves.toEqualTypeOf<Buffer | null>();
    expectTypeOf(either.call).returns.resolves.toEqualTypeOf<Buffer | null>();
    expectTypeOf<SpeechSynthesizer>().toHaveProperty('call').returns.resolves.toEqualTypeOf<Buffer | null>();

    const plain = new SpeechSynthesizer({ url: server.url, apiKey: 'k', ...params });
    const withCallback = new SpeechSynthesizer({ url: server.url, apiKey: 'k', ...params, callback: {} });
    expectTypeOf(plain).toExtend<SpeechSynthesizer>();
    expectTypeOf(withCallback).toExtend<SpeechSynthesizer>();
    expectTypeOf(withCallback).not.toExtend<typeof plain>();
    // A misspelt option is still a type error, although the constructor infers the options' type.
    // @ts-expect-error `volum` is not an option
    expect(() => new SpeechSynthesizer({ ...params, apiKey: 'k', url: server.url, volum: 50 })).not.toThrow();
    // Nothing connected: constructing opens no socket.
    expect([typed, either, plain, withCallback].every((s) => !s.isConnected)).toBe(true);
  });

  it('follows the callback of a borrow, in borrowSynthesizer and withSynthesizer', async () => {
    const pool = new SpeechSynthesizerObjectPool({ url: server.url, apiKey: 'k', maxSize: 1 });
    try {
      const audio = await pool.withSynthesizer(params, (s) => s.call('Hello.'));
      expectTypeOf(audio).toEqualTypeOf<Buffer>();
      expect(audio.length).toBeGreaterThan(0);

      const callback: ResultCallback = {};
      const nothing = await pool.withSynthesizer({ ...params, callback }, (s) => s.call('Hello.'));
      expectTypeOf(nothing).toEqualTypeOf<null>();
      expect(nothing).toBeNull();

      const synth = await pool.borrowSynthesizer(params);
      try {
        const borrowed = await synth.call('Hello.');
        expectTypeOf(borrowed).toEqualTypeOf<Buffer>();
        expect(borrowed.length).toBeGreaterThan(0);
      } finally {
        await pool.returnSynthesizer(synth);
      }
      // Never called: only its type is looked at.
      const borrowEither = (maybe: ResultCallback | undefined) =>
        pool.borrowSynthesizer({ ...params, callback: maybe });
      expectTypeOf(borrowEither).returns.resolves.toEqualTypeOf<SpeechSynthesizer>();
      const borrowWithCallback = () => pool.borrowSynthesizer({ ...params, callback: {} });
      expectTypeOf(borrowWithCallback).returns.resolves.not.toExtend<
        SpeechSynthesizer<SpeechSynthesizerOptions, Buffer>
      >();
    } finally {
      await pool.shutdown();
    }
  });
});
