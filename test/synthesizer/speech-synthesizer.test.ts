/** The public SpeechSynthesizer: call(), streaming input and its lifecycle. */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  AbortError,
  CallbackError,
  ClosedError,
  InvalidParameterError,
  InvalidStateError,
} from '../../src/errors/index.js';
import { AudioFormat, type SynthesisParams } from '../../src/params.js';
import { startLocalServer } from '../../src/server/index.js';
import { KEY, rejection, SENTENCE, useLocalServer } from './helpers.js';

const fixture = useLocalServer();
const { synthesizer, using, waitForServerEvent } = fixture;

describe('call()', () => {
  it('resolves to all of the audio the server sent, byte for byte', () =>
    using({}, async (synth) => {
      const audio = await synth.call(SENTENCE);
      expect(Buffer.isBuffer(audio)).toBe(true);
      const taskId = synth.getLastRequestId()!;
      expect(taskId).toMatch(/^[0-9a-f]{32}$/);
      expect(audio!.length).toBeGreaterThan(1000);
      expect(audio!.length).toBe(fixture.server.stats().bytesSentByTask.get(taskId));
      expect(synth.isReusable()).toBe(true);
    }));

  it('runs consecutive tasks on one socket, each with a new task id', () =>
    using({}, async (synth) => {
      const accepted = fixture.server.stats().connectionsAccepted;
      const first = await synth.call('First task.');
      const firstId = synth.getLastRequestId();
      const second = await synth.call('Second task, a little longer.');
      const third = await synth.call('Third.');
      expect(synth.getLastRequestId()).not.toBe(firstId);
      expect(fixture.server.stats().connectionsAccepted - accepted).toBe(1);
      expect(first!.length).toBeGreaterThan(0);
      expect(second!.length).toBeGreaterThan(first!.length);
      expect(third!.length).toBeGreaterThan(0);
      expect(synth.tasksOnConnection).toBe(3);
      expect(synth.getTaskMetrics()).toMatchObject({
        reusedConnection: true,
        connectMs: undefined,
        outcome: 'finished',
      });
    }));

  it('with a callback, streams to it in the documented order and resolves to null', async () => {
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
    await using({ callback }, async (synth) => {
      const emitted: string[] = [];
      for (const name of ['open', 'complete', 'close'] as const) synth.on(name, () => emitted.push(name));
      expect(await synth.call(SENTENCE)).toBeNull();
      expect(order[0]).toBe('event:task-started');
      expect(order[1]).toBe('open');
      expect(order.slice(-3)).toEqual(['event:task-finished', 'complete', 'close']);
      expect(order).not.toContain('error');
      // Every audio frame follows a sentence-synthesis event.
      expect(order.indexOf('data')).toBeGreaterThan(order.indexOf('event:result-generated'));
      expect(emitted).toEqual(['open', 'complete', 'close']);
      const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      expect(total).toBe(fixture.server.stats().bytesSentByTask.get(synth.getLastRequestId()!));
    });
  });

  it('emits to listeners added after a task ran with none, and stops once they are removed', () =>
    using({}, async (synth) => {
      // A synthesizer with no listener skips its events; adding one must bring them back.
      expect((await synth.call(SENTENCE))!.length).toBeGreaterThan(0);
      const emitted: string[] = [];
      const onComplete = (): number => emitted.push('complete');
      synth.on('complete', onComplete);
      synth.once('open', () => emitted.push('open'));
      await synth.call(SENTENCE);
      expect(emitted).toEqual(['open', 'complete']);
      synth.off('complete', onComplete);
      await synth.call(SENTENCE);
      expect(emitted).toEqual(['open', 'complete']);
    }));

  it('returns a WAV with its exact RIFF sizes (the stream carries placeholders)', () =>
    using({ format: AudioFormat.WAV_16000HZ_MONO_16BIT }, async (synth) => {
      const wav = (await synth.call(SENTENCE))!;
      expect(wav.subarray(0, 4).toString('ascii')).toBe('RIFF');
      expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
      expect(wav.subarray(36, 40).toString('ascii')).toBe('data');
      expect(wav.readUInt32LE(40)).toBe(wav.length - 44);
      expect(wav.readUInt32LE(24)).toBe(16000);
    }));

  it('reports first-packet delay, connect time, task-started time, reuse and the last response', () =>
    using({}, async (synth) => {
      expect(synth.getFirstPackageDelay()).toBe(-1);
      expect(synth.getLastRequestId()).toBeUndefined();
      await synth.call(SENTENCE);
      const first = synth.getTaskMetrics()!;
      expect(first.openedConnection).toBe(true);
      expect(first.connectMs).toBeGreaterThan(0);
      expect(first.taskStartedMs).toBeGreaterThanOrEqual(0);
      expect(synth.getFirstPackageDelay()).toBeGreaterThan(0);
      expect(synth.getFirstPackageDelay()).toBe(first.firstPackageDelayMs);
      expect(first.billedCharacters).toBe(SENTENCE.length);
      expect(synth.getResponse()).toMatchObject({
        header: { event: 'task-finished', task_id: first.taskId },
      });
      await synth.call(SENTENCE);
      expect(synth.getTaskMetrics()).toMatchObject({ reusedConnection: true, openedConnection: false });
    }));

  it('works with eager start off (waits for task-started) against a strict server', async () => {
    const strict = await startLocalServer({ engine: 'synthetic', strictTaskStarted: true });
    try {
      await using({ url: strict.url, eagerStart: false }, async (synth) => {
        const audio = await synth.call(SENTENCE);
        expect(audio!.length).toBe(strict.stats().bytesSentByTask.get(synth.getLastRequestId()!));
      });
    } finally {
      await strict.close();
    }
  });

  it('refuses a second task while one is running', () =>
    using({}, async (synth) => {
      const first = synth.call(SENTENCE);
      const error = await rejection(synth.call('Another.'));
      expect(error).toBeInstanceOf(InvalidStateError);
      expect((await first)!.length).toBeGreaterThan(0);
    }));
});

