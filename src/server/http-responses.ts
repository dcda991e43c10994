/**
 * JSON error bodies shaped like DashScope's (`code`, `message`, `request_id`), for plain HTTP
 * responses and for refused upgrades written straight to the socket.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export interface ErrorBody {
  code: string;
  message: string;
}

/** The body the service sends with each refusal status. */
export const REFUSAL_BODIES: Readonly<Record<number, ErrorBody>> = Object.freeze({
  401: { code: 'InvalidApiKey', message: 'Invalid API-key provided.' },
  403: { code: 'AccessDenied', message: 'Access denied.' },
  404: { code: 'NotFound', message: 'Not found: the WebSocket endpoint is /api-ws/v1/inference.' },
  429: { code: 'Throttling.RateQuota', message: 'Requests rate limit exceeded, please try again later.' },
  503: {
    code: 'ServiceUnavailable',
    message: 'The service is temporarily unavailable, please try again later.',
  },
});

/** Serialises an error body with a fresh request id. */
export function errorJson(body: ErrorBody): string {
  return JSON.stringify({ ...body, request_id: randomUUID() });
}

/** Sends a JSON response. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Answers an upgrade request with an HTTP error and closes the socket (no WebSocket is made). */
export function refuseUpgrade(socket: Duplex, status: number, body: ErrorBody): void {
  const text = errorJson(body);
  // A client that has read the refusal may reset the socket before it is closed here; that
  // ECONNRESET must not become an uncaught exception of the process hosting the server.
  socket.on('error', () => undefined);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\n` +
      'Connection: close\r\n\r\n' +
      text,
  );
}
