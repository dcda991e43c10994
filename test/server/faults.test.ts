import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../src/server/index.js';
import {
  connect,
  continueTask,
  eventually,
  finishTask,
  runTask,
  synthesize,
  taskId,
  type TestClient,
} from './helpers.js';

let server: LocalServer;
const clients: TestClient[] = [];

async function open(): Promise<TestClient> {
  const client = await connect(server.url);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  server = await startLocalServer({ engine: 'synthetic', audioChunkBytes: 2000 });
});

afterEach(() => {
  server.faults.clearFaults();
  for (const c of clients.splice(0)) c.close();
});

afterAll(async () => {
  await server.close();
});

/** Starts a task with several sentences of text and finish, returns its id. */
function startLongTask(client: TestClient, text = '第一句话。第二句话。第三句话。'): string {
  const id = taskId();
  client.send(runTask(id));
  client.send(continueTask(id, text));
  client.send(finishTask(id));
  return id;
}

function binaryCount(client: TestClient): number {
  return client.frames.filter((f) => f.type === 'binary').length;
}

describe('per-task faults', () => {
  it('fail-at-start: task-failed instead of task-started, then close', async () => {
    server.faults.injectTaskFault('fail-at-start');
    const client = await open();
    const id = startLongTask(client);
    const end = await client.waitForEnd(id);
    expect(end.header).toMatchObject({ event: 'task-failed', error_code: 'InternalError' });
    expect(client.events.some((e) => e.header.event === 'task-started')).toBe(false);
    await client.closed;
    // count: 1 means the next task is healthy.
    const next = await open();
    expect((await synthesize(next, ['好。'])).end.header.event).toBe('task-finished');
  });

  it('throttle: Throttling.RateQuota at start', async () => {
    server.faults.injectTaskFault('throttle', { count: 2 });
    for (let i = 0; i < 2; i++) {
      const client = await open();
      const id = startLongTask(client);
      const end = await client.waitForEnd(id);
      expect(end.header).toMatchObject({
        event: 'task-failed',
        error_code: 'Throttling.RateQuota',
        error_message: 'Requests rate limit exceeded, please try again later.',
      });
    }
    const client = await open();
    expect((await synthesize(client, ['好。'])).end.header.event).toBe('task-finished');
  });

  it('fail-mid-stream: task-failed right after the first audio frame', async () => {
    server.faults.injectTaskFault('fail-mid-stream');
    const client = await open();
    const id = startLongTask(client);
    const end = await client.waitForEnd(id);
    expect(end.header.event).toBe('task-failed');
    expect(binaryCount(client)).toBe(1);
    const seq = client.frames.map((f) =>
      f.type === 'binary' ? '#' : (f.json.payload.output?.type ?? f.json.header.event),
    );
    expect(seq).toEqual(['task-started', 'sentence-begin', 'sentence-synthesis', '#', 'task-failed']);
    await client.closed;
  });

  it('drop-mid-stream: the TCP connection is destroyed after the first audio frame (no close frame)', async () => {
    server.faults.injectTaskFault('drop-mid-stream');
    const client = await open();
    startLongTask(client);
    const closed = await client.closed;
    expect(closed.code).toBe(1006);
    expect(binaryCount(client)).toBe(1);
    expect(
      client.events.some((e) => e.header.event === 'task-finished' || e.header.event === 'task-failed'),
    ).toBe(false);
  });

  it('close-mid-stream: a clean close (1011) without task-finished', async () => {
    server.faults.injectTaskFault('close-mid-stream');
    const client = await open();
    startLongTask(client);
    const closed = await client.closed;
    expect([1000, 1011]).toContain(closed.code);
    expect(binaryCount(client)).toBe(1);
    expect(client.events.some((e) => e.header.event === 'task-finished')).toBe(false);
  });

  it('hang: task-started, then nothing, and the inactivity timer does not rescue it', async () => {
    const hangServer = await startLocalServer({
      engine: 'synthetic',
      taskInactivityTimeoutMs: 200,
      idleTimeoutMs: 200,
    });
    try {
      hangServer.faults.injectTaskFault('hang');
      const client = await connect(hangServer.url);
      clients.push(client);
      startLongTask(client);
      await client.waitForEvent('task-started');
      await new Promise((r) => setTimeout(r, 800));
      expect(client.events.map((e) => e.header.event)).toEqual(['task-started']);
      expect(client.ws.readyState).toBe(client.ws.OPEN);
      expect(hangServer.stats().tasks.active).toBe(1);
    } finally {
      await hangServer.close();
    }
  });

  it('match: only a task whose first text contains the substring gets the fault', async () => {
    server.faults.injectTaskFault('fail-mid-stream', { match: 'POISON' });
    const healthy = await open();
    expect((await synthesize(healthy, ['A healthy sentence.'])).end.header.event).toBe('task-finished');
    const poisoned = await open();
    const id = startLongTask(poisoned, 'This one has POISON in it. And more text.');
    expect((await poisoned.waitForEnd(id)).header.event).toBe('task-failed');
    const after = await open();
    expect((await synthesize(after, ['POISON again, but the count is used up.'])).end.header.event).toBe(
      'task-finished',
    );
  });

  it('slow: the task finishes with all its audio, paced no faster than real time', async () => {
    const text = '第一句话。第二句话。';
    const fast = await open();
    const quick = performance.now();
    await synthesize(fast, [text]);
    const quickMs = performance.now() - quick;
    const fastBytes = fast.audio().length;
    server.faults.injectTaskFault('slow');
    const client = await open();
    const startedAt = performance.now();
    const { end } = await synthesize(client, [text]);
    const slowMs = performance.now() - startedAt;
    expect(end.header.event).toBe('task-finished');
    expect(client.audio().length).toBe(fastBytes);
    // 16 kHz 16-bit mono PCM: 32 bytes a millisecond; the last chunk may go out early.
    expect(slowMs).toBeGreaterThan(fastBytes / 32 / 2);
    expect(slowMs).toBeGreaterThan(quickMs);
  });

  it('match with a start fault: task-started, then task-failed at the matching text, no audio', async () => {
    server.faults.injectTaskFault('throttle', { match: 'POISON' });
    const client = await open();
    const id = startLongTask(client, 'POISON first. Then more text.');
    const end = await client.waitForEnd(id);
    expect(end.header).toMatchObject({ event: 'task-failed', error_code: 'Throttling.RateQuota' });
    expect(client.events.map((e) => e.header.event)).toEqual(['task-started', 'task-failed']);
    expect(binaryCount(client)).toBe(0);
    await client.closed;
  });

  it('setTaskFaultRate(…, 1) hits every task and 0 turns it off', async () => {
    server.faults.setTaskFaultRate('throttle', 1);
    const a = await open();
    const id = startLongTask(a);
    expect((await a.waitForEnd(id)).header.error_code).toBe('Throttling.RateQuota');
    server.faults.setTaskFaultRate('throttle', 0);
    const b = await open();
    expect((await synthesize(b, ['好。'])).end.header.event).toBe('task-finished');
  });

  it('rejects bad fault arguments with a stable code', () => {
    expect(() => server.faults.injectTaskFault('explode' as never)).toThrow(
      expect.objectContaining({ code: 'DS_ERR_INVALID_OPTION' }),
    );
    expect(() => server.faults.setTaskFaultRate('hang', 2)).toThrow(/probability/);
    expect(() => server.faults.refuseUpgrades(500 as never)).toThrow(/status/);
  });
});