describe('streaming input', () => {
  it('sends pieces, flushes and completes with all the audio', () =>
    using({}, async (synth) => {
      const received: string[] = [];
      const onMessage = (info: { action: string }): void => void received.push(info.action);
      fixture.server.events.on('client-message', onMessage);
      try {
        await synth.streamingCall('Hello there, ');
        await synth.streamingCall('this is streamed');
        await synth.streamingFlush();
        await synth.streamingCall(' text. And a tail');
        const completed = synth.streamingComplete();
        // Once finishing, nothing more may go out: more text or a flush is refused, nothing sent.
        const lateFlush = await rejection(synth.streamingFlush());
        expect(lateFlush).toBeInstanceOf(InvalidStateError);
        expect((lateFlush as Error).message).toMatch(/await it, then start the next task/);
        expect(await rejection(synth.streamingCall('More.'))).toBeInstanceOf(InvalidStateError);
        const audio = await completed;
        expect(audio!.length).toBe(fixture.server.stats().bytesSentByTask.get(synth.getLastRequestId()!));
        expect(received).toEqual([
          'run-task',
          'continue-task',
          'continue-task',
          'continue-task',
          'continue-task',
          'finish-task',
        ]);
      } finally {
        fixture.server.events.off('client-message', onMessage);
      }
    }));

  it('refuses streamingComplete and streamingFlush without a task', () =>
    using({}, async (synth) => {
      expect(await rejection(synth.streamingComplete())).toBeInstanceOf(InvalidStateError);
      expect(await rejection(synth.streamingFlush())).toBeInstanceOf(InvalidStateError);
    }));

  it('cancels with the directive: no audio after the confirmation, and the socket stays usable', () =>
    using({}, async (synth) => {
      const accepted = fixture.server.stats().connectionsAccepted;
      let audioAfterCancel = 0;
      let cancelled = false;
      const onData = (): void => {
        if (cancelled) audioAfterCancel += 1;
      };
      synth.on('data', onData);
      const serverCancelled = waitForServerEvent('task-cancelled');
      await synth.streamingCall(`${SENTENCE} `.repeat(40));
      await new Promise((resolve) => synth.once('data', resolve));
      await synth.streamingCancel();
      cancelled = true;
      expect((await serverCancelled).taskId).toBe(synth.getLastRequestId());
      expect(synth.lastTaskOutcome).toBe('cancelled');
      expect(synth.isReusable()).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(audioAfterCancel).toBe(0);
      synth.off('data', onData);
      const audio = await synth.call('After the cancel.');
      expect(audio!.length).toBe(fixture.server.stats().bytesSentByTask.get(synth.getLastRequestId()!));
      expect(fixture.server.stats().connectionsAccepted - accepted).toBe(1);
    }));

  it('makes a pending streamingComplete reject with AbortError when the task is cancelled', () =>
    using({}, async (synth) => {
      await synth.streamingCall(`${SENTENCE} `.repeat(40));
      await new Promise((resolve) => synth.once('data', resolve));
      const completion = rejection(synth.streamingComplete());
      await synth.streamingCancel();
      expect(await completion).toBeInstanceOf(AbortError);
      expect(synth.lastTaskOutcome).toBe('cancelled');
      expect((await synth.call('Next.'))!.length).toBeGreaterThan(0);
    }));
});

