/**
 * A Sambert model through SpeechSynthesizer, against the local server: the audio and the
 * timestamps of call() and stream() byte for byte against a plain `ws` client's, the callbacks
 * and events in order, every parameter on the wire, and the task shape (one run-task, nothing
 * after it).
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { countCharacters } from '../../src/params.js';
import type { SambertSentence } from '../../src/protocol-sambert.js';
import type { SambertSynthesizerOptions } from '../../src/synthesizer/options.js';
import { SpeechSynthesizer } from '../../src/synthesizer/speech-synthesizer.js';
import { patchWavSizes } from '../../src/wav.js';
import { connect, taskId, type ServerMessage } from '../server/helpers.js';
import { KEY, useLocalServer } from './helpers.js';

const fixture = useLocalServer();
const TEXT = '欢迎使用语音合成。Sambert speaks English too.';
const MODEL = 'sambert-zhichu-v1';

function sambert(options: Partial<SambertSynthesizerOptions> = {}): SpeechSynthesizer {
  return new SpeechSynthesizer({ model: MODEL, url: fixture.server.url, apiKey: KEY, ...options });
}

/** The messages the server receives while `fn` runs. */
async function received(fn: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const messages: Array<Record<string, unknown>> = [];
  const listener = (info: { message: Record<string, unknown> }): void => void messages.push(info.message);
  fixture.server.events.on('client-message', listener);
  try {
    await fn();
  } finally {
    fixture.server.events.off('client-message', listener);
  }
  return messages;
}

/** What a plain `ws` client gets for the same run-task: the frames, and the timestamps merged as Python does. */
async function reference(parameters: Record<string, unknown>, text = TEXT) {
  const client = await connect(fixture.server.url, { Authorization: `Bearer ${KEY}` });
  try {
    const id = taskId();
    client.send({
      header: { action: 'run-task', task_id: id, streaming: 'out' },
      payload: {
        model: MODEL,
        task_group: 'audio',
        task: 'tts',
        function: 'SpeechSynthesizer',
        input: { text },
        parameters,
      },
    });
    expect((await client.waitForEnd(id)).header.event).toBe('task-finished');
    return { audio: client.audio(), timestamps: pythonTimestamps(client.events) };
  } finally {
    client.close();
  }
}

/** The Python v1 SDK's get_timestamps(), in this library's camelCase. */
function pythonTimestamps(events: ServerMessage[]): SambertSentence[] {
  type Raw = { begin_time: number; end_time: number; words: Array<Record<string, unknown>> };
  const timestamps: Raw[] = [];
  for (const event of events) {
    const sentence = event.payload.output?.sentence as Raw | undefined;
    if (event.header.event !== 'result-generated' || !sentence) continue;
    const last = timestamps.at(-1);
    if (last && last.begin_time === sentence.begin_time) {
      if (last.end_time !== sentence.end_time) timestamps[timestamps.length - 1] = sentence;
    } else timestamps.push(sentence);
  }
  type RawTimed = {
    text: string;
    begin_time: number;
    end_time: number;
    tone?: string;
    phonemes?: RawTimed[];
  };
  return timestamps.map((s) => ({
    beginTime: s.begin_time,
    endTime: s.end_time,
    words: (s.words as unknown as RawTimed[]).map((w) => ({
      text: w.text,
      beginTime: w.begin_time,
      endTime: w.end_time,
      phonemes: (w.phonemes ?? []).map((p) => ({
        text: p.text,
        beginTime: p.begin_time,
        endTime: p.end_time,
        tone: p.tone,
      })),
    })),
  }));
}

