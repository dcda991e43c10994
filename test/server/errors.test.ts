import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../src/server/index.js';
import {
  connect,
  continueTask,
  finishTask,
  runTask,
  synthesize,
  taskId,
  type ServerMessage,
  type TestClient,
} from './helpers.js';

let server: LocalServer;
const clients: TestClient[] = [];

beforeAll(async () => {
  server = await startLocalServer({ engine: 'synthetic', apiKey: 'sk-right' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server.close();
});

/** Expects the socket's last event to be task-failed with this code and message, then a close. */
async function expectFailure(
  client: TestClient,
  id: string,
  code: string,
  message: string | RegExp,
): Promise<ServerMessage> {
  const failed = await client.waitForEnd(id);
  expect(failed.header.event).toBe('task-failed');
  expect(failed.header.error_code).toBe(code);
  if (typeof message === 'string') expect(failed.header.error_message).toBe(message);
  else expect(failed.header.error_message).toMatch(message);
  expect(failed.payload).toEqual({});
  expect(failed.header.attributes).toEqual({});
  await client.closed;
  expect(client.events.at(-1)).toBe(failed);
  return failed;
}

describe('authentication with a configured key', () => {
  it('accepts Bearer <key> with any scheme case', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const client = await connect(server.url, { Authorization: `${scheme} sk-right` });
      clients.push(client);
      const { end } = await synthesize(client, ['好。']);
      expect(end.header.event).toBe('task-finished');
    }
  });

  it('refuses a wrong key with 401 and the JSON body, and counts the rejection', async () => {
    const before = server.stats().upgradesRejected;
    const error = (await connect(server.url, { Authorization: 'Bearer sk-bad' }).catch(
      (e: unknown) => e,
    )) as {
      status: number;
      body: string;
    };
    expect(error.status).toBe(401);
    expect(JSON.parse(error.body)).toMatchObject({
      code: 'InvalidApiKey',
      message: 'Invalid API-key provided.',
    });
    expect(server.stats().upgradesRejected).toBe(before + 1);
  });
});

function fresh(): Promise<TestClient> {
  return connect(server.url, { Authorization: 'Bearer sk-right' }).then((c) => {
    clients.push(c);
    return c;
  });
}