describe('lifecycle', () => {
  it('fails a running task with ClosedError on close(), and refuses work afterwards', async () => {
    const synth = synthesizer();
    fixture.server.faults.injectTaskFault('hang');
    const started = waitForServerEvent('task-started');
    const task = rejection(synth.call(SENTENCE));
    await started;
    await synth.close();
    await synth.close();
    expect(await task).toBeInstanceOf(ClosedError);
    expect(synth.state).toBe('closed');
    expect(await rejection(synth.call(SENTENCE))).toBeInstanceOf(ClosedError);
  });

  it('turns a throwing callback into a CallbackError for that task only', () =>
    using(
      {
        callback: {
          onData: () => {
            throw new Error('boom');
          },
        },
      },
      async (synth) => {
        const error = (await rejection(synth.call(SENTENCE))) as CallbackError;
        expect(error).toBeInstanceOf(CallbackError);
        expect(error.callback).toBe('onData');
        synth.updateParams({ model: 'cosyvoice-v3-flash', voice: 'longanyang', callback: undefined });
        expect((await synth.call(SENTENCE))!.length).toBeGreaterThan(0);
      },
    ));

  it('never prints the key', () => {
    const synth = synthesizer();
    expect(String(synth)).not.toContain(KEY);
    expect(inspect(synth, { depth: 10, showHidden: true })).not.toContain(KEY);
    expect(JSON.stringify(synth)).not.toContain(KEY);
  });
});

describe('updateParams()', () => {
  it('rebinds the same parameters as they are, and notices a format object edited in place', () =>
    using({}, async (synth) => {
      const format = { format: 'pcm' as const, sampleRate: 16000 };
      const params = { model: 'cosyvoice-v3-flash', voice: 'longanyang', format };
      synth.updateParams(params);
      const at16k = (await synth.call(SENTENCE))!.length;
      synth.updateParams(params);
      expect((await synth.call(SENTENCE))!.length).toBe(at16k);
      format.sampleRate = 8000;
      const bound = (): number | undefined => (synth.params as SynthesisParams).format?.sampleRate;
      expect(bound()).toBe(16000);
      synth.updateParams(params);
      const at8k = (await synth.call(SENTENCE))!.length;
      expect(at8k).toBeLessThan(at16k * 0.6);
      (format as { sampleRate: number }).sampleRate = 12345;
      expect(() => synth.updateParams(params)).toThrow(InvalidParameterError);
      expect(bound()).toBe(8000);
    }));
});
