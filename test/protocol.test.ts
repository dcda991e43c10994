import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../src/errors/index.js';
import {
  buildCancelTask,
  buildContinueTask,
  buildFinishTask,
  buildFlush,
  buildRunTask,
  newTaskId,
  parseServerEvent,
} from '../src/protocol.js';
import { AudioFormat, toWireParameters } from '../src/params.js';

const T = '5d0c3f6e2a9b4e71b8c4d2f0a1e3c5b7';

describe('client frame builders (docs/protocol.md, "Run-task" to "Cancel")', () => {
  it('builds run-task with the fixed payload fields, empty input and no text', () => {
    const wire = toWireParameters({
      model: 'cosyvoice-v3-flash',
      voice: 'longanyang',
      format: AudioFormat.PCM_16000HZ_MONO_16BIT,
    });
    const frame = JSON.parse(buildRunTask(T, 'cosyvoice-v3-flash', wire)) as Record<string, unknown>;
    expect(frame).toEqual({
      header: { action: 'run-task', task_id: T, streaming: 'duplex' },
      payload: {
        model: 'cosyvoice-v3-flash',
        task_group: 'audio',
        task: 'tts',
        function: 'SpeechSynthesizer',
        input: {},
        parameters: {
          voice: 'longanyang',
          text_type: 'PlainText',
          format: 'pcm',
          sample_rate: 16000,
          volume: 50,
          rate: 1,
          pitch: 1,
        },
      },
    });
  });

  it('builds continue-task, flush, finish-task and the cancel directive', () => {
    expect(JSON.parse(buildContinueTask(T, '今天天气不错，'))).toEqual({
      header: { action: 'continue-task', task_id: T, streaming: 'duplex' },
      payload: { input: { text: '今天天气不错，' } },
    });
    expect(JSON.parse(buildFlush(T))).toEqual({
      header: { action: 'continue-task', task_id: T, streaming: 'duplex' },
      payload: { input: { flush: true } },
    });
    expect(JSON.parse(buildFinishTask(T))).toEqual({
      header: { action: 'finish-task', task_id: T, streaming: 'duplex' },
      payload: { input: {} },
    });
    expect(JSON.parse(buildCancelTask(T))).toEqual({
      header: { action: 'finish-task', task_id: T, streaming: 'duplex' },
      payload: { input: { directive: 'cancel' } },
    });
  });

  it('escapes text safely in JSON', () => {
    const text = 'He said "hi"\n\\ <speak>';
    const frame = JSON.parse(buildContinueTask(T, text)) as { payload: { input: { text: string } } };
    expect(frame.payload.input.text).toBe(text);
  });

  it('makes a new 32-hex task id every time, a UUID v4 without its dashes', () => {
    // More than one batch of pooled random bytes.
    const ids = new Set(Array.from({ length: 1000 }, () => newTaskId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
  });

  it('builds each frame byte for byte as JSON.stringify of its header and payload would', () => {
    const reference = (action: string, id: string, payload: unknown): string =>
      JSON.stringify({ header: { action, task_id: id, streaming: 'duplex' }, payload });
    const wire = toWireParameters({
      model: 'cosyvoice-v3-flash',
      voice: 'longanyang',
      format: AudioFormat.OGG_OPUS_16KHZ_MONO_32KBPS,
      languageHints: ['zh'],
      additionalParams: { 'odd "key"': 'line\nbreak' },
    });
    for (const id of [T, 'id "with" quotes\\', newTaskId()]) {
      const run = {
        model: 'cosyvoice-v3-flash',
        task_group: 'audio',
        task: 'tts',
        function: 'SpeechSynthesizer',
      };
      expect(buildRunTask(id, 'cosyvoice-v3-flash', wire)).toBe(
        reference('run-task', id, { ...run, input: {}, parameters: wire }),
      );
      for (const text of [
        'Hello.',
        '今天天气不错，',
        'He said "hi"\n\\ <speak>\u2028',
        '\ud83d\ude00 emoji',
      ]) {
        expect(buildContinueTask(id, text)).toBe(reference('continue-task', id, { input: { text } }));
      }
      expect(buildFlush(id)).toBe(reference('continue-task', id, { input: { flush: true } }));
      expect(buildFinishTask(id)).toBe(reference('finish-task', id, { input: {} }));
      expect(buildCancelTask(id)).toBe(reference('finish-task', id, { input: { directive: 'cancel' } }));
    }
  });
});

describe('server event parser (docs/protocol.md, "Server events" and examples V1-V7)', () => {
  it('parses task-started', () => {
    const raw = `{"header":{"task_id":"${T}","event":"task-started","attributes":{}},"payload":{}}`;
    expect(parseServerEvent(raw)).toEqual({ event: 'task-started', taskId: T, raw });
  });

  it('parses the three result-generated sub-types', () => {
    const begin = parseServerEvent(
      `{"header":{"task_id":"${T}","event":"result-generated","attributes":{}},"payload":{"output":{"type":"sentence-begin","sentence":{"index":0,"words":[]},"original_text":"你好，欢迎光临。"}}}`,
    );
    expect(begin).toMatchObject({
      event: 'result-generated',
      type: 'sentence-begin',
      originalText: '你好，欢迎光临。',
      usage: undefined,
    });
    const synthesis = parseServerEvent(
      `{"header":{"task_id":"${T}","event":"result-generated","attributes":{}},"payload":{"output":{"type":"sentence-synthesis","sentence":{"index":0,"words":[]}}}}`,
    );
    expect(synthesis).toMatchObject({ type: 'sentence-synthesis', sentence: { index: 0, words: [] } });
    const end = parseServerEvent(
      `{"header":{"task_id":"${T}","event":"result-generated","attributes":{}},"payload":{"output":{"type":"sentence-end","original_text":"今天天气不错，","sentence":{"index":0,"words":[{"text":"今","begin_index":0,"end_index":1,"begin_time":90,"end_time":230}]}},"usage":{"characters":13}}}`,
    );
    expect(end).toMatchObject({ type: 'sentence-end', usage: { characters: 13 } });
    if (end.event !== 'result-generated') throw new Error('unexpected');
    expect(end.sentence?.words[0]).toMatchObject({ text: '今', begin_time: 90, end_time: 230 });
  });

  it('accepts the older untyped result-generated form', () => {
    const event = parseServerEvent(
      `{"header":{"task_id":"${T}","event":"result-generated","attributes":{}},"payload":{"output":{"sentence":{"words":[]}},"usage":{"characters":15}}}`,
    );
    expect(event).toMatchObject({ event: 'result-generated', type: undefined, usage: { characters: 15 } });
  });

  it('parses task-finished with usage', () => {
    const event = parseServerEvent(
      `{"header":{"task_id":"${T}","event":"task-finished","attributes":{}},"payload":{"output":{},"usage":{"characters":13}}}`,
    );
    expect(event).toMatchObject({ event: 'task-finished', usage: { characters: 13 } });
  });

  it('reads error_code and error_message of task-failed from the header (V4, V5)', () => {
    const event = parseServerEvent(
      `{"header":{"task_id":"${T}","event":"task-failed","error_code":"InvalidParameter","error_message":"[tts:]Engine return error code: 418","attributes":{}},"payload":{}}`,
    );
    expect(event).toMatchObject({
      event: 'task-failed',
      errorCode: 'InvalidParameter',
      errorMessage: '[tts:]Engine return error code: 418',
    });
    const timeout = parseServerEvent(
      `{"header":{"task_id":"${T}","event":"task-failed","error_code":"CLIENT_ERROR","error_message":"request timeout after 23 seconds.","attributes":{}},"payload":{}}`,
    );
    expect(timeout).toMatchObject({ errorCode: 'CLIENT_ERROR' });
  });

  it('tolerates a missing payload', () => {
    expect(parseServerEvent(`{"header":{"task_id":"${T}","event":"task-finished"}}`)).toMatchObject({
      event: 'task-finished',
      usage: undefined,
    });
  });

  it.each([
    ['not JSON', 'hello'],
    ['a JSON array', '[1,2]'],
    ['no header', '{"payload":{}}'],
    ['no task id', '{"header":{"event":"task-started"},"payload":{}}'],
    ['an unknown event', `{"header":{"task_id":"${T}","event":"task-paused"},"payload":{}}`],
  ])('turns %s into a typed ProtocolError', (_name, raw) => {
    let caught: unknown;
    try {
      parseServerEvent(raw);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProtocolError);
    expect((caught as ProtocolError).code).toBe('DS_ERR_PROTOCOL');
  });
});
