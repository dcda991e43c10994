/** Pure parts: the SSE parser, cumulative rebuild, request building, retry delays, the request queue. */
import { describe, expect, it } from 'vitest';
import { CumulativeText } from '../../src/http/accumulate.js';
import { RequestQueue } from '../../src/http/request-queue.js';
import { buildGenerationRequest, snakeCase } from '../../src/http/request.js';
import { parseRetryAfter } from '../../src/http/response.js';
import { resolveRetryPolicy, retryDelay } from '../../src/http/retry.js';
import { SseParser } from '../../src/http/sse.js';
import { resolveHttpTarget } from '../../src/http/target.js';
import { HttpRequestError, RequestQueueFullError } from '../../src/index.js';

describe('SseParser', () => {
  it('parses DashScope framing split at every byte, UTF-8 included', () => {
    const wire =
      'id:1\nevent:result\n:HTTP_STATUS/200\ndata:{"output":{"text":"héllo ✓"}}\n\n' +
      'id:2\nevent:error\n:HTTP_STATUS/400\ndata:{"code":"X"}\n\n';
    const bytes = Buffer.from(wire, 'utf8');
    const parser = new SseParser();
    const events = [];
    for (let i = 0; i < bytes.length; i += 1) events.push(...parser.push(bytes.subarray(i, i + 1)));
    events.push(...parser.end());
    expect(events).toEqual([
      { id: '1', event: 'result', data: '{"output":{"text":"héllo ✓"}}', status: 200 },
      { id: '2', event: 'error', data: '{"code":"X"}', status: 400 },
    ]);
  });

  it('accepts CRLF, a space after the colon, multi-line data and a legacy status field', () => {
    const parser = new SseParser();
    const events = parser.push('event: result\r\nstatus: 503\r\ndata: a\r\ndata: b\r\n\r\n: comment\n\n');
    expect(events).toEqual([{ id: undefined, event: 'result', data: 'a\nb', status: 503 }]);
  });

  it('delivers a last event that lacks its blank line at the end', () => {
    const parser = new SseParser();
    expect(parser.push('id:7\ndata:{}')).toEqual([]);
    expect(parser.end()).toEqual([{ id: '7', event: 'message', data: '{}', status: undefined }]);
  });
});

describe('CumulativeText', () => {
  it('concatenates text, message content, reasoning and tool-call arguments', () => {
    const acc = new CumulativeText();
    const ev = (content: string, args: string, reasoning = '') => ({
      statusCode: 200,
      requestId: 'r',
      usage: {},
      output: {
        choices: [
          {
            finish_reason: 'null',
            message: {
              role: 'assistant',
              content,
              reasoning_content: reasoning,
              tool_calls: [
                {
                  index: 0,
                  id: args === '{' ? 'call_1' : '',
                  type: 'function',
                  function: { name: args === '{' ? 'lookup' : '', arguments: args },
                },
              ],
            },
          },
        ],
      },
    });
    acc.apply(ev('Hel', '{', 'th'));
    const out = acc.apply(ev('lo', '"w":1}', 'ink')).output.choices![0]!.message;
    expect(out.content).toBe('Hello');
    expect(out.reasoning_content).toBe('think');
    expect(out.tool_calls).toEqual([
      { index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"w":1}' } },
    ]);
    const text = new CumulativeText();
    text.apply({ statusCode: 200, requestId: 'r', usage: {}, output: { text: 'a' } });
    expect(
      text.apply({ statusCode: 200, requestId: 'r', usage: {}, output: { text: 'b' } }).output.text,
    ).toBe('ab');
  });
});

