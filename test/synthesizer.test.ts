import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortError,
  AuthenticationError,
  CallbackError,
  ClosedError,
  ConnectionError,
  ConnectTimeoutError,
  HandshakeError,
  InvalidParameterError,
  InvalidStateError,
  MissingApiKeyError,
  TaskFailedError,
  TaskTimeoutError,
} from '../src/errors/index.js';
import { AudioFormat } from '../src/params.js';
import type { SpeechSynthesizerOptions } from '../src/synthesizer-options.js';
import { SpeechSynthesizer } from '../src/synthesizer.js';
import { startLocalServer, type LocalServer } from '../src/server/index.js';
import { createSelfSignedCertificate } from '../src/server/self-signed.js';

const KEY = 'sk-test-0123456789abcdef0123456789';
const SENTENCE = 'The quick brown fox jumps over the lazy dog.';
let server: LocalServer;

beforeAll(async () => {
  server = await startLocalServer({ apiKey: KEY, engine: 'synthetic' });
});
afterEach(() => server.faults.clearFaults());
afterAll(() => server.close());

function synthesizer(options: Partial<SpeechSynthesizerOptions> = {}): SpeechSynthesizer {
  return new SpeechSynthesizer({
    model: 'cosyvoice-v3-flash',
    voice: 'longanyang',
    format: AudioFormat.PCM_16000HZ_MONO_16BIT,
    url: server.url,
    apiKey: KEY,
    ...options,
  });
}

