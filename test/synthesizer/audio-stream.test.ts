/** stream(): a task's audio as a Readable with backpressure (src/synthesizer/audio-stream.ts). */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { InvalidParameterError, TaskFailedError } from '../../src/errors/index.js';
import { kWhenIdle } from '../../src/synthesizer/internal.js';
import { rejection, SENTENCE, useLocalServer } from './helpers.js';

const fixture = useLocalServer();
const { using } = fixture;

describe('stream()', () => {
  it('pipes all the audio into a slow writable with backpressure', () =>
    using({}, async (synth) => {
      const chunks: Buffer[] = [];
      const slow = new Writable({
        highWaterMark: 1024,
        write(chunk: Buffer, _encoding, done) {
          chunks.push(chunk);
          setTimeout(done, 1);
        },
      });
      await pipeline(synth.stream(`${SENTENCE} `.repeat(8), { highWaterMark: 4096 }), slow);
      const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
      expect(total).toBe(fixture.server.stats().bytesSentByTask.get(synth.getLastRequestId()!));
      expect(synth.isReusable()).toBe(true);
    }));

  it('is async-iterable, and breaking out early cancels the task', () =>
    using({}, async (synth) => {
      let chunks = 0;
      for await (const chunk of synth.stream(`${SENTENCE} `.repeat(40))) {
        expect(Buffer.isBuffer(chunk)).toBe(true);
        if (++chunks === 2) break;
      }
      await synth[kWhenIdle]();
      expect(synth.lastTaskOutcome).toBe('cancelled');
      expect((await synth.call('Next.'))!.length).toBeGreaterThan(0);
    }));

  it('destroys the stream with the typed error when the task fails', () =>
    using({}, async (synth) => {
      fixture.server.faults.injectTaskFault('fail-mid-stream');
      const error = await rejection(
        pipeline(synth.stream(SENTENCE), new Writable({ write: (_c, _e, done) => done() })),
      );
      expect(error).toBeInstanceOf(TaskFailedError);
    }));

  it('throws synchronously for bad text', () =>
    using({}, (synth) => {
      expect(() => synth.stream('')).toThrow(InvalidParameterError);
      return Promise.resolve();
    }));
});
