/**
 * The local server's HTTP generation endpoints (text-generation and multimodal-generation),
 * faithful to docs/protocol.md, "HTTP generation: local endpoints": exact paths,
 * Bearer auth, documented validation errors, JSON and SSE answers framed as DashScope frames them,
 * deterministic content, fault switches and per-socket observability. `startLocalServer` routes
 * every non-upgrade HTTP request through `handle()` first.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { credentialStatus } from '../auth.js';
import type { TokenRegistry } from '../tokens.js';
import { answerText, chunks, inputTokens, outputTokens } from './answer.js';
import type { AnswerRequest } from './answer.js';
import { ERRORS, htmlPage, replyForStatus } from './errors.js';
import type { ErrorReply } from './errors.js';
import { GenerationFaults } from './faults.js';
import { readBody, validateRequest } from './request.js';
import { SSE_CONTENT_TYPE, sseFrame } from './sse.js';

export { GenerationFaults } from './faults.js';
export type { InjectedFailure } from './faults.js';

/** Paths served, exact match (the SDKs add no trailing slash or query). */
export const GENERATION_ENDPOINT_PATHS = Object.freeze({
  text: '/api/v1/services/aigc/text-generation/generation',
  multimodal: '/api/v1/services/aigc/multimodal-generation/generation',
});

export interface GenerationEndpointOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string | undefined;
  /** Temporary keys minted by the server's tokens endpoint: accepted until they expire. */
  tokens?: TokenRegistry | undefined;
  /** Largest request body accepted. Default 8 MiB. */
  maxBodyBytes?: number | undefined;
}

/** What the endpoint saw, for tests. */
export interface GenerationEndpointStats {
  /** Requests on the two paths. */
  requests: number;
  /** Distinct TCP connections that carried them. */
  connections: number;
  /** Of those, still open. */
  openConnections: number;
  /** Requests per connection, in order of first use. */
  requestsPerConnection: number[];
  /** Stream (SSE) answers started. */
  streams: number;
  /** Connections reset on purpose by a fault switch. */
  resets: number;
  /** The last request: path, headers and parsed body. */
  lastRequest: { path: string; headers: IncomingMessage['headers']; body: unknown } | undefined;
}

export interface GenerationEndpoint {
  /** Handles the request and returns true, or returns false when the path is not a generation endpoint. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Fault switches. */
  readonly faults: GenerationFaults;
  /** A copy of the counters. */
  stats(): GenerationEndpointStats;
  /** Zeroes the counters (connections still open are counted again on their next request). */
  resetStats(): void;
  /** Stops pending delays and drops held (black-holed or delayed) responses, so a server can close. */
  close(): void;
}

interface SocketInfo {
  index: number;
  requests: number;
  idleSince: number;
}

