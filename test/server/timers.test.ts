import { afterEach, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../src/server/index.js';
import { inactivity } from '../../src/server/task-errors.js';
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

let server: LocalServer | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

async function open(s: LocalServer): Promise<TestClient> {
  const client = await connect(s.url);
  clients.push(client);
  return client;
}

describe('idle close (docs/protocol.md, "Idle close")', () => {
  it('closes a socket that has no task for idleTimeoutMs, after a finished task too', async () => {
    server = await startLocalServer({ engine: 'synthetic', idleTimeoutMs: 300 });
    const client = await open(server);
    const started = Date.now();
    const closed = await client.closed;
    expect(closed.code).toBe(1000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);

    const second = await open(server);
    await synthesize(second, ['好。']);
    const closedAgain = await second.closed;
    expect(closedAgain.code).toBe(1000);
    expect(second.events.at(-1)!.header.event).toBe('task-finished');
  });

  it('does not close a socket while a task is running', async () => {
    server = await startLocalServer({
      engine: 'synthetic',
      idleTimeoutMs: 200,
      taskInactivityTimeoutMs: 5_000,
    });
    const client = await open(server);
    const id = taskId();
    client.send(runTask(id));
    await client.waitForEvent('task-started');
    await new Promise((r) => setTimeout(r, 600));
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    client.send(continueTask(id, '还在。'));
    client.send(finishTask(id));
    expect((await client.waitForEnd(id)).header.event).toBe('task-finished');
  });

  it('setIdleTimeout changes the timeout of open sockets at run time', async () => {
    server = await startLocalServer({ engine: 'synthetic', idleTimeoutMs: 60_000 });
    const client = await open(server);
    server.faults.setIdleTimeout(100);
    const closed = await client.closed;
    expect(closed.code).toBe(1000);
    await eventually(() => server!.stats().openConnections === 0, 'no open connections');
  });
});

describe('in-task inactivity (docs/protocol.md, "Inactivity")', () => {
  it('V5: fails with CLIENT_ERROR and the configured seconds, then closes', async () => {
    server = await startLocalServer({ engine: 'synthetic', taskInactivityTimeoutMs: 400 });
    const client = await open(server);
    const id = taskId();
    client.send(runTask(id));
    client.send(continueTask(id, '第一句话。'));
    const failed = await client.waitForEnd(id);
    expect(failed.header).toMatchObject({
      event: 'task-failed',
      error_code: 'CLIENT_ERROR',
      error_message: 'request timeout after 0.4 seconds.',
    });
    // The sentence was delivered before the timeout.
    expect(client.events.some((e) => e.payload.output?.type === 'sentence-end')).toBe(true);
    await client.closed;
  });

  it('uses the documented text for the default 23 s', () => {
    expect(inactivity(23_000)).toEqual({
      code: 'CLIENT_ERROR',
      message: 'request timeout after 23 seconds.',
    });
  });

  it('client messages keep the task alive', async () => {
    server = await startLocalServer({ engine: 'synthetic', taskInactivityTimeoutMs: 1_500 });
    const client = await open(server);
    const id = taskId();
    client.send(runTask(id));
    for (let i = 0; i < 6; i++) {
      client.send(continueTask(id, '片'));
      await new Promise((r) => setTimeout(r, 400));
    }
    client.send(finishTask(id));
    expect((await client.waitForEnd(id)).header.event).toBe('task-finished');
  });
});

describe('pacing', () => {
  it('realTimeFactor keeps audio from being sent faster than real time × factor', async () => {
    server = await startLocalServer({
      engine: 'synthetic',
      pacing: { realTimeFactor: 0.5 },
      audioChunkBytes: 3200,
    });
    const client = await open(server);
    const started = Date.now();
    // 12 ideographs ≈ 2.2 s of synthetic speech at 16 kHz.
    await synthesize(client, ['一二三四五六七八九十百千。'], { sample_rate: 16000, format: 'pcm' });
    const audioMs = (client.audio().length / 2 / 16000) * 1000;
    expect(audioMs).toBeGreaterThan(2000);
    // All but the last chunk must wait: at least 0.5 × (duration − one chunk).
    expect(Date.now() - started).toBeGreaterThanOrEqual(0.5 * (audioMs - 100) - 20);
  });

  it('firstAudioDelayMs delays the first sentence', async () => {
    server = await startLocalServer({ engine: 'synthetic', pacing: { firstAudioDelayMs: 300 } });
    const client = await open(server);
    const id = taskId();
    client.send(runTask(id));
    await client.waitForEvent('task-started');
    const sent = Date.now();
    client.send(continueTask(id, '好。'));
    await client.waitForEvent('result-generated', 'sentence-begin');
    expect(Date.now() - sent).toBeGreaterThanOrEqual(280);
  });

  it('roundTripMs delays each direction by half and keeps the order', async () => {
    server = await startLocalServer({ engine: 'synthetic', pacing: { roundTripMs: 400 } });
    const client = await open(server);
    const id = taskId();
    const sent = Date.now();
    client.send(runTask(id));
    await client.waitForEvent('task-started');
    expect(Date.now() - sent).toBeGreaterThanOrEqual(380);
    client.send(continueTask(id, '一。二。'));
    client.send(finishTask(id));
    await client.waitForEnd(id);
    const seq = client.events.map((e) => e.payload.output?.type ?? e.header.event);
    expect(seq[0]).toBe('task-started');
    expect(seq.at(-1)).toBe('task-finished');
    expect(seq.filter((s) => s === 'sentence-end')).toHaveLength(2);
  });
});
