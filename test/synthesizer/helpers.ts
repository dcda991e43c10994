/** A real local server for synthesizer tests, and small helpers around a synthesizer. */
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { AudioFormat } from '../../src/params.js';
import { startLocalServer, type LocalServer } from '../../src/server/index.js';
import type { SpeechSynthesizerOptions } from '../../src/synthesizer/options.js';
import { SpeechSynthesizer } from '../../src/synthesizer/speech-synthesizer.js';

export const KEY = 'sk-test-0123456789abcdef0123456789';
export const SENTENCE = 'The quick brown fox jumps over the lazy dog.';

/** The local server of the current test file, started once, its faults cleared after each test. */
export interface ServerFixture {
  readonly server: LocalServer;
  /** A synthesizer bound to the server with the test key, a flash model and 16 kHz PCM. */
  synthesizer(options?: Partial<SpeechSynthesizerOptions>): SpeechSynthesizer;
  /** Runs `fn` with a fresh synthesizer and always closes it. */
  using<T>(
    options: Partial<SpeechSynthesizerOptions>,
    fn: (synth: SpeechSynthesizer) => Promise<T>,
  ): Promise<T>;
  /** Resolves with the info of the server's next `name` event. */
  waitForServerEvent(name: string): Promise<Record<string, unknown>>;
}

/** Starts a synthetic-speech local server for this test file (call at the top level). */
export function useLocalServer(): ServerFixture {
  let server: LocalServer | undefined;
  beforeAll(async () => {
    server = await startLocalServer({ apiKey: KEY, engine: 'synthetic' });
  });
  afterEach(() => server?.faults.clearFaults());
  afterAll(() => server?.close());
  const fixture: ServerFixture = {
    get server(): LocalServer {
      if (!server) throw new Error('the local server is not started yet');
      return server;
    },
    synthesizer: (options = {}) =>
      new SpeechSynthesizer({
        model: 'cosyvoice-v3-flash',
        voice: 'longanyang',
        format: AudioFormat.PCM_16000HZ_MONO_16BIT,
        url: fixture.server.url,
        apiKey: KEY,
        ...options,
      }),
    using: async (options, fn) => {
      const synth = fixture.synthesizer(options);
      try {
        return await fn(synth);
      } finally {
        await synth.close();
      }
    },
    waitForServerEvent: (name) =>
      once(fixture.server.events, name).then(([info]) => info as Record<string, unknown>),
  };
  return fixture;
}

export { rejection } from '../helpers/promises.js';
