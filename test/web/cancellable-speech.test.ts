/**
 * examples/cancellable-speech.ts against the local server: the audio arrives whole, an abort is a
 * real cancel on the server that keeps the connection, and finish-task still goes out when the
 * server's sentences do not add up to the text (SSML).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { speakCancellably } from '../../examples/cancellable-speech.js';
import { AudioFormat, SpeechSynthesizerObjectPool, type SynthesisParams } from '../../src/index.js';
import { startLocalServer, type LocalServer } from '../../src/server/index.js';

const PARAMS: SynthesisParams = {
  model: 'cosyvoice-v3-flash',
  voice: 'longanyang',
  format: AudioFormat.MP3_22050HZ_MONO_256KBPS,
};
const LONG = Array.from({ length: 20 }, (_, i) => `This is sentence ${i + 1} of a long speech.`).join(' ');

let local: LocalServer;
let pool: SpeechSynthesizerObjectPool;
let disconnects: string[];

beforeEach(async () => {
  // Audio at the speed it plays: a long speech is still running when the test aborts it.
  local = await startLocalServer({ engine: 'synthetic', pacing: { realTimeFactor: 1 } });
  disconnects = [];
  local.events.on('disconnect', ({ connectionId }: { connectionId: string }) =>
    disconnects.push(connectionId),
  );
  pool = new SpeechSynthesizerObjectPool({ url: local.url, apiKey: 'sk-test', maxSize: 1 });
  await pool.ready();
});

afterEach(async () => {
  await pool.shutdown();
  await local.close();
});

describe('speakCancellably', () => {
  it('delivers all the audio the server sent and finishes the task', async () => {
    const chunks: Buffer[] = [];
    const result = await speakCancellably(pool, PARAMS, 'Hello there. How are you? Fine', {
      onAudio: (chunk) => chunks.push(chunk),
    });
    expect(result.outcome).toBe('finished');
    const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBe(local.stats().bytesSentByTask.get(result.taskId!));
    expect(local.stats().tasks).toMatchObject({ finished: 1, cancelled: 0, failed: 0 });
  });

  it('an abort mid-speech cancels the task on the server and keeps the connection', async () => {
    const controller = new AbortController();
    const result = await speakCancellably(pool, PARAMS, LONG, {
      signal: controller.signal,
      onAudio: () => controller.abort(),
    });
    expect(result.outcome).toBe('cancelled');
    expect(local.stats().tasks).toMatchObject({ cancelled: 1, finished: 0, aborted: 0 });
    expect(pool.metrics().returns).toMatchObject({ kept: 1, discarded: 0 });
    const next = await speakCancellably(pool, PARAMS, 'Again.', { onAudio: () => undefined });
    expect(next.outcome).toBe('finished');
    expect(next.metrics?.reusedConnection).toBe(true);
    expect(local.stats().connectionsAccepted).toBe(1);
    expect(disconnects).toEqual([]);
  });

  it('an abort while waiting for a synthesizer starts nothing', async () => {
    const busy = new AbortController();
    const first = speakCancellably(pool, PARAMS, LONG, { signal: busy.signal, onAudio: () => undefined });
    await new Promise((resolve) => local.events.once('task-started', resolve));
    const waiting = new AbortController();
    const second = speakCancellably(pool, PARAMS, 'Never spoken.', {
      signal: waiting.signal,
      onAudio: () => undefined,
    });
    waiting.abort();
    await expect(second).resolves.toEqual({ outcome: 'cancelled', taskId: undefined, metrics: undefined });
    busy.abort();
    await expect(first).resolves.toMatchObject({ outcome: 'cancelled' });
    expect(local.stats().tasks.started).toBe(1);
  });

  it('finishes after a quiet spell when the sentences do not add up to the text (SSML)', async () => {
    const result = await speakCancellably(
      pool,
      { ...PARAMS, enableSsml: true },
      '<speak>Hello <break time="100ms"/> there.</speak>',
      { onAudio: () => undefined, quietMs: 300 },
    );
    expect(result.outcome).toBe('finished');
    expect(local.stats().tasks).toMatchObject({ finished: 1, cancelled: 0 });
  });

  it('a failed task rejects with the server error', async () => {
    await expect(
      speakCancellably(pool, { ...PARAMS, voice: 'nosuchvoice' }, 'Hello.', { onAudio: () => undefined }),
    ).rejects.toMatchObject({ code: 'DS_ERR_TASK_FAILED', errorCode: 'InvalidParameter' });
  });
});
