/**
 * Reading a response: the body chunk by chunk under the read timeout, whole bodies with a size
 * cap, and DashScope's error bodies turned into `HttpRequestError`. Every path either reads a body
 * to its end or destroys the response, so a half-read socket never goes back to the pool.
 */
import type { IncomingMessage, IncomingHttpHeaders } from 'node:http';
import {
  DashScopeError,
  HttpConnectionError,
  HttpRequestError,
  RequestTimeoutError,
} from '../errors/index.js';
import type { ApiKey } from '../secret.js';
import { reasonOf } from './abort.js';

/**
 * Yields the body's chunks. The read timeout runs only while waiting for the next chunk (the gap
 * between SSE events), not while the consumer holds a chunk. Leaving early destroys the response.
 * @throws {RequestTimeoutError} `read` when no chunk arrives in time.
 * @throws {HttpConnectionError} when the connection drops mid-body.
 * @throws the signal's reason when aborted.
 */
export async function* readChunks(
  res: IncomingMessage,
  readTimeoutMs: number,
  signal: AbortSignal,
): AsyncGenerator<Buffer, void, undefined> {
  const it = res[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    for (;;) {
      const timer = setTimeout(
        () => res.destroy(new RequestTimeoutError('read', readTimeoutMs)),
        readTimeoutMs,
      );
      let step: IteratorResult<Buffer>;
      try {
        step = await it.next();
      } finally {
        clearTimeout(timer);
      }
      if (step.done) return;
      yield step.value;
    }
  } catch (error) {
    if (signal.aborted) throw reasonOf(signal);
    if (error instanceof DashScopeError) throw error;
    throw new HttpConnectionError(`HTTP connection lost while reading the response: ${String(error)}`, {
      cause: error,
      socketCode: (error as { code?: string }).code,
      responseStarted: true,
    });
  } finally {
    // An unfinished body means the socket is mid-response: it must not be reused.
    if (!res.complete) res.destroy();
  }
}

/**
 * Reads a whole body as text. Bodies over `maxBytes` are cut off and the response destroyed.
 */
export async function readText(
  res: IncomingMessage,
  readTimeoutMs: number,
  signal: AbortSignal,
  maxBytes = 16 * 1024 * 1024,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of readChunks(res, readTimeoutMs, signal)) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= maxBytes) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Seconds to wait from a `Retry-After` header (delta-seconds or HTTP date), if any. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(raw)) return Number(raw);
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

interface ErrorFields {
  code?: unknown;
  message?: unknown;
  request_id?: unknown;
  requestId?: unknown;
  error?: { code?: unknown; message?: unknown };
}

/**
 * Builds the typed error for an HTTP error response or an in-stream error event. Reads
 * `{code, message, request_id}` (also `requestId` and a nested `{error: {code, message}}`, as the
 * Java SDK does); a non-JSON body becomes the message, shortened. The key is redacted from it.
 */
export function toHttpRequestError(
  status: number,
  bodyText: string,
  headers: IncomingHttpHeaders,
  apiKey: ApiKey,
): HttpRequestError {
  let fields: ErrorFields | undefined;
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (parsed && typeof parsed === 'object') fields = parsed;
  } catch {
    fields = undefined;
  }
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const headerId = headers['x-request-id'];
  const requestId =
    str(fields?.request_id) ??
    str(fields?.requestId) ??
    (typeof headerId === 'string' ? headerId : undefined);
  let errorCode = str(fields?.code) ?? str(fields?.error?.code);
  let errorMessage = str(fields?.message) ?? str(fields?.error?.message);
  if (fields === undefined) {
    errorCode = undefined;
    const text = bodyText.replace(/\s+/g, ' ').trim();
    errorMessage = text === '' ? undefined : text.length > 200 ? `${text.slice(0, 200)}...` : text;
  }
  return new HttpRequestError({
    status,
    errorCode: errorCode === undefined ? undefined : apiKey.redact(errorCode),
    errorMessage: errorMessage === undefined ? undefined : apiKey.redact(errorMessage),
    requestId,
    retryAfterSeconds: parseRetryAfter(headers['retry-after']),
  });
}