describe('server-wide faults', () => {
  it('refuseUpgrades answers 401/403/429/503 with a JSON body, null accepts again', async () => {
    const codes: Record<number, string> = {
      401: 'InvalidApiKey',
      403: 'AccessDenied',
      429: 'Throttling.RateQuota',
      503: 'ServiceUnavailable',
    };
    for (const status of [401, 403, 429, 503] as const) {
      server.faults.refuseUpgrades(status);
      const error = (await connect(server.url).catch((e: unknown) => e)) as { status: number; body: string };
      expect(error.status).toBe(status);
      expect(JSON.parse(error.body)).toMatchObject({ code: codes[status] });
    }
    server.faults.refuseUpgrades(null);
    await open();
  });

  it('refuseConnections destroys new TCP connections for a while', async () => {
    server.faults.refuseConnections(300);
    await expect(connect(server.url)).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 400));
    await open();
  });

  it('closeIdleConnections closes every socket without a task, as the idle close does', async () => {
    const idle = await open();
    const busy = await open();
    await eventually(() => server.stats().openConnections >= 2, 'two open connections');
    server.faults.injectTaskFault('hang');
    startLongTask(busy);
    await busy.waitFor(() => busy.events.some((e) => e.header.event === 'task-started'), 'task-started');
    const closed = server.faults.closeIdleConnections();
    expect(closed).toBeGreaterThanOrEqual(1);
    expect(await idle.closed).toMatchObject({ code: 1000 });
    // The socket running a task is left alone.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(busy.ws.readyState).toBe(busy.ws.OPEN);
  });

  it('killAllConnections terminates every socket without a close frame', async () => {
    const a = await open();
    const b = await open();
    await eventually(() => server.stats().openConnections >= 2, 'two open connections');
    const killed = server.faults.killAllConnections();
    expect(killed).toBeGreaterThanOrEqual(2);
    expect((await a.closed).code).toBe(1006);
    expect((await b.closed).code).toBe(1006);
    await eventually(() => server.stats().openConnections === 0, 'no open connections');
  });
});

describe('counters and events', () => {
  it('counts connections, messages, tasks by outcome and bytes per task', async () => {
    const fresh = await startLocalServer({ engine: 'synthetic' });
    try {
      const seen: string[] = [];
      for (const name of [
        'connection',
        'client-message',
        'task-started',
        'task-finished',
        'task-failed',
        'task-cancelled',
        'disconnect',
      ]) {
        fresh.events.on(name, () => seen.push(name));
      }
      const client = await connect(fresh.url);
      clients.push(client);
      const { id } = await synthesize(client, ['一。', '二。']);
      const stats = fresh.stats();
      expect(stats.connectionsAccepted).toBe(1);
      expect(stats.openConnections).toBe(1);
      expect(stats.messagesReceived).toBe(4);
      expect(stats.tasks).toMatchObject({ started: 1, finished: 1, failed: 0, cancelled: 0, active: 0 });
      expect(stats.bytesSentByTask.get(id)).toBe(client.audio().length);
      client.close();
      await eventually(() => fresh.stats().openConnections === 0, 'disconnect');
      expect(seen.filter((s) => s === 'client-message')).toHaveLength(4);
      expect(seen).toContain('connection');
      expect(seen).toContain('task-started');
      expect(seen).toContain('task-finished');
      expect(seen.at(-1)).toBe('disconnect');
    } finally {
      await fresh.close();
    }
  });

  it('a client closing mid-task aborts it (counted, nothing more sent)', async () => {
    const fresh = await startLocalServer({ engine: 'synthetic', pacing: { realTimeFactor: 1 } });
    try {
      const client = await connect(fresh.url);
      clients.push(client);
      startLongTask(client, '这是一段需要时间播放的文字。'.repeat(3));
      await client.waitFor(() => binaryCount(client) > 0, 'audio');
      client.ws.close();
      await eventually(() => fresh.stats().tasks.aborted === 1 && fresh.stats().tasks.active === 0, 'abort');
    } finally {
      await fresh.close();
    }
  });
});
