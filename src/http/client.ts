/**
 * The engine behind `Generation` and `MultiModalConversation`: resolves a call, sends it through
 * a pool (retrying per the policy), and turns the answer into results or typed errors.
 */
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { checkPositiveMs } from '../config.js';
import { InvalidParameterError, ProtocolError } from '../errors/index.js';
import type { ApiKey } from '../secret.js';
import { sleep } from '../util/async.js';
import { callSignal, reasonOf } from './abort.js';
import { CumulativeText } from './accumulate.js';
import type { HttpConnectionPool } from './pool.js';
import { buildGenerationRequest } from './request.js';
import type { BuiltRequest } from './request.js';
import { readChunks, readText, toHttpRequestError } from './response.js';
import { resolveRetryPolicy, retryDelay } from './retry.js';
import type { RetryPolicy } from './retry.js';
import { SseParser } from './sse.js';
import type { SseEvent } from './sse.js';
import { getSharedPool, poolForAgent } from './shared.js';
import { GENERATION_PATHS, resolveHttpTarget } from './target.js';
import type { HttpTarget } from './target.js';
import type { Exchange } from './transport.js';
import type { GenerationParams, GenerationResult } from './types.js';

/** Which endpoint a call goes to. */
export type GenerationKind = keyof typeof GENERATION_PATHS;

// Error bodies are short JSON; anything longer is cut (and the socket dropped) rather than read.
const MAX_ERROR_BODY_BYTES = 64 * 1024;

interface PreparedCall {
  target: HttpTarget;
  request: BuiltRequest;
  retry: RetryPolicy;
  pool: HttpConnectionPool;
  timeout: number | undefined;
  signal: AbortSignal | undefined;
}

/**
 * Validates a call and picks its pool, without sending anything.
 * @throws {InvalidOptionError | InvalidParameterError | MissingApiKeyError} for a bad call.
 */
export function prepareCall(kind: GenerationKind, params: GenerationParams, stream: boolean): PreparedCall {
  if (typeof params !== 'object' || params === null) {
    throw new InvalidParameterError('params', 'the call parameters must be an object');
  }
  const target = resolveHttpTarget(params, GENERATION_PATHS[kind]);
  const request = buildGenerationRequest(kind, params, target, stream);
  const retry = resolveRetryPolicy(params.retry);
  if (params.timeout !== undefined) checkPositiveMs('timeout', params.timeout);
  const pool = params.pool ?? (params.agent !== undefined ? poolForAgent(params.agent) : getSharedPool());
  return { target, request, retry, pool, timeout: params.timeout, signal: params.signal };
}

/** Sends a non-streaming call and resolves with its result once the socket is back in the pool. */
export async function runCall(call: PreparedCall): Promise<GenerationResult> {
  const started = performance.now();
  call.pool.recordCallStart();
  const { signal, dispose } = callSignal(call.signal, call.timeout);
  let failed = true;
  try {
    const apiKey = await resolveKey(call, signal);
    const exchange = await open(call, apiKey, signal);
    const text = await readText(exchange.response, call.pool.config.readTimeout, signal);
    await exchange.closed;
    const result = parseResult(text, exchange.response, apiKey);
    failed = false;
    return result;
  } finally {
    dispose();
    call.pool.recordCall(performance.now() - started, failed);
  }
}

/**
 * Streams a call: the request goes out on the first iteration. Leaving the loop early destroys an
 * unfinished response at once, which frees its slot (a half-read socket is never reused).
 */
export async function* runStream(call: PreparedCall): AsyncGenerator<GenerationResult, void, undefined> {
  const started = performance.now();
  call.pool.recordCallStart();
  const { signal, dispose } = callSignal(call.signal, call.timeout);
  let failed = false;
  try {
    const apiKey = await resolveKey(call, signal);
    const exchange = await open(call, apiKey, signal);
    const res = exchange.response;
    const readTimeout = call.pool.config.readTimeout;
    if (!String(res.headers['content-type'] ?? '').includes('text/event-stream')) {
      // A server may answer a stream request with one JSON result, as the Python SDK accepts.
      const text = await readText(res, readTimeout, signal);
      await exchange.closed;
      yield parseResult(text, res, apiKey);
      return;
    }
    const cumulative = call.request.rebuildCumulative ? new CumulativeText() : undefined;
    const parser = new SseParser();
    for await (const chunk of readChunks(res, readTimeout, signal)) {
      for (const event of parser.push(chunk)) {
        const result = streamResult(event, res, apiKey);
        if (result) yield cumulative ? cumulative.apply(result) : result;
      }
    }
    for (const event of parser.end()) {
      const result = streamResult(event, res, apiKey);
      if (result) yield cumulative ? cumulative.apply(result) : result;
    }
    await exchange.closed;
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    dispose();
    call.pool.recordCall(performance.now() - started, failed);
  }
}