/** Creates the endpoints. */
export function createGenerationEndpoint(options: GenerationEndpointOptions = {}): GenerationEndpoint {
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const faults = new GenerationFaults();
  let sockets = new WeakMap<Socket, SocketInfo>();
  let perConnection: number[] = [];
  let openConnections = 0;
  let requests = 0;
  let streams = 0;
  let resets = 0;
  let lastRequest: GenerationEndpointStats['lastRequest'];
  const held = new Set<ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();

  const wait = (ms: number, res: ServerResponse): Promise<boolean> =>
    new Promise((resolve) => {
      if (ms <= 0) return resolve(!res.destroyed);
      const timer = setTimeout(() => {
        timers.delete(timer);
        res.off('close', onClose);
        resolve(!res.destroyed);
      }, ms);
      const onClose = (): void => {
        clearTimeout(timer);
        timers.delete(timer);
        resolve(false);
      };
      timers.add(timer);
      res.once('close', onClose);
    });

  function track(socket: Socket): SocketInfo {
    let info = sockets.get(socket);
    if (!info) {
      info = { index: perConnection.length, requests: 0, idleSince: Date.now() };
      sockets.set(socket, info);
      perConnection.push(0);
      openConnections += 1;
      socket.once('close', () => (openConnections -= 1));
    }
    return info;
  }

  function handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '').split('?')[0];
    const kind =
      path === GENERATION_ENDPOINT_PATHS.text
        ? 'text'
        : path === GENERATION_ENDPOINT_PATHS.multimodal
          ? 'multimodal'
          : undefined;
    if (kind === undefined) return false;

    requests += 1;
    const info = track(req.socket);
    const reused = info.requests > 0;
    info.requests += 1;
    perConnection[info.index] = (perConnection[info.index] ?? 0) + 1;
    const idleFor = Date.now() - info.idleSince;
    const forgotten =
      reused && faults.resetIdleSocketsAfterMs !== undefined && idleFor >= faults.resetIdleSocketsAfterMs;
    if (forgotten || faults.takeReset(reused)) {
      resets += 1;
      req.socket.resetAndDestroy();
      return true;
    }
    res.once('finish', () => (info.idleSince = Date.now()));
    if (faults.closeConnections) res.shouldKeepAlive = false;

    if (faults.blackHole) {
      held.add(res);
      res.once('close', () => held.delete(res));
      req.resume();
      return true;
    }
    void serve(kind, path!, req, res);
    return true;
  }

  async function serve(
    kind: 'text' | 'multimodal',
    path: string,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const requestId = randomUUID();
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return sendError(res, ERRORS.methodNotAllowed, requestId);
    }
    if (options.apiKey !== undefined || options.tokens !== undefined) {
      const status = credentialStatus(req.headers.authorization, options.apiKey, options.tokens);
      // Without a configured key, only an expired temporary key is refused (as before: no check).
      if (status === 'missing' && options.apiKey !== undefined)
        return sendError(res, ERRORS.noApiKey, requestId);
      if (status === 'invalid') return sendError(res, ERRORS.invalidApiKey, requestId);
    }
    const raw = await readBody(req, maxBodyBytes);
    if (raw === undefined) return sendError(res, ERRORS.tooLarge, requestId);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return sendError(res, ERRORS.invalidParameter, requestId);
    }
    lastRequest = { path, headers: req.headers, body };
    const parsed = validateRequest(kind, body);
    if ('status' in parsed) return sendError(res, parsed, requestId);

    const failure = faults.takeFailure();
    if (failure) {
      if (failure.retryAfterSeconds !== undefined)
        res.setHeader('Retry-After', String(failure.retryAfterSeconds));
      if (failure.html) {
        res.writeHead(failure.status, { 'Content-Type': 'text/html', 'x-request-id': requestId });
        res.end(htmlPage(failure.status));
        return;
      }
      const base = replyForStatus(failure.status);
      return sendError(
        res,
        { status: failure.status, code: failure.code ?? base.code, message: failure.message ?? base.message },
        requestId,
      );
    }

    if (!(await wait(faults.headDelayMs, res))) return;
    const stream =
      req.headers['x-dashscope-sse'] === 'enable' || (req.headers.accept ?? '').includes('text/event-stream');
    if (stream) await sendStream(parsed, res, requestId);
    else sendJson(parsed, res, requestId);
  }

  function sendJson(request: AnswerRequest, res: ServerResponse, requestId: string): void {
    const text = answerText(request);
    const input = inputTokens(request);
    const output = outputTokens(text);
    const body = {
      output: outputFor(request, text, 'stop'),
      usage: { input_tokens: input, output_tokens: output, total_tokens: input + output },
      request_id: requestId,
    };
    const payload = Buffer.from(JSON.stringify(body), 'utf8');
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': payload.length,
      'x-request-id': requestId,
      'x-dashscope-call-gateway': 'true',
      'x-dashscope-finished': 'true',
    });
    res.end(payload);
  }

  async function sendStream(request: AnswerRequest, res: ServerResponse, requestId: string): Promise<void> {
    streams += 1;
    const text = answerText(request);
    const parts = chunks(text);
    const incremental = request.parameters.incremental_output === true;
    const input = inputTokens(request);
    res.writeHead(200, {
      'Content-Type': SSE_CONTENT_TYPE,
      'Cache-Control': 'no-cache',
      'x-request-id': requestId,
      'x-dashscope-call-gateway': 'true',
    });
    // One event per chunk, then a last one with finish_reason "stop" (empty in incremental mode).
    const total = parts.length + 1;
    let sent = '';
    for (let i = 0; i < total; i += 1) {
      if (i > 0 && !(await wait(faults.eventDelayMs, res))) return;
      if (res.destroyed) return;
      const id = i + 1;
      if (faults.streamErrorAfterEvents !== undefined && i >= faults.streamErrorAfterEvents) {
        const { code, message } = ERRORS.dataInspection;
        res.end(sseFrame(id, 'error', 400, { code, message, request_id: requestId }));
        return;
      }
      if (faults.dropStreamAfterEvents !== undefined && i >= faults.dropStreamAfterEvents) {
        resets += 1;
        // A graceful FIN after the written events, not a reset: they still reach the client,
        // then the body stops without its last chunk.
        res.socket?.end();
        return;
      }
      const last = i === parts.length;
      const piece = last ? '' : parts[i]!;
      sent += piece;
      const outputSoFar = Math.min(i + 1, parts.length);
      const event = {
        output: outputFor(request, incremental ? piece : sent, last ? 'stop' : 'null'),
        usage: { input_tokens: input, output_tokens: outputSoFar, total_tokens: input + outputSoFar },
        request_id: requestId,
      };
      const frame = sseFrame(id, 'result', 200, event);
      if (last) res.end(frame);
      else res.write(frame);
    }
  }

  function outputFor(request: AnswerRequest, text: string, finish: string): Record<string, unknown> {
    if (request.kind === 'multimodal') {
      const content = text === '' && finish !== 'null' ? [] : [{ text }];
      return { choices: [{ finish_reason: finish, message: { role: 'assistant', content } }] };
    }
    if (request.parameters.result_format === 'message') {
      return { choices: [{ finish_reason: finish, message: { role: 'assistant', content: text } }] };
    }
    return { text, finish_reason: finish };
  }

  return {
    handle,
    faults,
    stats: () => ({
      requests,
      connections: perConnection.length,
      openConnections,
      requestsPerConnection: [...perConnection],
      streams,
      resets,
      lastRequest,
    }),
    resetStats: () => {
      sockets = new WeakMap();
      perConnection = [];
      openConnections = 0;
      requests = 0;
      streams = 0;
      resets = 0;
      lastRequest = undefined;
    },
    close: () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const res of held) res.socket?.destroy();
      held.clear();
    },
  };
}

function sendError(res: ServerResponse, reply: ErrorReply, requestId: string): void {
  const payload = Buffer.from(
    JSON.stringify({ code: reply.code, message: reply.message, request_id: requestId }),
    'utf8',
  );
  res.writeHead(reply.status, {
    'Content-Type': 'application/json',
    'Content-Length': payload.length,
    'x-request-id': requestId,
  });
  res.end(payload);
}
