import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../src/server/index.js';
import {
  cancelTask,
  connect,
  continueTask,
  finishTask,
  flushTask,
  runTask,
  synthesize,
  taskId,
  transcript,
  type TestClient,
} from './helpers.js';

let server: LocalServer;
const clients: TestClient[] = [];

async function open(url = server.url, headers?: Record<string, string>): Promise<TestClient> {
  const client = await connect(url, headers);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  server = await startLocalServer({ engine: 'synthetic' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server.close();
});

describe('endpoint and handshake', () => {
  it('reports ws and http URLs on 127.0.0.1 and the engine', () => {
    expect(server.url).toBe(`ws://127.0.0.1:${server.port}/api-ws/v1/inference`);
    expect(server.httpBaseUrl).toBe(`http://127.0.0.1:${server.port}/api/v1`);
    expect(server.engine).toBe('synthetic');
  });

  it('accepts both URL forms (with and without the trailing slash)', async () => {
    const a = await open(server.url);
    const b = await open(`${server.url}/`);
    await synthesize(a, ['一。']);
    await synthesize(b, ['二。']);
    expect(a.events.at(-1)!.header.event).toBe('task-finished');
    expect(b.events.at(-1)!.header.event).toBe('task-finished');
  });

  it('refuses other paths with 404 before the upgrade', async () => {
    const url = server.url.replace('/api-ws/v1/inference', '/api-ws/v1/other');
    await expect(connect(url)).rejects.toMatchObject({ status: 404 });
  });

  it('refuses a missing Authorization header with 401 and a JSON body', async () => {
    const error = (await connect(server.url, {}).catch((e: unknown) => e)) as {
      status: number;
      body: string;
    };
    expect(error.status).toBe(401);
    const body = JSON.parse(error.body) as Record<string, string>;
    expect(body.code).toBe('InvalidApiKey');
    expect(body.message).toBe('Invalid API-key provided.');
    expect(typeof body.request_id).toBe('string');
  });
});

describe('one task (test vectors)', () => {
  it('V1: Python call() shape gives started, begin, (synthesis + binary)×k, end, finished', async () => {
    const client = await open();
    const id = taskId();
    client.send(runTask(id, { enable_ssml: true, sample_rate: 16000, format: 'pcm' }));
    const started = await client.waitForEvent('task-started');
    expect(started).toEqual({ header: { task_id: id, event: 'task-started', attributes: {} }, payload: {} });
    client.send(
      continueTask(id, '你好，欢迎光临。', {
        model: 'cosyvoice-v3-flash',
        task_group: 'audio',
        task: 'tts',
        function: 'SpeechSynthesizer',
      }),
    );
    client.send(finishTask(id));
    const end = await client.waitForEnd(id);
    expect(end.header.event).toBe('task-finished');
    expect(end.payload).toEqual({ output: {}, usage: { characters: 14 } });

    const seq = transcript(client);
    expect(seq[0]).toBe('task-started');
    expect(seq[1]).toBe('sentence-begin');
    expect(seq.at(-2)).toBe('sentence-end');
    expect(seq.at(-1)).toBe('task-finished');
    const middle = seq.slice(2, -2);
    expect(middle.length).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < middle.length; i += 2)
      expect(middle.slice(i, i + 2)).toEqual(['sentence-synthesis', '#']);

    for (const e of client.events) {
      expect(e.header.attributes).toEqual({});
      expect(typeof e.payload).toBe('object');
      expect(e.header.task_id).toBe(id);
    }
    const begin = client.events[1]!;
    expect(begin.payload.output).toEqual({
      type: 'sentence-begin',
      sentence: { index: 0, words: [] },
      original_text: '你好，欢迎光临。',
    });
    const endEvent = client.events.at(-2)!;
    expect(endEvent.payload.usage).toEqual({ characters: 14 });
    expect(endEvent.payload.output?.original_text).toBe('你好，欢迎光临。');
  });

  it('V2: buffers an incomplete tail until finish, usage is cumulative', async () => {
    const client = await open();
    const id = taskId();
    client.send(runTask(id));
    await client.waitForEvent('task-started');
    client.send(continueTask(id, '今天天气不错。'));
    await client.waitForEvent('result-generated', 'sentence-end');
    client.send(continueTask(id, '我们去'));
    client.send(continueTask(id, '公园散步吧'));
    // Nothing may be synthesized for the incomplete tail: a marker task on another socket is not
    // needed, the server processes in order, so a flush-free wait shows no new sentence-begin.
    await new Promise((r) => setTimeout(r, 100));
    expect(client.events.filter((e) => e.payload.output?.type === 'sentence-begin')).toHaveLength(1);
    client.send(finishTask(id));
    const end = await client.waitForEnd(id);
    expect(end.payload.usage).toEqual({ characters: 29 });
    const ends = client.events.filter((e) => e.payload.output?.type === 'sentence-end');
    expect(
      ends.map((e) => [e.payload.output?.sentence?.index, e.payload.output?.original_text, e.payload.usage]),
    ).toEqual([
      [0, '今天天气不错。', { characters: 13 }],
      [1, '我们去公园散步吧', { characters: 29 }],
    ]);
  });

  it('V3: flush synthesizes the buffered tail and keeps the task open', async () => {
    const client = await open();
    const id = taskId();
    client.send(runTask(id));
    client.send(continueTask(id, '请稍等'));
    client.send(flushTask(id));
    await client.waitForEvent('result-generated', 'sentence-end');
    expect(client.events.at(-1)!.payload.usage).toEqual({ characters: 6 });
    client.send(continueTask(id, '，马上就好。'));
    client.send(finishTask(id));
    const end = await client.waitForEnd(id);
    expect(end.header.event).toBe('task-finished');
    const ends = client.events.filter((e) => e.payload.output?.type === 'sentence-end');
    expect(ends.map((e) => e.payload.usage?.characters)).toEqual([6, 16]);
    expect(ends[1]!.payload.output?.original_text).toBe('，马上就好。');
  });

  it('V6: one socket runs consecutive tasks, and a task may change format and voice', async () => {
    const client = await open();
    const first = await synthesize(client, ['第一段。']);
    expect(first.end.header.event).toBe('task-finished');
    const second = await synthesize(client, ['Second part.'], {
      voice: 'loongstella',
      format: 'wav',
      sample_rate: 24000,
    });
    expect(second.end.header.event).toBe('task-finished');
    const secondAudio = Buffer.concat(
      client.frames
        .slice(client.frames.findIndex((f) => f.type === 'text' && f.json.header.task_id === second.id))
        .flatMap((f) => (f.type === 'binary' ? [f.data] : [])),
    );
    expect(secondAudio.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(secondAudio.readUInt32LE(24)).toBe(24000);
  });

  it('V8: Java eager start (36-char id, parameters repeated, no wait for task-started) is queued', async () => {
    const client = await open();
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const parameters = {
      voice: 'longxiaochun_v2',
      format: 'Default',
      sample_rate: 0,
      pre_task_id: id,
      enable_ssml: false,
      word_timestamp_enabled: false,
      phoneme_timestamp_enabled: false,
      text_type: 'PlainText',
      volume: 50,
      rate: 1.0,
      pitch: 1.0,
    };
    client.send(runTask(id, parameters));
    client.send(
      continueTask(id, '你好。', {
        model: 'cosyvoice-v2',
        task_group: 'audio',
        task: 'tts',
        function: 'SpeechSynthesizer',
        parameters,
      }),
    );
    client.send(finishTask(id));
    const end = await client.waitForEnd(id);
    expect(end.header.event).toBe('task-finished');
    expect(end.header.task_id).toBe(id);
    expect(transcript(client)[0]).toBe('task-started');
    // Default/0 mean mp3 at 22050 Hz: the first frame starts with an MPEG-2 layer III header.
    const audio = client.audio();
    expect(audio[0]).toBe(0xff);
    expect(audio[1]! & 0xe0).toBe(0xe0);
  });

  it('ignores unknown parameters and accepts the lower-case bearer scheme', async () => {
    const client = await open(server.url, { authorization: 'bearer whatever' });
    const { end } = await synthesize(client, ['Hello.'], {
      brand_new_option: { nested: true },
      style: 3,
      hot_fix: {},
    });
    expect(end.header.event).toBe('task-finished');
  });

  it('segments on terminal punctuation, semicolons and newlines', async () => {
    const client = await open();
    await synthesize(client, ['One. Two! Three? 四。五；Six;\nSeven\nEight']);
    const texts = client.events
      .filter((e) => e.payload.output?.type === 'sentence-begin')
      .map((e) => e.payload.output?.original_text);
    expect(texts).toEqual(['One.', 'Two!', 'Three?', '四。', '五；', 'Six;', 'Seven', 'Eight']);
    expect(
      client.events
        .filter((e) => e.payload.output?.type === 'sentence-end')
        .map((e) => e.payload.output?.sentence?.index),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('fills word timestamps when word_timestamp_enabled is set', async () => {
    const client = await open();
    await synthesize(client, ['Hello big world.'], { word_timestamp_enabled: true });
    const end = client.events.find((e) => e.payload.output?.type === 'sentence-end')!;
    const words = end.payload.output!.sentence!.words;
    expect(words.map((w) => w.text)).toEqual(['Hello', 'big', 'world']);
    expect(words.map((w) => [w.begin_index, w.end_index])).toEqual([
      [0, 5],
      [6, 9],
      [10, 15],
    ]);
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      expect(w.end_time as number).toBeGreaterThan(w.begin_time as number);
      if (i > 0) expect(w.begin_time as number).toBeGreaterThanOrEqual(words[i - 1]!.end_time as number);
    }
    // Without the flag the words stay empty.
    const plain = await open();
    await synthesize(plain, ['Hello big world.']);
    expect(
      plain.events.find((e) => e.payload.output?.type === 'sentence-end')!.payload.output!.sentence!.words,
    ).toEqual([]);
  });
});

describe('cancel', () => {
  it('V7a: answers task-finished at once, sends no more audio, and the socket is reusable', async () => {
    const client = await open();
    const id = taskId();
    client.send(runTask(id));
    await client.waitForEvent('task-started');
    client.send(continueTask(id, '很长的一段文字。'.repeat(30)));
    await client.waitFor(() => client.frames.some((f) => f.type === 'binary'), 'first audio');
    client.send(cancelTask(id));
    const end = await client.waitForEnd(id);
    expect(end.header.event).toBe('task-finished');
    expect(end.payload.output).toEqual({});
    const finishedAt = client.frames.findIndex(
      (f) => f.type === 'text' && f.json.header.event === 'task-finished',
    );
    // Reuse: a new task on the same socket, and nothing of the old task after its task-finished.
    const next = await synthesize(client, ['再来一次。']);
    expect(next.end.header.event).toBe('task-finished');
    const after = client.frames.slice(finishedAt + 1);
    const nextStart = after.findIndex((f) => f.type === 'text' && f.json.header.task_id === next.id);
    expect(nextStart).toBe(0);
    expect(client.events.filter((e) => e.header.task_id === id).at(-1)!.header.event).toBe('task-finished');
    expect(server.stats().tasks.cancelled).toBeGreaterThanOrEqual(1);
  });

  it('a cancel pre-empts a long text already being synthesized', async () => {
    const client = await open();
    const id = taskId();
    client.send(runTask(id));
    await client.waitForEvent('task-started');
    client.send(continueTask(id, '一句。'.repeat(1000)));
    // Cancel only once synthesis is under way: the server must read it between sentences.
    await client.waitForEvent('result-generated', 'sentence-end');
    client.send(cancelTask(id));
    const end = await client.waitForEnd(id);
    expect(end.header.event).toBe('task-finished');
    const ends = client.events.filter((e) => e.payload.output?.type === 'sentence-end');
    expect(ends.length).toBeLessThan(500);
    const finishedAt = client.frames.findIndex(
      (f) => f.type === 'text' && f.json.header.event === 'task-finished',
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(client.frames).toHaveLength(finishedAt + 1);
  });

  it('cancel before any text finishes the task with zero characters', async () => {
    const client = await open();
    const id = taskId();
    client.send(runTask(id));
    client.send(cancelTask(id));
    const end = await client.waitForEnd(id);
    expect(end.header.event).toBe('task-finished');
    expect(client.frames.filter((f) => f.type === 'binary')).toHaveLength(0);
  });
});

describe('Sambert (streaming "out")', () => {
  it('V9: text in run-task, begin/end times on every result, the server ends the task', async () => {
    const client = await open();
    const id = taskId();
    client.send({
      header: { streaming: 'out', task_id: id, action: 'run-task' },
      payload: {
        model: 'sambert-zhichu-v1',
        task: 'tts',
        task_group: 'audio',
        function: 'SpeechSynthesizer',
        parameters: {
          text_type: 'PlainText',
          format: 'wav',
          sample_rate: 16000,
          volume: 50,
          rate: 1.0,
          pitch: 1.0,
          word_timestamp_enabled: true,
          phoneme_timestamp_enabled: true,
          stream: true,
        },
        input: { text: '欢迎使用。语音合成。' },
      },
    });
    const end = await client.waitForEnd(id);
    expect(end).toEqual({ header: { task_id: id, event: 'task-finished', attributes: {} }, payload: {} });
    // Each sentence is sent twice, as it grows: first without words (end = begin), then whole.
    const results = client.events.filter((e) => e.header.event === 'result-generated');
    expect(results).toHaveLength(4);
    const sentences = results.map((r) => r.payload.output!.sentence!);
    expect(sentences[0]).toEqual({ begin_time: 0, end_time: 0, words: [] });
    expect(results[0]!.payload.usage).toBeUndefined();
    expect(sentences[1]!.begin_time).toBe(0);
    expect(sentences[1]!.end_time).toBeGreaterThan(0);
    expect(sentences[2]).toEqual({
      begin_time: sentences[1]!.end_time,
      end_time: sentences[1]!.end_time,
      words: [],
    });
    expect(sentences[3]!.begin_time).toBe(sentences[1]!.end_time);
    expect(results[3]!.payload.usage).toEqual({ characters: 18 });
    expect(sentences[1]!.words.map((w) => w.text)).toEqual(['欢', '迎', '使', '用']);
    // phoneme_timestamp_enabled: every word carries its phonemes, which tile the word's time.
    for (const word of [...sentences[1]!.words, ...sentences[3]!.words]) {
      const phonemes = word.phonemes as Array<{
        text: string;
        begin_time: number;
        end_time: number;
        tone: string;
      }>;
      expect(phonemes.length).toBeGreaterThan(0);
      expect(phonemes[0]!.begin_time).toBe(word.begin_time);
      expect(phonemes.at(-1)!.end_time).toBe(word.end_time);
      expect(typeof phonemes[0]!.tone).toBe('string');
    }
    expect(client.audio().subarray(0, 4).toString('latin1')).toBe('RIFF');
  });

  it('V9 without phoneme_timestamp_enabled: words come with empty phoneme lists', async () => {
    const client = await open();
    const id = taskId();
    client.send({
      header: { streaming: 'out', task_id: id, action: 'run-task' },
      payload: {
        model: 'sambert-zhichu-v1',
        task: 'tts',
        task_group: 'audio',
        function: 'SpeechSynthesizer',
        parameters: { format: 'pcm', sample_rate: 8000, word_timestamp_enabled: true },
        input: { text: 'Hello there.' },
      },
    });
    await client.waitForEnd(id);
    const words = client.events
      .filter((e) => e.header.event === 'result-generated')
      .flatMap((e) => e.payload.output!.sentence!.words);
    expect(words.map((w) => w.text)).toEqual(['Hello', 'there']);
    for (const word of words) expect(word.phonemes).toEqual([]);
  });
});
