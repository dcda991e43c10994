/**
 * The pool lends Sambert and CosyVoice synthesizers from the same pre-opened connections, refuses
 * bad Sambert parameters before anything waits, and takes its size from SAMBERT_OBJECTPOOL_SIZE
 * when COSYVOICE_OBJECTPOOL_SIZE is not set.
 */
import { describe, expect, it } from 'vitest';
import {
  InvalidOptionError,
  InvalidParameterError,
  UnsupportedOperationError,
} from '../../src/errors/index.js';
import { AudioFormat } from '../../src/params.js';
import type { SambertBorrowParams } from '../../src/pool/object-pool.js';
import { resolvePoolOptions } from '../../src/pool/options.js';
import { KEY, makePool, PARAMS, rejection, server, usePoolServer } from './helpers.js';

usePoolServer();

const SAMBERT: SambertBorrowParams = { model: 'sambert-zhichu-v1', format: 'wav', sampleRate: 16000 };

describe('a pool with both model families', () => {
  it('runs CosyVoice and Sambert tasks mixed on the same pre-opened connections', async () => {
    const pool = makePool({ maxSize: 2 });
    await pool.ready();
    const accepted = server.stats().connectionsAccepted;
    const runTasks: Array<{ connectionId: string; streaming: string; taskId: string }> = [];
    const listener = (info: {
      connectionId: string;
      action: string;
      taskId: string;
      message: { header: { streaming: string } };
    }): void => {
      if (info.action === 'run-task') {
        runTasks.push({
          connectionId: info.connectionId,
          streaming: info.message.header.streaming,
          taskId: info.taskId,
        });
      }
    };
    server.events.on('client-message', listener);
    try {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          i % 2 === 0
            ? pool.withSynthesizer(PARAMS, async (synth) => ({
                audio: (await synth.call(`CosyVoice task ${i}.`))!,
                taskId: synth.getLastRequestId()!,
                sentences: undefined,
              }))
            : pool.withSynthesizer({ ...SAMBERT, wordTimestampEnabled: true }, async (synth) => ({
                audio: (await synth.call(`第${i}个 Sambert 任务。`))!,
                taskId: synth.getLastRequestId()!,
                sentences: synth.getTimestamps(),
              })),
        ),
      );
      for (const [i, result] of results.entries()) {
        const sent = server.stats().bytesSentByTask.get(result.taskId);
        expect(result.audio.length, `task ${i}`).toBe(sent);
        if (i % 2 === 1) {
          expect(result.audio.subarray(0, 4).toString('latin1')).toBe('RIFF');
          expect(result.sentences!.length).toBe(1);
          expect(result.sentences![0]!.words.length).toBeGreaterThan(0);
        }
      }
      // No connection was opened for any task, and each connection carried both shapes.
      expect(server.stats().connectionsAccepted).toBe(accepted);
      expect(runTasks).toHaveLength(12);
      expect(runTasks.filter((r) => r.streaming === 'out')).toHaveLength(6);
      const shapesByConnection = new Map<string, Set<string>>();
      for (const r of runTasks) {
        const shapes = shapesByConnection.get(r.connectionId) ?? new Set<string>();
        shapes.add(r.streaming);
        shapesByConnection.set(r.connectionId, shapes);
      }
      expect(shapesByConnection.size).toBeLessThanOrEqual(2);
      expect(pool.metrics().connections).toMatchObject({ created: 2 });
      expect(pool.metrics().connectionReuseRatio).toBe(1);
    } finally {
      server.events.off('client-message', listener);
    }
  });

  it('alternates the two task shapes on one connection', async () => {
    const pool = makePool({ maxSize: 1 });
    await pool.ready();
    const runTasks: Array<{ connectionId: string; streaming: string }> = [];
    const listener = (info: {
      connectionId: string;
      action: string;
      message: { header: { streaming: string } };
    }): void => {
      if (info.action === 'run-task')
        runTasks.push({ connectionId: info.connectionId, streaming: info.message.header.streaming });
    };
    server.events.on('client-message', listener);
    try {
      const lengths = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          pool.withSynthesizer(
            i % 2 === 0 ? PARAMS : SAMBERT,
            async (synth) => (await synth.call(`任务 ${i}。`))!.length,
          ),
        ),
      );
      for (const length of lengths) expect(length).toBeGreaterThan(0);
      expect(new Set(runTasks.map((r) => r.connectionId)).size).toBe(1);
      // Borrowers are served first come, first served: the shapes alternate on the one socket.
      expect(runTasks.map((r) => r.streaming)).toEqual(['duplex', 'out', 'duplex', 'out', 'duplex', 'out']);
    } finally {
      server.events.off('client-message', listener);
    }
  });

  it('lends a Sambert synthesizer for borrowSynthesizer({ model, format, sampleRate }) and takes it back', async () => {
    const pool = makePool({ maxSize: 1 });
    const synth = await pool.borrowSynthesizer(SAMBERT);
    expect(synth.params).toMatchObject({
      model: 'sambert-zhichu-v1',
      format: { format: 'wav', sampleRate: 16000 },
    });
    await expect(synth.streamingCall('不行。')).rejects.toBeInstanceOf(UnsupportedOperationError);
    const wav = (await synth.call('借来的连接。'))!;
    expect(wav.readUInt32LE(24)).toBe(16000);
    expect(await pool.returnSynthesizer(synth)).toBe(true);
    // The same connection, rebound to CosyVoice by the next borrow.
    const again = await pool.borrowSynthesizer(PARAMS);
    expect(again).toBe(synth);
    await again.streamingCall('Streaming is back for CosyVoice.');
    expect((await again.streamingComplete())!.length).toBeGreaterThan(0);
    expect(again.tasksOnConnection).toBe(2);
    expect(await pool.returnSynthesizer(again)).toBe(true);
  });

  it('refuses bad Sambert parameters before anything waits or is sent', async () => {
    const pool = makePool({ maxSize: 1 });
    await pool.ready();
    const before = server.stats().messagesReceived;
    for (const params of [
      { ...SAMBERT, voice: 'longanyang' },
      { ...SAMBERT, format: 'opus' },
      { ...SAMBERT, sampleRate: 48000 },
      { ...SAMBERT, format: AudioFormat.WAV_16000HZ_MONO_16BIT },
      { ...SAMBERT, phonemeTimestampEnabled: true },
      { ...SAMBERT, volume: 101 },
    ]) {
      expect(await rejection(pool.borrowSynthesizer(params as SambertBorrowParams))).toBeInstanceOf(
        InvalidParameterError,
      );
    }
    expect(pool.stats()).toMatchObject({ borrowed: 0, pending: 0, available: 1 });
    expect(server.stats().messagesReceived).toBe(before);
  });
});

