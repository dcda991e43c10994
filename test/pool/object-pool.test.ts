/** The public pool: pre-open and reuse, borrow and return, withSynthesizer. */
import { getEventListeners, once } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  AbortError,
  ConnectionError,
  InvalidParameterError,
  InvalidStateError,
  TaskFailedError,
} from '../../src/errors/index.js';
import type { BorrowParams } from '../../src/pool/object-pool.js';
import { SpeechSynthesizer } from '../../src/synthesizer/speech-synthesizer.js';
import { KEY, makePool, PARAMS, rejection, SENTENCE, server, until, usePoolServer } from './helpers.js';

usePoolServer();

describe('pre-open and reuse', () => {
  it('opens maxSize connections up front and runs many tasks over exactly those', async () => {
    const before = server.stats().connectionsAccepted;
    const pool = makePool({ maxSize: 4 });
    await pool.ready();
    expect(pool.stats()).toMatchObject({ maxSize: 4, size: 4, available: 4, borrowed: 0, pending: 0 });
    expect(server.stats().connectionsAccepted - before).toBe(4);

    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        pool.withSynthesizer(PARAMS, async (synth) => {
          const audio = await synth.call(`${SENTENCE} Number ${i}.`);
          return { audio: audio!, taskId: synth.getLastRequestId()! };
        }),
      ),
    );
    for (const { audio, taskId } of results) {
      expect(audio.length).toBe(server.stats().bytesSentByTask.get(taskId));
    }
    expect(server.stats().connectionsAccepted - before).toBe(4);
    const metrics = pool.metrics();
    expect(metrics.tasks).toMatchObject({ total: 40, finished: 40, failed: 0 });
    expect(metrics.connectionReuseRatio).toBe(1);
    expect(metrics.errorRate).toBe(0);
    expect(metrics.utilization.peak).toBe(1);
    expect(metrics.firstPacketDelayMs.count).toBe(40);
    expect(metrics.firstPacketDelayMs.p99).toBeGreaterThan(0);
    expect(metrics.borrowWaitMs.count).toBe(40);
  });

  it('binds each borrow to its own parameters and callback', async () => {
    const pool = makePool({ maxSize: 1 });
    const seen: string[] = [];
    server.events.on('client-message', onMessage);
    function onMessage(info: {
      action: string;
      message: { payload: { parameters?: { voice: string } } };
    }): void {
      if (info.action === 'run-task') seen.push(info.message.payload.parameters!.voice);
    }
    try {
      let chunks = 0;
      await pool.withSynthesizer(
        { ...PARAMS, voice: 'longxiaochun', callback: { onData: () => void chunks++ } },
        (s) => s.call(SENTENCE),
      );
      expect(chunks).toBeGreaterThan(0);
      const afterFirst = chunks;
      const audio = await pool.withSynthesizer({ ...PARAMS, voice: 'longwan' }, (s) => s.call(SENTENCE));
      expect(Buffer.isBuffer(audio)).toBe(true);
      // No borrow inherits another's callback, nor one a borrower set with setCallback().
      let setChunks = 0;
      await pool.withSynthesizer(PARAMS, (s) => s.setCallback({ onData: () => void setChunks++ }));
      expect(Buffer.isBuffer(await pool.withSynthesizer(PARAMS, (s) => s.call(SENTENCE)))).toBe(true);
      expect({ chunks, setChunks }).toEqual({ chunks: afterFirst, setChunks: 0 });
      expect(seen).toEqual(['longxiaochun', 'longwan', 'longanyang']);
    } finally {
      server.events.off('client-message', onMessage);
    }
  });

  it('lends with one shared binding per set of parameters, and a new one when they change', async () => {
    const pool = makePool({ maxSize: 2 });
    const [a, b] = await Promise.all([pool.borrowSynthesizer(PARAMS), pool.borrowSynthesizer({ ...PARAMS })]);
    // Equal parameters, two synthesizers: one parameters object between them, nothing per synthesizer.
    expect(a.params).toBe(b.params);
    expect(a.params).toMatchObject({ model: PARAMS.model, voice: PARAMS.voice });
    const shared = a.params;
    await Promise.all([pool.returnSynthesizer(a), pool.returnSynthesizer(b)]);
    const c = await pool.borrowSynthesizer({ ...PARAMS, voice: 'longwan' });
    expect(c.params.voice).toBe('longwan');
    expect(c.params).not.toBe(shared);
    expect(Buffer.isBuffer(await c.call(SENTENCE))).toBe(true);
    await pool.returnSynthesizer(c);
    // Parameters holding an object the caller owns are never taken as unchanged: not shared.
    const hinted = { ...PARAMS, languageHints: ['en'] };
    const [d, e] = await Promise.all([pool.borrowSynthesizer(hinted), pool.borrowSynthesizer(hinted)]);
    expect(d.params).not.toBe(e.params);
    expect(d.params).toMatchObject({ languageHints: ['en'] });
    expect(Buffer.isBuffer(await d.call(SENTENCE))).toBe(true);
    await Promise.all([pool.returnSynthesizer(d), pool.returnSynthesizer(e)]);
  });

  it('refuses per-borrow connection settings and bad parameters with typed errors', async () => {
    const pool = makePool({ maxSize: 1 });
    const error = (await rejection(
      pool.borrowSynthesizer({ ...PARAMS, url: 'ws://elsewhere' } as BorrowParams),
    )) as InvalidParameterError;
    expect(error).toBeInstanceOf(InvalidParameterError);
    expect(error.parameter).toBe('url');
    expect(await rejection(pool.borrowSynthesizer({ ...PARAMS, volume: 300 }))).toBeInstanceOf(
      InvalidParameterError,
    );
    expect(pool.stats().borrowed).toBe(0);
  });
});