/**
 * The call's key: a key function is called once per call (not per retry), within the pool's
 * connect timeout and the call's own deadline.
 */
async function resolveKey(call: PreparedCall, signal: AbortSignal): Promise<ApiKey> {
  try {
    return await call.target.apiKey.resolve({ timeoutMs: call.pool.config.connectTimeout, signal });
  } catch (error) {
    if (signal.aborted) throw reasonOf(signal);
    throw error;
  }
}

/** Sends the request, retrying per the policy, until a 2xx response head arrives. */
async function open(call: PreparedCall, apiKey: ApiKey, signal: AbortSignal): Promise<Exchange> {
  const headers = { Authorization: `Bearer ${apiKey.reveal()}`, ...call.request.headers };
  for (let attempt = 1; ; attempt += 1) {
    try {
      const exchange = await call.pool.dispatch({
        url: call.target.url,
        headers,
        body: call.request.body,
        signal,
      });
      const res = exchange.response;
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) return exchange;
      const text = await readText(res, call.pool.config.readTimeout, signal, MAX_ERROR_BODY_BYTES);
      await exchange.closed;
      throw toHttpRequestError(status, text, res.headers, apiKey);
    } catch (error) {
      const delay = retryDelay(call.retry, attempt, error);
      if (delay === undefined) throw error;
      call.pool.recordRetry();
      await sleep(delay, signal);
      if (signal.aborted) throw reasonOf(signal);
    }
  }
}

interface WireResult {
  output?: unknown;
  usage?: unknown;
  request_id?: unknown;
  code?: unknown;
  message?: unknown;
}

function parseResult(text: string, res: IncomingMessage, apiKey: ApiKey): GenerationResult {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ProtocolError(`The server sent a response that is not JSON (HTTP ${res.statusCode})`);
  }
  return toResult(body, res, apiKey, text);
}

function toResult(body: unknown, res: IncomingMessage, apiKey: ApiKey, raw: string): GenerationResult {
  if (typeof body !== 'object' || body === null) {
    throw new ProtocolError('The server sent a JSON value that is not an object');
  }
  const b = body as WireResult;
  if ((typeof b.output !== 'object' || b.output === null) && typeof b.code === 'string' && b.code !== '') {
    // An error object in a success envelope: report it as the error it is.
    throw toHttpRequestError(res.statusCode ?? 200, raw, res.headers, apiKey);
  }
  const headerId = res.headers['x-request-id'];
  return {
    statusCode: res.statusCode ?? 200,
    requestId: typeof b.request_id === 'string' ? b.request_id : typeof headerId === 'string' ? headerId : '',
    output: typeof b.output === 'object' && b.output !== null ? (b.output as GenerationResult['output']) : {},
    usage: typeof b.usage === 'object' && b.usage !== null ? (b.usage as GenerationResult['usage']) : {},
  };
}

/** One SSE event as a result, `undefined` to skip it, or a thrown error for an error event. */
function streamResult(event: SseEvent, res: IncomingMessage, apiKey: ApiKey): GenerationResult | undefined {
  if (event.data === '' || event.data === '[DONE]') return undefined;
  if (event.event === 'error') {
    // The event's own status is the truth for an in-stream error, not the 200 of the head.
    const status = event.status !== undefined && event.status >= 400 ? event.status : 400;
    throw toHttpRequestError(status, event.data, res.headers, apiKey);
  }
  let body: unknown;
  try {
    body = JSON.parse(event.data);
  } catch {
    throw new ProtocolError(
      `The server sent a stream event whose data is not JSON (event id ${event.id ?? '?'})`,
    );
  }
  return toResult(body, res, apiKey, event.data);
}