/** Runs `fn` with a fresh synthesizer and always closes it. */
async function using<T>(
  options: Partial<SpeechSynthesizerOptions>,
  fn: (synth: SpeechSynthesizer) => Promise<T>,
): Promise<T> {
  const synth = synthesizer(options);
  try {
    return await fn(synth);
  } finally {
    await synth.close();
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function waitForServerEvent(name: string): Promise<Record<string, unknown>> {
  return once(server.events, name).then(([info]) => info as Record<string, unknown>);
}

describe('call()', () => {
  it('resolves to all of the audio the server sent, byte for byte', () =>
    using({}, async (synth) => {
      const audio = await synth.call(SENTENCE);
      expect(Buffer.isBuffer(audio)).toBe(true);
      const taskId = synth.getLastRequestId()!;
      expect(taskId).toMatch(/^[0-9a-f]{32}$/);
      expect(audio!.length).toBeGreaterThan(1000);
      expect(audio!.length).toBe(server.stats().bytesSentByTask.get(taskId));
      expect(synth.isReusable()).toBe(true);
    }));

  it('runs consecutive tasks on one socket, each with a new task id', () =>
    using({}, async (synth) => {
      const accepted = server.stats().connectionsAccepted;
      const first = await synth.call('First task.');
      const firstId = synth.getLastRequestId();
      const second = await synth.call('Second task, a little longer.');
      const third = await synth.call('Third.');
      expect(synth.getLastRequestId()).not.toBe(firstId);
      expect(server.stats().connectionsAccepted - accepted).toBe(1);
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
      expect(total).toBe(server.stats().bytesSentByTask.get(synth.getLastRequestId()!));
    });
  });

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
      server.events.on('client-message', onMessage);
      try {
        await synth.streamingCall('Hello there, ');
        await synth.streamingCall('this is streamed');
        await synth.streamingFlush();
        await synth.streamingCall(' text. And a tail');
        const audio = await synth.streamingComplete();
        expect(audio!.length).toBe(server.stats().bytesSentByTask.get(synth.getLastRequestId()!));
        expect(received).toEqual([
          'run-task',
          'continue-task',
          'continue-task',
          'continue-task',
          'continue-task',
          'finish-task',
        ]);
      } finally {
        server.events.off('client-message', onMessage);
      }
    }));

  it('refuses streamingComplete and streamingFlush without a task', () =>
    using({}, async (synth) => {
      expect(await rejection(synth.streamingComplete())).toBeInstanceOf(InvalidStateError);
      expect(await rejection(synth.streamingFlush())).toBeInstanceOf(InvalidStateError);
    }));

  it('cancels with the directive: no audio after the confirmation, and the socket stays usable', () =>
    using({}, async (synth) => {
      const accepted = server.stats().connectionsAccepted;
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
      expect(audio!.length).toBe(server.stats().bytesSentByTask.get(synth.getLastRequestId()!));
      expect(server.stats().connectionsAccepted - accepted).toBe(1);
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
      expect(total).toBe(server.stats().bytesSentByTask.get(synth.getLastRequestId()!));
      expect(synth.isReusable()).toBe(true);
    }));

  it('is async-iterable, and breaking out early cancels the task', () =>
    using({}, async (synth) => {
      let chunks = 0;
      for await (const chunk of synth.stream(`${SENTENCE} `.repeat(40))) {
        expect(Buffer.isBuffer(chunk)).toBe(true);
        if (++chunks === 2) break;
      }
      await synth.whenIdle();
      expect(synth.lastTaskOutcome).toBe('cancelled');
      expect((await synth.call('Next.'))!.length).toBeGreaterThan(0);
    }));

  it('destroys the stream with the typed error when the task fails', () =>
    using({}, async (synth) => {
      server.faults.injectTaskFault('fail-mid-stream');
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

describe('server failures', () => {
  it('rejects a task failed at start with the server code, message and task id, without open', async () => {
    const order: string[] = [];
    await using(
      {
        voice: 'no_such_voice',
        callback: {
          onOpen: () => order.push('open'),
          onError: () => order.push('error'),
          onClose: () => order.push('close'),
        },
      },
      async (synth) => {
        const error = (await rejection(synth.call(SENTENCE))) as TaskFailedError;
        expect(error).toBeInstanceOf(TaskFailedError);
        expect(error.code).toBe('DS_ERR_TASK_FAILED');
        expect(error.errorCode).toBe('InvalidParameter');
        expect(error.errorMessage).toContain('418');
        expect(error.taskId).toBe(synth.getLastRequestId());
        expect(error.retryable).toBe(false);
        expect(order).toEqual(['error', 'close']);
        expect(synth.isReusable()).toBe(false);
        expect(synth.lastTaskOutcome).toBe('failed');
      },
    );
  });

  it('never reports a connection dropped mid-stream as success', () =>
    using({}, async (synth) => {
      const errors: unknown[] = [];
      synth.on('error', (error) => errors.push(error));
      server.faults.injectTaskFault('drop-mid-stream');
      const error = (await rejection(synth.call(`${SENTENCE} `.repeat(4)))) as ConnectionError;
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.code).toBe('DS_ERR_CONNECTION');
      expect(error.audioReceived).toBe(true);
      expect(errors).toEqual([error]);
      expect(synth.isReusable()).toBe(false);
    }));

  it('never reports a clean server close mid-stream as success', () =>
    using({}, async (synth) => {
      server.faults.injectTaskFault('close-mid-stream');
      const error = (await rejection(synth.call(`${SENTENCE} `.repeat(4)))) as ConnectionError;
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.audioReceived).toBe(true);
    }));

  it('fails a task failed mid-stream with the server code, and marks audio as received', () =>
    using({}, async (synth) => {
      server.faults.injectTaskFault('fail-mid-stream');
      const error = (await rejection(synth.call(`${SENTENCE} `.repeat(4)))) as TaskFailedError;
      expect(error).toBeInstanceOf(TaskFailedError);
      expect(error.audioReceived).toBe(true);
    }));

  it('retries once on a fresh connection when the socket dies before any audio', () =>
    using({}, async (synth) => {
      server.faults.injectTaskFault('hang');
      const started = waitForServerEvent('task-started');
      const result = synth.call(SENTENCE);
      await started;
      const accepted = server.stats().connectionsAccepted;
      expect(server.faults.killAllConnections()).toBeGreaterThanOrEqual(1);
      const audio = await result;
      expect(audio!.length).toBe(server.stats().bytesSentByTask.get(synth.getLastRequestId()!));
      expect(server.stats().connectionsAccepted - accepted).toBe(1);
      expect(synth.getTaskMetrics()!.attempts).toBe(2);
    }));

  it('reports throttling as a retryable task failure, and retries it when asked to', async () => {
    await using({}, async (synth) => {
      server.faults.injectTaskFault('throttle');
      const error = (await rejection(synth.call(SENTENCE))) as TaskFailedError;
      expect(error.errorCode).toBe('Throttling.RateQuota');
      expect(error.retryable).toBe(true);
    });
    await using({ retry: { throttling: 2, initialDelayMs: 10 } }, async (synth) => {
      server.faults.injectTaskFault('throttle');
      const audio = await synth.call(SENTENCE);
      expect(audio!.length).toBeGreaterThan(0);
      expect(synth.getTaskMetrics()!.attempts).toBe(2);
    });
  });

  it('times out a hanging task, closes its socket and leaves no timer behind', () =>
    using({ retry: { connectionFailures: 0 } }, async (synth) => {
      server.faults.injectTaskFault('hang');
      const error = (await rejection(synth.call(SENTENCE, { timeoutMs: 300 }))) as TaskTimeoutError;
      expect(error).toBeInstanceOf(TaskTimeoutError);
      expect(error.code).toBe('DS_ERR_TASK_TIMEOUT');
      expect(synth.isConnected).toBe(false);
      // The next task opens a new connection and works.
      expect((await synth.call('Again.'))!.length).toBeGreaterThan(0);
    }));

  it('fails a task when the server stays silent longer than responseTimeoutMs', () =>
    using({ responseTimeoutMs: 300, retry: { connectionFailures: 0 } }, async (synth) => {
      server.faults.injectTaskFault('hang');
      expect(await rejection(synth.call(SENTENCE))).toBeInstanceOf(TaskTimeoutError);
    }));
});

describe('abort', () => {
  it('rejects with AbortError, cancels on the server and keeps the socket usable', () =>
    using({}, async (synth) => {
      const controller = new AbortController();
      synth.once('data', () => controller.abort());
      const error = await rejection(synth.call(`${SENTENCE} `.repeat(40), { signal: controller.signal }));
      expect(error).toBeInstanceOf(AbortError);
      expect((error as AbortError).code).toBe('DS_ERR_ABORTED');
      await synth.whenIdle();
      expect(synth.lastTaskOutcome).toBe('cancelled');
      expect(synth.isReusable()).toBe(true);
      expect((await synth.call('Next.'))!.length).toBeGreaterThan(0);
    }));

  it('rejects at once for an already aborted signal, sending nothing', () =>
    using({}, async (synth) => {
      const before = server.stats().messagesReceived;
      expect(await rejection(synth.call(SENTENCE, { signal: AbortSignal.abort() }))).toBeInstanceOf(
        AbortError,
      );
      expect(server.stats().messagesReceived).toBe(before);
    }));

  it('leaves no timer behind after timeouts and aborts', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    await using({}, async (synth) => {
      for (let i = 0; i < 3; i += 1) {
        const controller = new AbortController();
        synth.once('data', () => controller.abort());
        await rejection(
          synth.call(`${SENTENCE} `.repeat(10), { signal: controller.signal, timeoutMs: 60_000 }),
        );
        await synth.whenIdle();
      }
      await synth.call(SENTENCE, { timeoutMs: 60_000 });
    });
    expect(timers()).toBeLessThanOrEqual(before);
  });
});