describe('task-failed then close, for each documented error', () => {
  it('V4: unknown voice', async () => {
    const client = await fresh();
    const id = taskId();
    client.send(runTask(id, { voice: 'no_such_voice' }));
    // A Java client's continue-task already in flight is discarded.
    client.send(continueTask(id, '你好。'));
    await expectFailure(client, id, 'InvalidParameter', '[tts:]Engine return error code: 418');
    expect(client.frames.some((f) => f.type === 'binary')).toBe(false);
  });

  it('accepts cloned voices (cosyvoice-*) with the default voice', async () => {
    const client = await fresh();
    const { end } = await synthesize(client, ['克隆。'], { voice: 'cosyvoice-v3-myvoice-0123456789abcdef' });
    expect(end.header.event).toBe('task-finished');
  });

  it('missing input', async () => {
    const client = await fresh();
    const id = taskId();
    const message = runTask(id) as { payload: Record<string, unknown> };
    delete message.payload.input;
    client.send(message);
    await expectFailure(
      client,
      id,
      'InvalidParameter',
      "Missing required parameter 'payload.input'! Please follow the protocol!",
    );
  });

  it('stray input fields', async () => {
    const client = await fresh();
    const id = taskId();
    client.send(runTask(id, {}, { input: { mode: 'x' } }));
    await expectFailure(client, id, 'InvalidParameter', 'task can not be null');
  });

  it('missing model', async () => {
    const client = await fresh();
    const id = taskId();
    const message = runTask(id) as { payload: Record<string, unknown> };
    delete message.payload.model;
    client.send(message);
    await expectFailure(
      client,
      id,
      'InvalidParameter',
      "Missing required parameter 'payload.model'! Please follow the protocol!",
    );
  });

  it('no voice', async () => {
    const client = await fresh();
    const id = taskId();
    client.send(runTask(id, { voice: undefined }));
    await expectFailure(client, id, 'InvalidParameter', 'Request voice is invalid!');
  });

  it('unsupported format and sample rate', async () => {
    const a = await fresh();
    const id = taskId();
    a.send(runTask(id, { format: 'flac' }));
    await expectFailure(a, id, 'InvalidParameter', /format "flac"/);
    const b = await fresh();
    const id2 = taskId();
    b.send(runTask(id2, { sample_rate: 11111 }));
    await expectFailure(b, id2, 'InvalidParameter', /sample_rate 11111/);
  });

  it('empty text', async () => {
    const client = await fresh();
    const id = taskId();
    client.send(runTask(id));
    client.send(continueTask(id, ''));
    await expectFailure(client, id, 'InvalidParameter', 'Parameter invalid: text is null');
  });

  it('finish with no text', async () => {
    const client = await fresh();
    const id = taskId();
    client.send(runTask(id));
    client.send(finishTask(id));
    await expectFailure(client, id, 'InvalidParameter', 'Ensure input text is valid.');
  });

  it('run-task while a task is active ("Task lifecycle")', async () => {
    const client = await fresh();
    const first = taskId();
    const second = taskId();
    client.send(runTask(first));
    await client.waitForEvent('task-started');
    client.send(runTask(second));
    await expectFailure(
      client,
      second,
      'InvalidParameter',
      "Invalid action('run-task')! Please follow the protocol!",
    );
  });

  it('continue-task with an unknown task id ("Task lifecycle")', async () => {
    const client = await fresh();
    const id = taskId();
    const other = taskId();
    client.send(runTask(id));
    client.send(continueTask(other, '你好。'));
    await expectFailure(client, other, 'InvalidParameter', /Invalid task_id/);
  });

  it('continue-task with no task at all ("Task lifecycle")', async () => {
    const client = await fresh();
    const id = taskId();
    client.send(continueTask(id, '你好。'));
    await expectFailure(client, id, 'InvalidParameter', /Invalid task_id/);
  });

  it('more than one continue-task with enable_ssml', async () => {
    const client = await fresh();
    const id = taskId();
    client.send(runTask(id, { enable_ssml: true }));
    client.send(continueTask(id, '<speak>第一句。</speak>'));
    client.send(continueTask(id, '<speak>第二句。</speak>'));
    await expectFailure(client, id, 'InvalidParameter', 'Text request limit violated, expected 1.');
  });

  it('SSML with one continue-task works and tags are not spoken or billed', async () => {
    const client = await fresh();
    const { end } = await synthesize(client, ['<speak rate="1.2">你好<break time="200ms"/>世界。</speak>'], {
      enable_ssml: true,
    });
    expect(end.header.event).toBe('task-finished');
    expect(end.payload.usage).toEqual({ characters: 9 });
  });

  it('more than 20 000 characters in one message, CJK counted twice', async () => {
    const client = await fresh();
    const id = taskId();
    client.send(runTask(id));
    // 10 001 ideographs = 20 002 characters, though only 10 001 code points.
    client.send(continueTask(id, '字'.repeat(10_001)));
    await expectFailure(client, id, 'InvalidParameter', /20000/);
  });

  it('exactly 20 000 characters in one message is accepted', async () => {
    const client = await fresh();
    const id = taskId();
    client.send(runTask(id));
    // No sentence end: buffered, so the cancel below is answered without synthesizing it.
    client.send(continueTask(id, '字'.repeat(10_000)));
    client.send({
      header: { action: 'finish-task', task_id: id, streaming: 'duplex' },
      payload: { input: { directive: 'cancel' } },
    });
    const end = await client.waitForEnd(id);
    expect(end.header.event).toBe('task-finished');
  });

  it('more than 200 000 characters in one task', async () => {
    const client = await fresh();
    const id = taskId();
    client.send(runTask(id));
    // 11 messages of 19 000 characters each (9 500 ideographs, no sentence end: nothing is synthesized).
    for (let i = 0; i < 11; i++) client.send(continueTask(id, '字'.repeat(9_500)));
    await expectFailure(client, id, 'InvalidParameter', /200000/);
  });

  it('malformed JSON closes the socket with 1007', async () => {
    const client = await fresh();
    client.send('{"header": nope');
    const closed = await client.closed;
    expect(closed.code).toBe(1007);
  });

  it('an unknown action fails the task', async () => {
    const client = await fresh();
    const id = taskId();
    client.send({ header: { action: 'pause-task', task_id: id, streaming: 'duplex' }, payload: {} });
    await expectFailure(
      client,
      id,
      'InvalidParameter',
      "Invalid action('pause-task')! Please follow the protocol!",
    );
  });

  it('counts failed tasks', () => {
    expect(server.stats().tasks.failed).toBeGreaterThanOrEqual(15);
  });
});

describe('strictTaskStarted', () => {
  it('fails a continue-task sent before task-started reached the client (with a round trip)', async () => {
    const strict = await startLocalServer({
      engine: 'synthetic',
      strictTaskStarted: true,
      pacing: { roundTripMs: 200 },
    });
    try {
      const client = await connect(strict.url);
      clients.push(client);
      const id = taskId();
      client.send(runTask(id));
      client.send(continueTask(id, '太早了。'));
      await expectFailure(
        client,
        id,
        'InvalidParameter',
        "Invalid action('continue-task')! Please follow the protocol!",
      );

      // A client that waits for task-started is fine.
      const patient = await connect(strict.url);
      clients.push(patient);
      const ok = taskId();
      patient.send(runTask(ok));
      await patient.waitForEvent('task-started');
      patient.send(continueTask(ok, '刚好。'));
      patient.send(finishTask(ok));
      expect((await patient.waitForEnd(ok)).header.event).toBe('task-finished');
    } finally {
      await strict.close();
    }
  });
});