describe('SAMBERT_OBJECTPOOL_SIZE', () => {
  const options = { url: 'ws://127.0.0.1:1/api-ws/v1/inference', apiKey: KEY };

  it('sizes the pool when COSYVOICE_OBJECTPOOL_SIZE is not set', () => {
    expect(resolvePoolOptions(options, { SAMBERT_OBJECTPOOL_SIZE: '1200' }).maxSize).toBe(1200);
    expect(resolvePoolOptions(options, { SAMBERT_OBJECTPOOL_SIZE: '' }).maxSize).toBe(20);
  });

  it('gives way to COSYVOICE_OBJECTPOOL_SIZE, and both to maxSize', () => {
    const env = { COSYVOICE_OBJECTPOOL_SIZE: '500', SAMBERT_OBJECTPOOL_SIZE: '1200' };
    expect(resolvePoolOptions(options, env).maxSize).toBe(500);
    expect(resolvePoolOptions({ ...options, maxSize: 7 }, env).maxSize).toBe(7);
    // Only the variable that is used is read, so a stale one that is not used does no harm.
    expect(resolvePoolOptions(options, { ...env, SAMBERT_OBJECTPOOL_SIZE: 'many' }).maxSize).toBe(500);
  });

  it('is validated like COSYVOICE_OBJECTPOOL_SIZE, naming the variable', () => {
    for (const value of ['0', '-3', '2.5', 'many']) {
      let caught: unknown;
      try {
        resolvePoolOptions(options, { SAMBERT_OBJECTPOOL_SIZE: value });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidOptionError);
      expect((caught as InvalidOptionError).option).toBe('SAMBERT_OBJECTPOOL_SIZE');
      expect((caught as Error).message).toContain(JSON.stringify(value));
    }
  });
});