describe('handshake failures', () => {
  it('turns a refused key into an AuthenticationError with status and body, never the key', async () => {
    const wrongKey = 'sk-wrong-key-abcdefghijklmnop';
    await using({ apiKey: wrongKey }, async (synth) => {
      const error = (await rejection(synth.connect())) as AuthenticationError;
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.code).toBe('DS_ERR_AUTHENTICATION');
      expect(error.status).toBe(401);
      expect(error.retryable).toBe(false);
      expect(error.errorCode).toBe('InvalidApiKey');
      for (const text of [
        error.message,
        error.body,
        String(error),
        inspect(error, { depth: 5 }),
        inspect(synth),
      ]) {
        expect(text).not.toContain(wrongKey);
      }
    });
  });

  it('maps 403 to AuthenticationError and 429/503 to a retryable HandshakeError', async () => {
    for (const [status, type, retryable] of [
      [403, AuthenticationError, false],
      [429, HandshakeError, true],
      [503, HandshakeError, true],
    ] as const) {
      server.faults.refuseUpgrades(status);
      await using({}, async (synth) => {
        const error = (await rejection(synth.connect())) as HandshakeError;
        expect(error).toBeInstanceOf(type);
        expect(error.status).toBe(status);
        expect(error.retryable).toBe(retryable);
      });
    }
  });

  it('fails with ConnectionError when nothing listens', async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    await using({ url: `ws://127.0.0.1:${port}/api-ws/v1/inference` }, async (synth) => {
      const error = await rejection(synth.connect());
      expect(error).toBeInstanceOf(ConnectionError);
    });
  });

  it('fails with ConnectTimeoutError when the upgrade never answers', async () => {
    // The server reads (so it notices the client's close) but never answers the upgrade.
    const silent: Server = createServer((socket) => socket.resume());
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const port = (silent.address() as { port: number }).port;
    try {
      await using({ url: `ws://127.0.0.1:${port}/`, connectTimeoutMs: 200 }, async (synth) => {
        const error = (await rejection(synth.connect())) as ConnectTimeoutError;
        expect(error).toBeInstanceOf(ConnectTimeoutError);
        expect(error.timeoutMs).toBe(200);
      });
    } finally {
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('wss:// with a private certificate authority', () => {
  it('trusts the ca option, and refuses an unknown certificate with ConnectionError', async () => {
    const certificate = createSelfSignedCertificate();
    const tlsServer = await startLocalServer({ engine: 'synthetic', tls: certificate });
    try {
      expect(tlsServer.url.startsWith('wss://')).toBe(true);
      await using({ url: tlsServer.url, ca: certificate.cert }, async (synth) => {
        const audio = await synth.call(SENTENCE);
        expect(audio!.length).toBe(tlsServer.stats().bytesSentByTask.get(synth.getLastRequestId()!));
      });
      await using({ url: tlsServer.url }, async (synth) => {
        const error = (await rejection(synth.connect())) as ConnectionError;
        expect(error).toBeInstanceOf(ConnectionError);
        expect(error.message).toMatch(/certificate/i);
      });
    } finally {
      await tlsServer.close();
    }
  });
});

describe('validation: a typed error before anything is sent', () => {
  it('rejects bad parameters in the constructor', () => {
    const before = server.stats();
    expect(() => synthesizer({ volume: 101 })).toThrow(InvalidParameterError);
    expect(() => synthesizer({ speechRate: 3 })).toThrow(InvalidParameterError);
    expect(() => synthesizer({ seed: -1 })).toThrow(InvalidParameterError);
    expect(() => synthesizer({ format: { format: 'pcm', sampleRate: 12345 } })).toThrow(
      InvalidParameterError,
    );
    expect(() => synthesizer({ instruction: 'x'.repeat(101) })).toThrow(InvalidParameterError);
    expect(server.stats().connectionsAccepted).toBe(before.connectionsAccepted);
  });

  it('requires a key from the option or DASHSCOPE_API_KEY', () => {
    const saved = process.env.DASHSCOPE_API_KEY;
    delete process.env.DASHSCOPE_API_KEY;
    try {
      expect(() => synthesizer({ apiKey: undefined })).toThrow(MissingApiKeyError);
    } finally {
      if (saved !== undefined) process.env.DASHSCOPE_API_KEY = saved;
    }
  });

  it('rejects empty and over-long text without sending a frame', () =>
    using({}, async (synth) => {
      const before = server.stats();
      expect(await rejection(synth.call(''))).toBeInstanceOf(InvalidParameterError);
      expect(await rejection(synth.call('字'.repeat(10_001)))).toBeInstanceOf(InvalidParameterError);
      expect(await rejection(synth.streamingCall(''))).toBeInstanceOf(InvalidParameterError);
      const after = server.stats();
      expect(after.messagesReceived).toBe(before.messagesReceived);
      expect(after.connectionsAccepted).toBe(before.connectionsAccepted);
    }));

  it('allows one text message per task with SSML', () =>
    using({ enableSsml: true }, async (synth) => {
      await synth.streamingCall('<speak>Hello</speak>');
      expect(await rejection(synth.streamingCall('<speak>again</speak>'))).toBeInstanceOf(InvalidStateError);
      expect((await synth.streamingComplete())!.length).toBeGreaterThan(0);
    }));
});

describe('lifecycle', () => {
  it('fails a running task with ClosedError on close(), and refuses work afterwards', async () => {
    const synth = synthesizer();
    server.faults.injectTaskFault('hang');
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