describe('returning', () => {
  it('keeps a cleanly finished synthesizer and removes the borrower listeners', async () => {
    const pool = makePool({ maxSize: 1 });
    const synth = await pool.borrowSynthesizer(PARAMS);
    let leaked = 0;
    synth.on('data', () => void leaked++);
    await synth.call(SENTENCE);
    const before = leaked;
    expect(await pool.returnSynthesizer(synth)).toBe(true);
    const again = await pool.borrowSynthesizer(PARAMS);
    expect(again).toBe(synth);
    await again.call(SENTENCE);
    expect(leaked).toBe(before);
    expect(await pool.returnSynthesizer(again)).toBe(true);
  });

  it('closes a failed synthesizer, returns false and opens a replacement', async () => {
    const pool = makePool({ maxSize: 2 });
    await pool.ready();
    const synth = await pool.borrowSynthesizer({ ...PARAMS, voice: 'no_such_voice' });
    expect(await rejection(synth.call(SENTENCE))).toBeInstanceOf(TaskFailedError);
    expect(await pool.returnSynthesizer(synth)).toBe(false);
    expect(synth.state).toBe('closed');
    await until(() => pool.stats().available === 2, 'the replacement is open');
    expect(pool.metrics().returns).toEqual({ kept: 0, discarded: 1 });
  });

  it('closes a synthesizer returned in the middle of a task (its task fails)', async () => {
    const pool = makePool({ maxSize: 1 });
    const synth = await pool.borrowSynthesizer(PARAMS);
    server.faults.injectTaskFault('hang');
    const task = rejection(synth.call(SENTENCE));
    await once(server.events, 'task-started');
    expect(await pool.returnSynthesizer(synth)).toBe(false);
    expect(await task).toBeInstanceOf(Error);
    await until(() => pool.stats().available === 1, 'the replacement is open');
  });

  it('refuses tasks on a synthesizer after it was returned, so borrowers never share a connection', async () => {
    const pool = makePool({ maxSize: 1 });
    const stale = await pool.borrowSynthesizer(PARAMS);
    expect(await pool.returnSynthesizer(stale)).toBe(true);
    const before = server.stats().messagesReceived;
    expect(await rejection(stale.call(SENTENCE))).toBeInstanceOf(InvalidStateError);
    expect(await rejection(stale.streamingCall(SENTENCE))).toBeInstanceOf(InvalidStateError);
    expect(server.stats().messagesReceived).toBe(before);
    // The next borrower gets the same object, now lent to it, and it works.
    const next = await pool.borrowSynthesizer(PARAMS);
    expect(next).toBe(stale);
    expect((await next.call(SENTENCE))!.length).toBeGreaterThan(0);
    await pool.returnSynthesizer(next);
  });

  it('returns false for a dead socket, a double return, a foreign synthesizer and after shutdown', async () => {
    const pool = makePool({ maxSize: 2 });
    await pool.ready();
    const dead = await pool.borrowSynthesizer(PARAMS);
    await dead.call(SENTENCE);
    server.faults.killAllConnections();
    await until(() => !dead.isConnected, 'the socket is dead');
    expect(await pool.returnSynthesizer(dead)).toBe(false);
    expect(await pool.returnSynthesizer(dead)).toBe(false);

    const foreign = new SpeechSynthesizer({ ...PARAMS, url: server.url, apiKey: KEY });
    expect(await pool.returnSynthesizer(foreign)).toBe(false);
    expect(foreign.state).toBe('idle'); // left alone
    await foreign.close();

    await until(() => pool.stats().available === 2, 'the pool healed');
    const late = await pool.borrowSynthesizer(PARAMS);
    await pool.shutdown({ graceMs: 0 });
    expect(await pool.returnSynthesizer(late)).toBe(false);
    expect(pool.stats().borrowed).toBe(0);
  });

  it('gives a connection killed mid-task to the caller as an error, and heals', async () => {
    const pool = makePool({ maxSize: 2 });
    await pool.ready();
    const error = await rejection(
      pool.withSynthesizer(PARAMS, (synth) => {
        server.faults.injectTaskFault('drop-mid-stream');
        return synth.call(`${SENTENCE} `.repeat(10));
      }),
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).audioReceived).toBe(true);
    await until(() => pool.stats().available === 2, 'the pool healed');
  });
});

