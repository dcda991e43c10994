/**
 * What a Sambert synthesizer refuses before anything is sent (bad parameters, bad text, the
 * streaming methods, CosyVoice's getTimestamps), and how its tasks end when cut short (abort,
 * streamingCancel, timeout): no promise hangs, and the synthesizer takes the next task.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortError,
  InvalidParameterError,
  TaskTimeoutError,
  UnsupportedOperationError,
} from '../../src/errors/index.js';
import { AudioFormat } from '../../src/params.js';
import { startLocalServer, type LocalServer } from '../../src/server/index.js';
import type { SambertSynthesizerOptions } from '../../src/synthesizer/options.js';
import { SpeechSynthesizer } from '../../src/synthesizer/speech-synthesizer.js';
import { KEY, rejection, useLocalServer } from './helpers.js';

const fixture = useLocalServer();
const MODEL = 'sambert-zhichu-v1';

function sambert(
  options: Partial<SambertSynthesizerOptions> = {},
  url = fixture.server.url,
): SpeechSynthesizer {
  return new SpeechSynthesizer({ model: MODEL, url, apiKey: KEY, ...options });
}

/** Connections accepted and messages received by the server so far. */
function traffic(server: LocalServer = fixture.server): { connections: number; messages: number } {
  const stats = server.stats();
  return { connections: stats.connectionsAccepted, messages: stats.messagesReceived };
}

const BAD: Array<[string, Record<string, unknown>, string]> = [
  ['a voice', { voice: 'longanyang' }, 'voice'],
  ['opus', { format: 'opus' }, 'format'],
  ['44.1 kHz', { format: 'wav', sampleRate: 44100 }, 'sampleRate'],
  ['a nested 48 kHz', { format: AudioFormat.PCM_48000HZ_MONO_16BIT }, 'format.sampleRate'],
  ['volume -1', { volume: -1 }, 'volume'],
  ['speechRate 3', { speechRate: 3 }, 'speechRate'],
  ['pitchRate 0', { pitchRate: 0 }, 'pitchRate'],
  ['phonemes without words', { phonemeTimestampEnabled: true }, 'phonemeTimestampEnabled'],
  ['a CosyVoice seed', { seed: 7 }, 'seed'],
  ['additionalParams as a string', { additionalParams: 'x' }, 'additionalParams'],
];

describe('bad Sambert parameters send nothing', () => {
  it.each(BAD)('the constructor refuses %s', (_label, override, parameter) => {
    const before = traffic();
    const error = rejectionOf(() => sambert(override));
    expect(error).toBeInstanceOf(InvalidParameterError);
    expect((error as InvalidParameterError).parameter).toBe(parameter);
    expect(traffic()).toEqual(before);
  });

  it('updateParams refuses them on an open connection, keeps the old parameters, and the next call works', async () => {
    const synth = sambert({ format: 'pcm', sampleRate: 16000 });
    try {
      await synth.connect();
      const before = traffic();
      for (const [, override, parameter] of BAD) {
        const error = rejectionOf(() => synth.updateParams({ model: MODEL, ...override }));
        expect((error as InvalidParameterError).parameter).toBe(parameter);
      }
      expect(traffic()).toEqual(before);
      expect(synth.params).toMatchObject({ format: { format: 'pcm', sampleRate: 16000 } });
      const audio = (await synth.call('好。'))!;
      expect(audio.length).toBe(fixture.server.stats().bytesSentByTask.get(synth.getLastRequestId()!));
    } finally {
      await synth.close();
    }
  });

  it('call() refuses empty, blank and over-long text before connecting', async () => {
    const synth = sambert();
    try {
      const before = traffic();
      for (const text of ['', '  \n', '字'.repeat(10_001)]) {
        expect(await rejection(synth.call(text))).toBeInstanceOf(InvalidParameterError);
      }
      expect(() => synth.stream('')).toThrow(InvalidParameterError);
      expect(traffic()).toEqual(before);
      expect(synth.isConnected).toBe(false);
    } finally {
      await synth.close();
    }
  });

  it('a CosyVoice model refuses a flat sampleRate (it takes { format, sampleRate })', () => {
    const error = rejectionOf(
      () =>
        new SpeechSynthesizer({
          model: 'cosyvoice-v3-flash',
          voice: 'longanyang',
          sampleRate: 16000,
          url: fixture.server.url,
          apiKey: KEY,
        } as never),
    );
    expect((error as InvalidParameterError).parameter).toBe('sampleRate');
  });
});

