/** Streams: incremental and cumulative output, early break releasing the socket, in-stream errors. */
import { describe, expect, it } from 'vitest';
import { Generation, HttpRequestError, MultiModalConversation } from '../../src/index.js';
import type { GenerationResult, HttpConnectionPool } from '../../src/index.js';
import { API_KEY, messages, until, useHttpFixture } from './helpers.js';

const fixture = useHttpFixture();
const newPool = fixture.newPool;

const base = (pool: HttpConnectionPool) => ({
  model: 'qwen-plus',
  messages: messages('Say hello world'),
  apiKey: API_KEY,
  baseHttpApiUrl: fixture.srv.baseUrl,
  pool,
});

async function collect(it: AsyncIterable<GenerationResult>): Promise<GenerationResult[]> {
  const out: GenerationResult[] = [];
  for await (const ev of it) out.push(ev);
  return out;
}

describe('streaming', () => {
  it('is incremental by default and sends the SSE headers', async () => {
    const pool = newPool();
    const events = await collect(Generation.stream({ ...base(pool), resultFormat: 'message' }));
    const texts = events.map((e) => e.output.choices![0]!.message.content);
    expect(texts).toEqual(['Hel', 'lo ', 'wor', 'ld', '']);
    expect(events.at(-1)!.output.choices![0]!.finish_reason).toBe('stop');
    expect(events.every((e) => e.requestId === events[0]!.requestId && e.statusCode === 200)).toBe(true);
    expect(events.at(-1)!.usage).toMatchObject({ output_tokens: 4 });
    const last = fixture.srv.endpoint.stats().lastRequest!;
    expect(last.headers['x-dashscope-sse']).toBe('enable');
    expect(last.headers.accept).toBe('text/event-stream');
    expect(last.body).toMatchObject({ parameters: { incremental_output: true, result_format: 'message' } });
    expect(last.headers['user-agent']).toMatch(/incremental_to_full\/0$/);
  });

  it('rebuilds cumulative text on the client when incrementalOutput is false', async () => {
    const pool = newPool();
    const events = await collect(Generation.stream({ ...base(pool), incrementalOutput: false }));
    expect(events.map((e) => e.output.text)).toEqual([
      'Hel',
      'Hello ',
      'Hello wor',
      'Hello world',
      'Hello world',
    ]);
    const last = fixture.srv.endpoint.stats().lastRequest!;
    expect(last.body).toMatchObject({ parameters: { incremental_output: true } });
    expect(last.headers['user-agent']).toMatch(/incremental_to_full\/1$/);
  });

  it('lets the server build cumulative output for tts/omni models', async () => {
    const pool = newPool();
    const events = await collect(
      MultiModalConversation.stream({ ...base(pool), model: 'qwen-omni-turbo', incrementalOutput: false }),
    );
    expect(fixture.srv.endpoint.stats().lastRequest!.body).toMatchObject({
      parameters: { incremental_output: false },
    });
    expect(events.at(-1)!.output.choices![0]!.message.content).toEqual([{ text: 'Hello world' }]);
  });

  it('multimodal cumulative rebuild joins text parts', async () => {
    const pool = newPool();
    const events = await collect(
      MultiModalConversation.stream({ ...base(pool), model: 'qwen-vl-plus', incrementalOutput: false }),
    );
    expect(events.at(-1)!.output.choices![0]!.message.content).toEqual([{ text: 'Hello world' }]);
  });

  it('breaking out early destroys the response and frees the slot at once', async () => {
    const pool = newPool({ connectionPoolSize: 1, maximumAsyncRequests: 1, maximumAsyncRequestsPerHost: 1 });
    // The rest of the stream would take minutes: only an early release can free the slot in time.
    fixture.srv.endpoint.faults.eventDelayMs = 120_000;
    const before = fixture.srv.connections();
    const openBefore = fixture.srv.endpoint.stats().openConnections;
    for await (const ev of Generation.stream(base(pool))) {
      expect(ev.output.text).toBe('Hel');
      expect(fixture.srv.endpoint.stats().openConnections).toBe(openBefore + 1);
      break;
    }
    await until(() => pool.stats().active === 0 && pool.stats().busySockets === 0);
    expect(pool.stats().freeSockets).toBe(0);
    // The server sees the connection closed, too.
    await until(() => fixture.srv.endpoint.stats().openConnections === openBefore);
    fixture.srv.endpoint.faults.eventDelayMs = 0;
    // The single slot is free again: a second call goes through (on a new socket: the old one was half-read).
    const res = await Generation.call(base(pool));
    expect(res.output.text).toBe('Hello world');
    expect(fixture.srv.connections() - before).toBe(2);
    expect(pool.metrics()).toMatchObject({ calls: 2, errors: 0 });
  });

  it('a stream read to its end leaves the socket for the next call', async () => {
    const pool = newPool();
    const before = fixture.srv.connections();
    await collect(Generation.stream(base(pool)));
    await collect(Generation.stream(base(pool)));
    expect(fixture.srv.connections() - before).toBe(1);
  });

  it('a stream that is never iterated sends nothing', async () => {
    const pool = newPool();
    const requests = fixture.srv.endpoint.stats().requests;
    const stream = Generation.stream(base(pool));
    await new Promise((r) => setTimeout(r, 50));
    expect(fixture.srv.endpoint.stats().requests).toBe(requests);
    await stream.return();
    expect(pool.metrics().calls).toBe(0);
  });

  it('an in-stream error event becomes HttpRequestError after the events before it', async () => {
    const pool = newPool();
    fixture.srv.endpoint.faults.streamErrorAfterEvents = 2;
    const seen: string[] = [];
    const err = await (async () => {
      for await (const ev of Generation.stream(base(pool))) seen.push(ev.output.text ?? '');
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['Hel', 'lo ']);
    expect(err).toBeInstanceOf(HttpRequestError);
    expect(err).toMatchObject({
      code: 'DS_ERR_HTTP',
      status: 400,
      errorCode: 'DataInspectionFailed',
      errorMessage: 'Input or output data may contain inappropriate content.',
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
    });
    // The error event ended the body cleanly: the socket is reusable.
    await until(() => pool.stats().active === 0);
    expect(pool.stats().freeSockets).toBe(1);
  });

  it('a connection dropped mid-stream is an HttpConnectionError', async () => {
    const pool = newPool();
    fixture.srv.endpoint.faults.dropStreamAfterEvents = 1;
    const err = await collect(Generation.stream(base(pool))).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DS_ERR_HTTP_CONNECTION', responseStarted: true });
  });
});