describe('Sambert call()', () => {
  it('resolves to the same PCM bytes and timestamps a plain ws client gets, and the server sent', async () => {
    const synth = sambert({
      format: 'pcm',
      sampleRate: 16000,
      wordTimestampEnabled: true,
      phonemeTimestampEnabled: true,
    });
    try {
      const audio = (await synth.call(TEXT))!;
      const expected = await reference({
        text_type: 'PlainText',
        format: 'pcm',
        sample_rate: 16000,
        word_timestamp_enabled: true,
        phoneme_timestamp_enabled: true,
      });
      expect(audio.length).toBeGreaterThan(10_000);
      expect(audio.equals(expected.audio)).toBe(true);
      expect(audio.length).toBe(fixture.server.stats().bytesSentByTask.get(synth.getLastRequestId()!));
      const timestamps = synth.getTimestamps();
      expect(timestamps).toEqual(expected.timestamps);
      // Two sentences, each sent twice by the server (growing): merged into one entry each.
      expect(timestamps).toHaveLength(2);
      expect(timestamps[0]!.beginTime).toBe(0);
      expect(timestamps[1]!.beginTime).toBe(timestamps[0]!.endTime);
      expect(timestamps[0]!.words.map((w) => w.text)).toEqual([
        '欢',
        '迎',
        '使',
        '用',
        '语',
        '音',
        '合',
        '成',
      ]);
      expect(timestamps[1]!.words.map((w) => w.text)).toEqual(['Sambert', 'speaks', 'English', 'too']);
      for (const word of timestamps.flatMap((s) => s.words)) {
        expect(word.phonemes.length).toBeGreaterThan(0);
        expect(word.phonemes[0]!.beginTime).toBe(word.beginTime);
        expect(word.phonemes.at(-1)!.endTime).toBe(word.endTime);
      }
      expect(synth.getTaskMetrics()).toMatchObject({
        outcome: 'finished',
        billedCharacters: countCharacters(TEXT),
      });
      expect(synth.isReusable()).toBe(true);
    } finally {
      await synth.close();
    }
  });

  it('returns a WAV (the default, 16 kHz) with its exact RIFF sizes, else the bytes a ws client gets', async () => {
    const synth = sambert();
    try {
      const wav = (await synth.call(TEXT))!;
      const expected = await reference({ text_type: 'PlainText', format: 'wav', sample_rate: 16000 });
      expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
      expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
      expect(wav.readUInt32LE(24)).toBe(16000);
      expect(wav.equals(patchWavSizes(expected.audio))).toBe(true);
      // Without word timestamps the sentences still come, with empty word lists.
      const timestamps = synth.getTimestamps();
      expect(timestamps).toEqual(expected.timestamps);
      expect(timestamps.map((s) => s.words)).toEqual([[], []]);
    } finally {
      await synth.close();
    }
  });

  it('calls back and emits in the documented order, with first-packet delay and request id', async () => {
    const order: string[] = [];
    const chunks: Buffer[] = [];
    const callback = {
      onOpen: () => order.push('open'),
      onEvent: (message: string) =>
        order.push(`event:${(JSON.parse(message) as { header: { event: string } }).header.event}`),
      onData: (data: Buffer) => {
        order.push('data');
        chunks.push(data);
      },
      onComplete: () => order.push('complete'),
      onError: () => order.push('error'),
      onClose: () => order.push('close'),
    };
    const synth = sambert({ format: 'mp3', sampleRate: 22050, callback });
    const emitted: string[] = [];
    for (const name of ['open', 'event', 'data', 'complete', 'error', 'close'] as const) {
      synth.on(name, () => emitted.push(name));
    }
    const started = fixture.waitForServerEvent('task-started');
    try {
      expect(await synth.call(TEXT)).toBeNull();
      const serverTaskId = (await started).taskId;
      expect(synth.getLastRequestId()).toMatch(/^[0-9a-f]{32}$/);
      expect(synth.getLastRequestId()).toBe(serverTaskId);
      expect(order.slice(0, 2)).toEqual(['event:task-started', 'open']);
      expect(order.slice(-3)).toEqual(['event:task-finished', 'complete', 'close']);
      expect(order).not.toContain('error');
      // A sentence's first sending comes before its audio, the whole sentence after it.
      expect(order[2]).toBe('event:result-generated');
      expect(order[3]).toBe('data');
      expect(emitted).toEqual(order.map((o) => (o.startsWith('event:') ? 'event' : o)));
      const audio = Buffer.concat(chunks);
      expect(audio.length).toBe(fixture.server.stats().bytesSentByTask.get(serverTaskId as string));
      expect(audio.subarray(0, 3).toString('latin1') === 'ID3' || audio[0] === 0xff).toBe(true);
      const delay = synth.getFirstPackageDelay();
      expect(delay).toBeGreaterThan(0);
      expect(delay).toBeLessThanOrEqual(synth.getTaskMetrics()!.totalMs!);
      expect(synth.getResponse()).toMatchObject({
        header: { event: 'task-finished', task_id: serverTaskId },
      });
    } finally {
      await synth.close();
    }
  });

  it('stream(text) yields the bytes the server sent, on the same connection as call()', async () => {
    const synth = sambert({ format: 'pcm', sampleRate: 8000 });
    try {
      await synth.call('第一句。');
      const chunks: Buffer[] = [];
      for await (const chunk of synth.stream(TEXT)) chunks.push(chunk as Buffer);
      const audio = Buffer.concat(chunks);
      expect(audio.length).toBeGreaterThan(1000);
      expect(audio.length).toBe(fixture.server.stats().bytesSentByTask.get(synth.getLastRequestId()!));
      expect(synth.tasksOnConnection).toBe(2);
      expect(synth.getTimestamps()).toHaveLength(2);
    } finally {
      await synth.close();
    }
  });
});

