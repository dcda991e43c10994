/**
 * One HTTP request on an agent: connect, write and read-until-headers timeouts, abort, and the
 * single re-send after a kept-alive socket turns out to be dead. Knows nothing of DashScope.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import {
  DashScopeError,
  HttpConnectionError,
  InvalidOptionError,
  RequestTimeoutError,
} from '../errors/index.js';
import { reasonOf } from './abort.js';

/** Per-phase time limits in milliseconds. */
export interface TransportTimeouts {
  connectTimeout: number;
  writeTimeout: number;
  readTimeout: number;
}

/** What to send. */
export interface OutgoingRequest {
  url: URL;
  headers: Record<string, string>;
  body: Buffer;
  agent: http.Agent;
  timeouts: TransportTimeouts;
  /** Aborts the request; its reason is what the request rejects (or the response fails) with. */
  signal: AbortSignal;
}

/** Hooks for the pool's bookkeeping. */
export interface TransportHooks {
  /** A request got its socket. */
  onSocket?(reusedSocket: boolean): void;
  /** A request failed on a dead kept-alive socket and is about to be sent once more. */
  onStaleSocket?(): void;
}

/** A request whose response head has arrived. */
export interface Exchange {
  response: http.IncomingMessage;
  reusedSocket: boolean;
  /** Resolves once the request is over and its socket is back in the pool (or destroyed). */
  closed: Promise<void>;
}

// Errors that a kept-alive socket closed or forgotten by the server produces on the next write.
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * Sends the request and resolves when the response head arrives. A request that fails on a
 * reused socket before any response byte (ECONNRESET / EPIPE) is sent once more: such a socket
 * was closed by the server while idle in our pool, so the request did not get an answer.
 * @throws {RequestTimeoutError} `connect`, `write` or `read` (no response head in time).
 * @throws {HttpConnectionError} for refused, reset or dropped connections.
 * @throws the signal's reason when aborted.
 */
export async function sendRequest(request: OutgoingRequest, hooks: TransportHooks = {}): Promise<Exchange> {
  try {
    return await sendOnce(request, hooks);
  } catch (error) {
    if (!isStaleSocketFailure(error) || request.signal.aborted) throw error;
    hooks.onStaleSocket?.();
    return sendOnce(request, hooks);
  }
}

function isStaleSocketFailure(error: unknown): boolean {
  return (
    error instanceof HttpConnectionError &&
    error.reusedSocket &&
    !error.responseStarted &&
    error.socketCode !== undefined &&
    STALE_SOCKET_CODES.has(error.socketCode)
  );
}

function sendOnce(request: OutgoingRequest, hooks: TransportHooks): Promise<Exchange> {
  const { url, signal, timeouts } = request;
  if (signal.aborted) return Promise.reject(reasonOf(signal));

  return new Promise<Exchange>((resolve, reject) => {
    const transport = url.protocol === 'https:' ? https : http;
    let settled = false;
    let reusedSocket = false;
    let response: http.IncomingMessage | undefined;
    let timer: NodeJS.Timeout | undefined;
    let phase: 'connect' | 'write' | 'read' | 'done' = 'connect';
    let written = false;
    let onClosed!: () => void;
    const closed = new Promise<void>((r) => (onClosed = r));

    let req: http.ClientRequest;
    try {
      req = transport.request(url, {
        method: 'POST',
        agent: request.agent,
        headers: { ...request.headers, 'Content-Length': String(request.body.length) },
      });
    } catch (error) {
      // Node validates header names and values here; the message names the header, never a value.
      return reject(new InvalidOptionError('headers', `invalid request header: ${(error as Error).message}`));
    }

    const fail = (error: Error): void => {
      disarm();
      response?.destroy(error);
      req.destroy(error);
    };
    const arm = (p: 'connect' | 'write' | 'read', ms: number): void => {
      disarm();
      phase = p;
      timer = setTimeout(() => fail(new RequestTimeoutError(p, ms)), ms);
    };
    const disarm = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };
    const enterWrite = (): void => {
      if (phase !== 'connect') return;
      if (written) arm('read', timeouts.readTimeout);
      else arm('write', timeouts.writeTimeout);
    };
    const onAbort = (): void => fail(reasonOf(signal));

    signal.addEventListener('abort', onAbort, { once: true });
    arm('connect', timeouts.connectTimeout);

    req.on('socket', (socket: Socket) => {
      reusedSocket = req.reusedSocket;
      hooks.onSocket?.(reusedSocket);
      if (reusedSocket) return enterWrite();
      if (socket instanceof TLSSocket) socket.once('secureConnect', enterWrite);
      else if (socket.connecting) socket.once('connect', enterWrite);
      else enterWrite();
    });
    req.on('finish', () => {
      written = true;
      if (phase === 'write') arm('read', timeouts.readTimeout);
    });
    req.on('response', (res) => {
      disarm();
      phase = 'done';
      response = res;
      // A reset while nobody reads yet must not become an uncaught 'error'; readers see it anyway.
      res.on('error', () => {});
      settled = true;
      resolve({ response: res, reusedSocket, closed });
    });
    // Stays attached for the request's whole life: errors after the head arrived reach the
    // response's reader, and must not crash the process from here.
    req.on('error', (error: Error & { code?: string }) => {
      disarm();
      if (settled) return;
      settled = true;
      reject(toTransportError(error, url, reusedSocket, signal));
    });
    req.once('close', () => {
      disarm();
      signal.removeEventListener('abort', onAbort);
      onClosed();
    });

    req.end(request.body);
  });
}

function toTransportError(
  error: Error & { code?: string },
  url: URL,
  reusedSocket: boolean,
  signal: AbortSignal,
): Error {
  if (error instanceof DashScopeError) return error;
  if (signal.aborted) return reasonOf(signal);
  return new HttpConnectionError(`HTTP connection to ${url.host} failed: ${error.message}`, {
    cause: error,
    socketCode: error.code,
    reusedSocket,
  });
}