describe('buildGenerationRequest', () => {
  const target = resolveHttpTarget(
    { apiKey: 'sk-abcdefghijk', baseHttpApiUrl: 'http://h/api/v1/', workspace: 'ws' },
    '/services/aigc/text-generation/generation',
    {},
  );

  it('joins the URL like the Java SDK', () => {
    expect(target.url.href).toBe('http://h/api/v1/services/aigc/text-generation/generation');
    const full = resolveHttpTarget(
      { apiKey: 'k', baseHttpApiUrl: 'http://h/api/v1/services/aigc/text-generation/generation' },
      '/services/aigc/text-generation/generation',
      {},
    );
    expect(full.url.href).toBe('http://h/api/v1/services/aigc/text-generation/generation');
    expect(
      resolveHttpTarget({ apiKey: 'k', region: 'intl' }, '/x', {
        DASHSCOPE_HTTP_BASE_URL: 'http://env/api/v1',
      }).url.href,
    ).toBe('https://dashscope-intl.aliyuncs.com/api/v1/x');
    expect(
      resolveHttpTarget({ apiKey: 'k' }, '/x', { DASHSCOPE_HTTP_BASE_URL: 'http://env/api/v1' }).url.href,
    ).toBe('http://env/api/v1/x');
    expect(resolveHttpTarget({ apiKey: 'k' }, '/x', {}).url.href).toBe(
      'https://dashscope.aliyuncs.com/api/v1/x',
    );
  });

  it('sends model parameters in snake_case, passes unknown ones through, and sets the headers', () => {
    const built = buildGenerationRequest(
      'text',
      {
        model: 'qwen-plus',
        prompt: 'hi',
        messages: [{ role: 'system', content: 'be brief' }],
        maxTokens: 5,
        top_p: 0.5,
        resultFormat: 'message',
        parameters: { custom: { a: 1 } },
      },
      target,
      false,
    );
    expect(JSON.parse(built.body.toString())).toEqual({
      model: 'qwen-plus',
      input: {
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'hi' },
        ],
      },
      parameters: { max_tokens: 5, top_p: 0.5, result_format: 'message', custom: { a: 1 } },
    });
    // The key is added when the call is sent (a key function is resolved then), never here.
    expect(built.headers.Authorization).toBeUndefined();
    expect(built.headers).toMatchObject({
      'Content-Type': 'application/json; charset=utf-8',
      Accept: 'application/json; charset=utf-8',
      'X-DashScope-WorkSpace': 'ws',
    });
    expect(built.headers['X-DashScope-SSE']).toBeUndefined();
    expect(snakeCase('enableSearch')).toBe('enable_search');
  });

  it('omits parameters when there are none; multimodal string content becomes a text part', () => {
    const built = buildGenerationRequest(
      'multimodal',
      { model: 'qwen-vl-plus', messages: [{ role: 'user', content: 'hi' }] },
      target,
      false,
    );
    expect(JSON.parse(built.body.toString())).toEqual({
      model: 'qwen-vl-plus',
      input: { messages: [{ role: 'user', content: [{ text: 'hi' }] }] },
    });
  });

  it('stream headers', () => {
    const built = buildGenerationRequest('text', { model: 'qwen-plus', prompt: 'x' }, target, true);
    expect(built.headers).toMatchObject({
      'X-DashScope-SSE': 'enable',
      Accept: 'text/event-stream',
      'X-Accel-Buffering': 'no',
      'Cache-Control': 'no-cache',
    });
  });
});

describe('retry delays', () => {
  const policy = resolveRetryPolicy({ maxAttempts: 4, baseDelay: 100, maxDelay: 1_000 });
  const err = (status: number, retryAfterSeconds?: number) =>
    new HttpRequestError({ status, retryAfterSeconds });

  it('full jitter under an exponential cap', () => {
    expect(retryDelay(policy, 1, err(503), () => 0.999)).toBeCloseTo(99.9);
    expect(retryDelay(policy, 2, err(503), () => 0.5)).toBe(100);
    expect(retryDelay(policy, 3, err(429), () => 1)).toBe(400);
    expect(retryDelay(policy, 4, err(429), () => 1)).toBeUndefined();
    expect(retryDelay(policy, 1, err(400))).toBeUndefined();
    expect(retryDelay(policy, 1, new Error('x'))).toBeUndefined();
  });

  it('Retry-After is a floor; one over maxDelay ends the retries', () => {
    expect(retryDelay(policy, 1, err(429, 0.5), () => 0)).toBe(500);
    expect(retryDelay(policy, 1, err(429, 2), () => 0)).toBeUndefined();
  });

  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('3')).toBe(3);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 0)).toBe(10);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('RequestQueue', () => {
  it('is FIFO per host, lets another host pass a blocked one, and bounds the queue', async () => {
    const q = new RequestQueue({ maxActive: 2, maxActivePerHost: 1, maxQueued: 1, queueTimeoutMs: 10_000 });
    const a1 = await q.acquire('a');
    const order: string[] = [];
    const a2 = q.acquire('a').then((r) => (order.push('a2'), r));
    const b1 = q.acquire('b').then((r) => (order.push('b1'), r));
    await expect(b1).resolves.toBeTypeOf('function');
    await expect(q.acquire('c')).rejects.toBeInstanceOf(RequestQueueFullError);
    a1();
    (await a2)();
    expect(order).toEqual(['b1', 'a2']);
    (await b1)();
    expect(q.active).toBe(0);
    expect(q.queued).toBe(0);
  });
});