describe('Sambert on the wire', () => {
  it('sends one run-task with streaming "out", the text in input, and every parameter (flat format)', async () => {
    const synth = sambert({
      format: 'mp3',
      sampleRate: 24000,
      volume: 80,
      speechRate: 1.25,
      pitchRate: 0.75,
      wordTimestampEnabled: true,
      phonemeTimestampEnabled: true,
      additionalParams: { custom_key: 'x', volume: 81 },
    });
    try {
      const messages = await received(() => synth.call(TEXT));
      expect(messages).toHaveLength(1);
      const message = messages[0] as { header: Record<string, unknown>; payload: Record<string, unknown> };
      expect(message.header).toEqual({
        action: 'run-task',
        task_id: synth.getLastRequestId(),
        streaming: 'out',
      });
      expect(message.payload).toEqual({
        model: MODEL,
        task_group: 'audio',
        task: 'tts',
        function: 'SpeechSynthesizer',
        input: { text: TEXT },
        parameters: {
          text_type: 'PlainText',
          format: 'mp3',
          sample_rate: 24000,
          volume: 81,
          rate: 1.25,
          pitch: 0.75,
          word_timestamp_enabled: true,
          phoneme_timestamp_enabled: true,
          custom_key: 'x',
        },
      });
    } finally {
      await synth.close();
    }
  });

  it('sends the nested format the same way, and no continue-task or finish-task with eagerStart off', async () => {
    const synth = sambert({ format: { format: 'pcm', sampleRate: 22050 }, eagerStart: false });
    try {
      const messages = await received(() => synth.call('一句话。'));
      expect(messages.map((m) => (m.header as { action: string }).action)).toEqual(['run-task']);
      expect((messages[0]!.payload as { parameters: unknown }).parameters).toEqual({
        text_type: 'PlainText',
        format: 'pcm',
        sample_rate: 22050,
        volume: 50,
        rate: 1,
        pitch: 1,
      });
      expect(synth.params).toMatchObject({ model: MODEL, format: { format: 'pcm', sampleRate: 22050 } });
      expect(String(synth)).toBe(`SpeechSynthesizer(${MODEL}, idle)`);
    } finally {
      await synth.close();
    }
  });

  it('retries a throttled task on a fresh connection, sending the whole text again under a new id', async () => {
    const synth = sambert({ format: 'pcm', sampleRate: 16000, retry: { throttling: 1, initialDelayMs: 1 } });
    try {
      await synth.connect();
      fixture.server.faults.injectTaskFault('throttle');
      const messages = await received(() => synth.call(TEXT));
      expect(messages).toHaveLength(2);
      const [first, second] = messages.map(
        (m) => m as { header: { task_id: string }; payload: { input: unknown } },
      );
      expect(first!.payload.input).toEqual({ text: TEXT });
      expect(second!.payload.input).toEqual({ text: TEXT });
      expect(second!.header.task_id).not.toBe(first!.header.task_id);
      expect(synth.getTaskMetrics()).toMatchObject({ outcome: 'finished', attempts: 2 });
      const audio = (await synth.call(TEXT))!;
      expect(audio.length).toBe(fixture.server.stats().bytesSentByTask.get(synth.getLastRequestId()!));
    } finally {
      await synth.close();
    }
  });
});

describe('the types of a Sambert synthesizer', () => {
  it('type call() by the callback and refuse a misspelt option, like CosyVoice (checked by tsc)', async () => {
    const plain = new SpeechSynthesizer({
      url: fixture.server.url,
      apiKey: KEY,
      model: MODEL,
      format: 'pcm',
      sampleRate: 8000,
    });
    const withCallback = new SpeechSynthesizer({
      url: fixture.server.url,
      apiKey: KEY,
      model: MODEL,
      callback: {},
    });
    try {
      expectTypeOf(plain.call).returns.resolves.toEqualTypeOf<Buffer>();
      expectTypeOf(withCallback.call).returns.resolves.toEqualTypeOf<null>();
      expectTypeOf(plain).toExtend<SpeechSynthesizer>();
      expectTypeOf(plain.getTimestamps).returns.toEqualTypeOf<SambertSentence[]>();
      expect((await plain.call('好。')).length).toBeGreaterThan(0);
      expect(await withCallback.call('好。')).toBeNull();
      const misspelt = new SpeechSynthesizer({
        url: fixture.server.url,
        apiKey: KEY,
        model: MODEL,
        // @ts-expect-error: a misspelt option is a type error (and ignored at run time).
        phonemeTimestamps: true,
      });
      await misspelt.close();
    } finally {
      await Promise.all([plain.close(), withCallback.close()]);
    }
  });
});