describe('what a Sambert synthesizer does not have', () => {
  it('refuses streamingCall, streamingFlush and streamingComplete at once, saying why; nothing is sent', async () => {
    const synth = sambert();
    try {
      const before = traffic();
      for (const [operation, attempt] of [
        ['streamingCall', () => synth.streamingCall('你好。')],
        ['streamingFlush', () => synth.streamingFlush()],
        ['streamingComplete', () => synth.streamingComplete()],
      ] as const) {
        const error = await rejection(attempt());
        expect(error).toBeInstanceOf(UnsupportedOperationError);
        expect(error).toMatchObject({ code: 'DS_ERR_UNSUPPORTED_OPERATION', operation, model: MODEL });
        expect((error as Error).message).toMatch(/whole text in one message.*call\(text\) or stream\(text\)/);
      }
      expect(traffic()).toEqual(before);
      expect(synth.isConnected).toBe(false);
    } finally {
      await synth.close();
    }
  });

  it('streams again once rebound to a CosyVoice model, and getTimestamps() is refused there', async () => {
    const synth = sambert({ format: 'pcm', sampleRate: 16000 });
    try {
      expect(synth.getTimestamps()).toEqual([]);
      await synth.call('先用 Sambert。');
      synth.updateParams({
        model: 'cosyvoice-v3-flash',
        voice: 'longanyang',
        format: AudioFormat.PCM_16000HZ_MONO_16BIT,
      });
      await synth.streamingCall('Then CosyVoice, ');
      await synth.streamingCall('streamed.');
      const audio = (await synth.streamingComplete())!;
      expect(audio.length).toBe(fixture.server.stats().bytesSentByTask.get(synth.getLastRequestId()!));
      expect(synth.tasksOnConnection).toBe(2);
      const error = rejectionOf(() => synth.getTimestamps());
      expect(error).toBeInstanceOf(UnsupportedOperationError);
      expect((error as Error).message).toMatch(/sentence-end events/);
    } finally {
      await synth.close();
    }
  });
});

describe('a Sambert task cut short (server paced at real time)', () => {
  let paced: LocalServer;
  const LONG = '这是一段很长的文字，用来测试取消。'.repeat(12);
  beforeAll(async () => {
    paced = await startLocalServer({ apiKey: KEY, engine: 'synthetic', pacing: { realTimeFactor: 1 } });
  });
  afterAll(() => paced.close());

  it('an abort rejects call() with AbortError at once, no more audio arrives, and the next task runs', async () => {
    const synth = sambert({ format: 'pcm', sampleRate: 16000 }, paced.url);
    try {
      const controller = new AbortController();
      let frames = 0;
      synth.on('data', () => {
        frames += 1;
        if (frames === 1) controller.abort(new Error('enough'));
      });
      const ended = new Promise<void>((resolve) => synth.once('close', () => resolve()));
      const error = await rejection(synth.call(LONG, { signal: controller.signal }));
      expect(error).toBeInstanceOf(AbortError);
      const framesAtAbort = frames;
      // The task ends as cancelled (not failed) once the socket is drained or closed.
      await ended;
      expect(synth.lastTaskOutcome).toBe('cancelled');
      expect(frames).toBe(framesAtAbort);
      // The server ends the task itself (drained) or the socket is closed: either way the next task runs.
      synth.removeAllListeners('data');
      const audio = (await synth.call('再来一句。'))!;
      expect(audio.length).toBe(paced.stats().bytesSentByTask.get(synth.getLastRequestId()!));
      expect(frames).toBe(framesAtAbort);
      expect(synth.lastTaskOutcome).toBe('finished');
    } finally {
      await synth.close();
    }
  });

  it('streamingCancel() during call() resolves, the call rejects with AbortError, and nothing hangs', async () => {
    const synth = sambert({ format: 'pcm', sampleRate: 16000 }, paced.url);
    try {
      const firstAudio = new Promise<void>((resolve) => synth.once('data', () => resolve()));
      const outcome = rejection(synth.call(LONG));
      await firstAudio;
      await synth.streamingCancel();
      expect(await outcome).toBeInstanceOf(AbortError);
      expect(synth.state).toBe('idle');
      expect(synth.lastTaskOutcome).toBe('cancelled');
      expect((await synth.call('好。'))!.length).toBeGreaterThan(0);
    } finally {
      await synth.close();
    }
  });

  it('timeoutMs fails the task with TaskTimeoutError, closes its socket, and the next task opens a new one', async () => {
    const synth = sambert({ format: 'pcm', sampleRate: 16000 }, paced.url);
    try {
      const before = paced.stats().connectionsAccepted;
      expect(await rejection(synth.call(LONG, { timeoutMs: 300 }))).toBeInstanceOf(TaskTimeoutError);
      expect(synth.isReusable()).toBe(false);
      expect((await synth.call('好。'))!.length).toBeGreaterThan(0);
      expect(paced.stats().connectionsAccepted - before).toBe(2);
    } finally {
      await synth.close();
    }
  });
});

function rejectionOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