describe('withSynthesizer', () => {
  it('returns the synthesizer after a synchronous throw, a rejection and success', async () => {
    const pool = makePool({ maxSize: 1 });
    await expect(
      pool.withSynthesizer(PARAMS, () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(pool.withSynthesizer(PARAMS, () => Promise.reject(new Error('async')))).rejects.toThrow(
      'async',
    );
    expect(await pool.withSynthesizer(PARAMS, () => 42)).toBe(42);
    expect(pool.stats()).toMatchObject({ borrowed: 0, available: 1 });
    expect(pool.metrics().returns.kept).toBe(3);
  });

  it('cancels the running task on abort and keeps the connection', async () => {
    const pool = makePool({ maxSize: 1 });
    const controller = new AbortController();
    const error = await rejection(
      pool.withSynthesizer(
        PARAMS,
        async (synth) => {
          synth.once('data', () => controller.abort());
          await synth.streamingCall(`${SENTENCE} `.repeat(30));
          return synth.streamingComplete();
        },
        { signal: controller.signal },
      ),
    );
    expect(error).toBeInstanceOf(AbortError);
    expect(pool.stats()).toMatchObject({ borrowed: 0, available: 1 });
  });

  it('listens once to a signal that many borrows and their tasks share, and lets go of it after', async () => {
    const pool = makePool({ maxSize: 4 });
    await pool.ready();
    const controller = new AbortController();
    const { signal } = controller;
    server.faults.injectTaskFault('hang', { count: 4 });
    // 4 borrows run a task that the server never answers, 8 more wait for a synthesizer: all
    // with the application's one signal.
    const borrows = Array.from({ length: 12 }, () =>
      rejection(pool.withSynthesizer(PARAMS, (synth) => synth.call(SENTENCE, { signal }), { signal })),
    );
    await until(() => server.stats().tasks.active === 4 && pool.stats().pending === 8, 'all in flight');
    expect(getEventListeners(signal, 'abort')).toHaveLength(1);
    controller.abort();
    for (const error of await Promise.all(borrows)) expect(error).toBeInstanceOf(AbortError);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    await until(() => pool.stats().available === 4, 'every synthesizer back or replaced');
  });

  it("lends a kept synthesizer clean: the next borrower sees none of the last borrower's task", async () => {
    const pool = makePool({ maxSize: 1 });
    const first = await pool.withSynthesizer(PARAMS, async (synth) => {
      await synth.call(SENTENCE);
      return { id: synth.getLastRequestId(), response: synth.getResponse(), metrics: synth.getTaskMetrics() };
    });
    expect(first.id).toMatch(/\w{16,}/);
    expect(first.response).toMatchObject({ header: { event: 'task-finished' } });
    expect(first.metrics).toMatchObject({ taskId: first.id, outcome: 'finished' });
    // The same synthesizer (maxSize 1), lent again.
    await pool.withSynthesizer(PARAMS, (synth) => {
      expect(synth.getLastRequestId()).toBeUndefined();
      expect(synth.getResponse()).toBeUndefined();
      expect(synth.getTaskMetrics()).toBeUndefined();
      expect(synth.getFirstPackageDelay()).toBe(-1);
      expect(synth.lastTaskOutcome).toBeUndefined();
    });
    expect(pool.metrics().returns.kept).toBe(2);
  });

  it("forgets a borrow's signal when the borrow ends: aborting it later cancels nothing", async () => {
    const pool = makePool({ maxSize: 1 });
    const earlier = new AbortController();
    await pool.withSynthesizer(PARAMS, (synth) => synth.call(SENTENCE), { signal: earlier.signal });
    // The same synthesizer (maxSize 1) runs the next borrow, without a signal.
    const audio = await pool.withSynthesizer(PARAMS, (synth) => {
      const task = synth.call(SENTENCE);
      earlier.abort();
      return task;
    });
    expect(audio!.length).toBeGreaterThan(0);
    expect(pool.metrics().tasks).toMatchObject({ finished: 2, cancelled: 0 });
  });

  it("resolves with fn's value only once a synthesizer it closed is gone, and replaces it", async () => {
    const pool = makePool({ maxSize: 1 });
    const value = await pool.withSynthesizer(PARAMS, async (synth) => {
      await synth.close();
      return 'done';
    });
    expect(value).toBe('done');
    expect(pool.metrics().returns).toEqual({ kept: 0, discarded: 1 });
    expect(await pool.withSynthesizer(PARAMS, (synth) => synth.call(SENTENCE))).toBeInstanceOf(Buffer);
  });
});
