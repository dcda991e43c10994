/** One task on the wire: retries, timeouts, the watchdog, abort and text limits (src/synthesizer/task-driver.ts). */
import { describe, expect, it } from 'vitest';
import {
  AbortError,
  ConnectionError,
  InvalidParameterError,
  InvalidStateError,
  TaskFailedError,
  TaskTimeoutError,
} from '../../src/errors/index.js';
import { kWhenIdle } from '../../src/synthesizer/internal.js';
import { rejection, SENTENCE, useLocalServer } from './helpers.js';

const fixture = useLocalServer();
const { using, waitForServerEvent } = fixture;

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
      fixture.server.faults.injectTaskFault('drop-mid-stream');
      const error = (await rejection(synth.call(`${SENTENCE} `.repeat(4)))) as ConnectionError;
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.code).toBe('DS_ERR_CONNECTION');
      expect(error.audioReceived).toBe(true);
      expect(errors).toEqual([error]);
      expect(synth.isReusable()).toBe(false);
    }));

  it('never reports a clean server close mid-stream as success', () =>
    using({}, async (synth) => {
      fixture.server.faults.injectTaskFault('close-mid-stream');
      const error = (await rejection(synth.call(`${SENTENCE} `.repeat(4)))) as ConnectionError;
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error.audioReceived).toBe(true);
    }));

  it('fails a task failed mid-stream with the server code, and marks audio as received', () =>
    using({}, async (synth) => {
      fixture.server.faults.injectTaskFault('fail-mid-stream');
      const error = (await rejection(synth.call(`${SENTENCE} `.repeat(4)))) as TaskFailedError;
      expect(error).toBeInstanceOf(TaskFailedError);
      expect(error.audioReceived).toBe(true);
    }));

  it('retries once on a fresh connection when the socket dies before any audio', () =>
    using({}, async (synth) => {
      fixture.server.faults.injectTaskFault('hang');
      const started = waitForServerEvent('task-started');
      const result = synth.call(SENTENCE);
      await started;
      const accepted = fixture.server.stats().connectionsAccepted;
      expect(fixture.server.faults.killAllConnections()).toBeGreaterThanOrEqual(1);
      const audio = await result;
      expect(audio!.length).toBe(fixture.server.stats().bytesSentByTask.get(synth.getLastRequestId()!));
      expect(fixture.server.stats().connectionsAccepted - accepted).toBe(1);
      expect(synth.getTaskMetrics()!.attempts).toBe(2);
    }));

  it('reports throttling as a retryable task failure, and retries it when asked to', async () => {
    await using({}, async (synth) => {
      fixture.server.faults.injectTaskFault('throttle');
      const error = (await rejection(synth.call(SENTENCE))) as TaskFailedError;
      expect(error.errorCode).toBe('Throttling.RateQuota');
      expect(error.retryable).toBe(true);
    });
    await using({ retry: { throttling: 2, initialDelayMs: 10 } }, async (synth) => {
      fixture.server.faults.injectTaskFault('throttle');
      const audio = await synth.call(SENTENCE);
      expect(audio!.length).toBeGreaterThan(0);
      expect(synth.getTaskMetrics()!.attempts).toBe(2);
    });
  });

  it('times out a hanging task, closes its socket and leaves no timer behind', () =>
    using({ retry: { connectionFailures: 0 } }, async (synth) => {
      fixture.server.faults.injectTaskFault('hang');
      const error = (await rejection(synth.call(SENTENCE, { timeoutMs: 300 }))) as TaskTimeoutError;
      expect(error).toBeInstanceOf(TaskTimeoutError);
      expect(error.code).toBe('DS_ERR_TASK_TIMEOUT');
      expect(synth.isConnected).toBe(false);
      // The next task opens a new connection and works.
      expect((await synth.call('Again.'))!.length).toBeGreaterThan(0);
    }));

  it('fails a task when the server stays silent longer than responseTimeoutMs', () =>
    using({ responseTimeoutMs: 300, retry: { connectionFailures: 0 } }, async (synth) => {
      fixture.server.faults.injectTaskFault('hang');
      expect(await rejection(synth.call(SENTENCE))).toBeInstanceOf(TaskTimeoutError);
    }));

  it('watches task after task with one timer: no false alarm over many tasks, a silent one caught', () =>
    // A limit well above any stall of a loaded machine, and tasks back to back for longer than it.
    using({ responseTimeoutMs: 1_500, retry: { connectionFailures: 0 } }, async (synth) => {
      // The watchdog armed for the first task must not fail a later one that is not silent.
      const startedAt = performance.now();
      for (let i = 0; i < 1_000 && performance.now() - startedAt < 3_500; i += 1) {
        expect((await synth.call('Short.'))!.length).toBeGreaterThan(0);
      }
      // An idle pause longer than the limit, then a silent task: caught all the same.
      await new Promise((resolve) => setTimeout(resolve, 1_700));
      fixture.server.faults.injectTaskFault('hang');
      expect(await rejection(synth.call(SENTENCE))).toBeInstanceOf(TaskTimeoutError);
      expect((await synth.call('Again.'))!.length).toBeGreaterThan(0);
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
      await synth[kWhenIdle]();
      expect(synth.lastTaskOutcome).toBe('cancelled');
      expect(synth.isReusable()).toBe(true);
      expect((await synth.call('Next.'))!.length).toBeGreaterThan(0);
    }));

  it('rejects at once for an already aborted signal, sending nothing', () =>
    using({}, async (synth) => {
      const before = fixture.server.stats().messagesReceived;
      expect(await rejection(synth.call(SENTENCE, { signal: AbortSignal.abort() }))).toBeInstanceOf(
        AbortError,
      );
      expect(fixture.server.stats().messagesReceived).toBe(before);
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
        await synth[kWhenIdle]();
      }
      await synth.call(SENTENCE, { timeoutMs: 60_000 });
    });
    expect(timers()).toBeLessThanOrEqual(before);
  });
});

describe('text limits: a typed error before anything is sent', () => {
  it('rejects empty and over-long text without sending a frame', () =>
    using({}, async (synth) => {
      const before = fixture.server.stats();
      expect(await rejection(synth.call(''))).toBeInstanceOf(InvalidParameterError);
      expect(await rejection(synth.call('字'.repeat(10_001)))).toBeInstanceOf(InvalidParameterError);
      expect(await rejection(synth.streamingCall(''))).toBeInstanceOf(InvalidParameterError);
      const after = fixture.server.stats();
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
