/**
 * The local generation endpoints against docs/protocol.md, "HTTP generation: local endpoints" and
 * "HTTP generation: examples", over raw HTTP.
 */
import http from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GENERATION_ENDPOINT_PATHS } from '../../src/server/generation/index.js';
import { API_KEY, startServer, expectNoLeaks, handleCounts } from './helpers.js';
import type { TestServer } from './helpers.js';

const TEXT = GENERATION_ENDPOINT_PATHS.text;
const MM = GENERATION_ENDPOINT_PATHS.multimodal;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const M = { role: 'user', content: 'Say hello' };

interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function raw(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'POST',
        agent: false,
        headers: {
          Authorization: `Bearer ${API_KEY}`,
          'Content-Type': 'application/json',
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body),
    );
  });
}

const SSE = { 'X-DashScope-SSE': 'enable', Accept: 'text/event-stream' };

let srv: TestServer;
let baseline: Record<string, number>;
beforeAll(async () => {
  baseline = handleCounts();
  srv = await startServer();
});
afterAll(async () => {
  await srv.close();
  await expectNoLeaks(baseline);
});
beforeEach(() => {
  srv.endpoint.faults.reset();
});

describe('generation endpoint', () => {
  it('TV1: non-streaming message result', async () => {
    const r = await raw(srv.port, TEXT, {
      body: { model: 'qwen-plus', input: { messages: [M] }, parameters: { result_format: 'message' } },
    });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(r.text) as Record<string, unknown>;
    expect(body).toEqual({
      output: { choices: [{ finish_reason: 'stop', message: { role: 'assistant', content: 'Hello' } }] },
      usage: { input_tokens: 3, output_tokens: 1, total_tokens: 4 },
      request_id: expect.stringMatching(UUID) as unknown,
    });
    expect(r.headers['x-request-id']).toBe(body.request_id);
  });

  it('answers in text format by default', async () => {
    const r = await raw(srv.port, TEXT, { body: { model: 'qwen-plus', input: { prompt: 'Say hi there' } } });
    expect(JSON.parse(r.text)).toMatchObject({ output: { text: 'Hi there', finish_reason: 'stop' } });
  });

  it('TV2: streaming incremental, exact framing', async () => {
    const r = await raw(srv.port, TEXT, {
      headers: SSE,
      body: {
        model: 'qwen-plus',
        input: { messages: [M] },
        parameters: { result_format: 'message', incremental_output: true },
      },
    });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/event-stream;charset=UTF-8');
    expect(r.headers['transfer-encoding']).toBe('chunked');
    const rid = r.headers['x-request-id'] as string;
    expect(rid).toMatch(UUID);
    const ev = (id: number, content: string, finish: string, out: number): string =>
      `id:${id}\nevent:result\n:HTTP_STATUS/200\ndata:` +
      JSON.stringify({
        output: { choices: [{ finish_reason: finish, message: { role: 'assistant', content } }] },
        usage: { input_tokens: 3, output_tokens: out, total_tokens: 3 + out },
        request_id: rid,
      }) +
      '\n\n';
    expect(r.text).toBe(ev(1, 'Hel', 'null', 1) + ev(2, 'lo', 'null', 2) + ev(3, '', 'stop', 2));
  });

  it('TV3: streaming cumulative when incremental_output is false', async () => {
    const r = await raw(srv.port, TEXT, {
      headers: SSE,
      body: {
        model: 'qwen-plus',
        input: { messages: [M] },
        parameters: { result_format: 'message', incremental_output: false },
      },
    });
    const contents = r.text
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map(
        (l) =>
          (JSON.parse(l.slice(5)) as { output: { choices: { message: { content: string } }[] } }).output
            .choices[0]!.message.content,
      );
    expect(contents).toEqual(['Hel', 'Hello', 'Hello']);
  });

  it('streams on Accept: text/event-stream alone', async () => {
    const r = await raw(srv.port, TEXT, {
      headers: { Accept: 'text/event-stream' },
      body: { model: 'qwen-plus', input: { prompt: 'Say hello' } },
    });
    expect(r.headers['content-type']).toBe('text/event-stream;charset=UTF-8');
  });

  it('TV4: 401 for a wrong key and for no key, as JSON even for stream requests', async () => {
    const bad = await raw(srv.port, TEXT, {
      headers: { ...SSE, Authorization: 'Bearer sk-bad' },
      body: { model: 'qwen-plus', input: { messages: [M] } },
    });
    expect(bad.status).toBe(401);
    expect(bad.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(bad.text)).toMatchObject({
      code: 'InvalidApiKey',
      message: 'Invalid API-key provided.',
    });
    const none = await raw(srv.port, TEXT, {
      headers: { Authorization: '' },
      body: { model: 'qwen-plus', input: { messages: [M] } },
    });
    expect(JSON.parse(none.text)).toMatchObject({ code: 'InvalidApiKey', message: 'No API-key provided.' });
    const lower = await raw(srv.port, TEXT, {
      headers: { Authorization: `bearer ${API_KEY}` },
      body: { model: 'qwen-plus', input: { messages: [M] } },
    });
    expect(lower.status).toBe(200);
  });

  it('TV5: 429 while the throttle is on, with Retry-After', async () => {
    srv.endpoint.faults.failNext(1, { status: 429, retryAfterSeconds: 2 });
    const r = await raw(srv.port, TEXT, { body: { model: 'qwen-plus', input: { messages: [M] } } });
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('2');
    expect(JSON.parse(r.text)).toMatchObject({
      code: 'Throttling.RateQuota',
      message: 'Requests rate limit exceeded, please try again later.',
    });
    const next = await raw(srv.port, TEXT, { body: { model: 'qwen-plus', input: { messages: [M] } } });
    expect(next.status).toBe(200);
  });

  it('TV6: 400 for a missing input, and the in-stream moderation error', async () => {
    const r = await raw(srv.port, TEXT, { body: { model: 'qwen-plus', input: {}, parameters: {} } });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toMatchObject({
      code: 'InvalidParameter',
      message: 'Either "prompt" or "messages" must exist and cannot both be none',
    });
    srv.endpoint.faults.streamErrorAfterEvents = 2;
    const s = await raw(srv.port, TEXT, {
      headers: SSE,
      body: {
        model: 'qwen-plus',
        input: { messages: [M] },
        parameters: { result_format: 'message', incremental_output: true },
      },
    });
    expect(s.status).toBe(200);
    const rid = s.headers['x-request-id'] as string;
    expect(
      s.text.endsWith(
        `id:3\nevent:error\n:HTTP_STATUS/400\ndata:` +
          JSON.stringify({
            code: 'DataInspectionFailed',
            message: 'Input or output data may contain inappropriate content.',
            request_id: rid,
          }) +
          '\n\n',
      ),
    ).toBe(true);
    expect(s.text.match(/event:result/g)).toHaveLength(2);
  });

  it('400 for a missing model and for bad JSON', async () => {
    const noModel = await raw(srv.port, TEXT, { body: { input: { messages: [M] } } });
    expect(JSON.parse(noModel.text)).toMatchObject({ code: 'BadRequest.EmptyModel' });
    const badJson = await raw(srv.port, TEXT, { body: '{nope' });
    expect(badJson.status).toBe(400);
    expect(JSON.parse(badJson.text)).toMatchObject({ code: 'InvalidParameter' });
  });

  it('multimodal: content must be an array; answers use choices with content parts', async () => {
    const bad = await raw(srv.port, MM, { body: { model: 'qwen-vl-plus', input: { messages: [M] } } });
    expect(bad.status).toBe(400);
    const ok = await raw(srv.port, MM, {
      body: {
        model: 'qwen-vl-plus',
        input: {
          messages: [
            { role: 'user', content: [{ image: 'https://example.com/cat.png' }, { text: 'Say meow' }] },
          ],
        },
      },
    });
    expect(JSON.parse(ok.text)).toMatchObject({
      output: {
        choices: [{ finish_reason: 'stop', message: { role: 'assistant', content: [{ text: 'Meow' }] } }],
      },
    });
  });

  it('only its exact paths; 405 for other methods', async () => {
    const other = await raw(srv.port, `${TEXT}/`, { body: {} });
    expect(other.status).toBe(404);
    const get = await raw(srv.port, TEXT, { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
  });

  it('HTML 502 switch', async () => {
    srv.endpoint.faults.failNext(1, { status: 502, html: true });
    const r = await raw(srv.port, TEXT, { body: { model: 'qwen-plus', input: { messages: [M] } } });
    expect(r.status).toBe(502);
    expect(r.headers['content-type']).toBe('text/html');
    expect(r.text).toContain('502 Bad Gateway');
  });

  it('records the last request and counts connections', async () => {
    srv.endpoint.resetStats();
    await raw(srv.port, TEXT, {
      headers: { 'X-DashScope-WorkSpace': 'ws-1' },
      body: { model: 'qwen-plus', input: { messages: [M] } },
    });
    const stats = srv.endpoint.stats();
    expect(stats.requests).toBe(1);
    expect(stats.connections).toBe(1);
    expect(stats.lastRequest?.headers['x-dashscope-workspace']).toBe('ws-1');
    expect(stats.lastRequest?.body).toMatchObject({ model: 'qwen-plus' });
  });
});
