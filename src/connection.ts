/**
 * One WebSocket to the DashScope inference endpoint: opening it (with a connect timeout and
 * typed handshake errors), sending frames, relaying what arrives, liveness checks and closing.
 * It knows nothing of tasks; the synthesizer layers the protocol on top.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { EventEmitter } from 'eventemitter3';
import WebSocket from 'ws';
import type { ResolvedConnectionOptions } from './config.js';
import {
  AbortError,
  AuthenticationError,
  ConnectionError,
  ConnectTimeoutError,
  HandshakeError,
  InvalidOptionError,
  type DashScopeError,
} from './errors/index.js';
import type { ApiKey } from './secret.js';
import { sharedTlsOptions } from './tls-reuse.js';
import { armDeadline } from './util/async.js';

/** Why and how a connection ended. */
export interface ConnectionCloseInfo {
  /** The WebSocket close code (1000 normal, 1006 dropped without a close frame, …). */
  code: number;
  /** The close reason, empty when none was given. */
  reason: string;
  /** True when this side asked for the close (close() or terminate()). */
  initiatedLocally: boolean;
}

export interface ConnectionEvents {
  close: (info: ConnectionCloseInfo) => void;
}

/**
 * Where a connection's frames go: one receiver, called directly (a frame is the hot path: no
 * event emitter between the socket and the task).
 */
export interface FrameReceiver {
  /** A text frame (a JSON event), decoded. */
  onText(data: string): void;
  /** A binary frame (audio). */
  onBinary(data: Buffer): void;
}

/** Largest frame accepted from the server: audio frames are kilobytes, events smaller. */
const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
/** Largest upgrade-refusal body kept for the error. */
const MAX_ERROR_BODY_BYTES = 16 * 1024;
/** After close(), how long the closing handshake may take before the socket is destroyed. */
const CLOSE_GRACE_MS = 1_000;

let nextConnectionId = 1;

/** An open WebSocket connection. Create one with {@link Connection.open}. */
export class Connection extends EventEmitter<ConnectionEvents> {
  /** Process-unique id, for logs and metrics. */
  readonly id: number;
  /** `performance.now()` when the upgrade completed. */
  readonly openedAt: number;
  /** How long TCP, TLS and the upgrade took, in ms. */
  readonly connectMs: number;
  /** `performance.now()` of the last frame received or sent. */
  lastActivityAt: number;

  readonly #socket: WebSocket;
  /**
   * The TCP (or TLS) socket under the WebSocket, from the upgrade response: for ref/unref, and to
   * gather one tick's frames into one write.
   */
  readonly #netSocket: Socket | undefined;
  #receiver: FrameReceiver | undefined;
  #corked = false;
  #paused = false;
  #closed = false;
  #closeInfo: ConnectionCloseInfo | undefined;
  #closingLocally = false;
  #closePromise: Promise<void> | undefined;
  #closeTimer: NodeJS.Timeout | undefined;

  private constructor(socket: WebSocket, startedAt: number, netSocket: Socket | undefined) {
    super();
    this.id = nextConnectionId++;
    this.#socket = socket;
    this.#netSocket = netSocket;
    // Idle until a task holds it: an idle connection must not keep the process alive.
    netSocket?.unref();
    this.openedAt = performance.now();
    this.connectMs = this.openedAt - startedAt;
    this.lastActivityAt = this.openedAt;

    socket.on('message', (data, isBinary) => {
      this.lastActivityAt = performance.now();
      const receiver = this.#receiver;
      if (receiver === undefined) return;
      if (isBinary) receiver.onBinary(toBuffer(data));
      else receiver.onText(toBuffer(data).toString('utf8'));
    });
    // An error is always followed by 'close'; the close handler reports it.
    socket.on('error', () => undefined);
    socket.on('close', (code, reason) => this.#onClose(code, reason.toString('utf8')));
  }

  /**
   * Opens a connection and resolves once the upgrade succeeded. The key is resolved first: a key
   * function is called once per connection (within its own `connectTimeoutMs`).
   * @throws {ApiKeyError} when the key function failed, was too slow or gave an unusable key.
   * @throws {AuthenticationError} on HTTP 401/403.
   * @throws {HandshakeError} on any other refused upgrade (429/5xx are `retryable`).
   * @throws {ConnectTimeoutError} when the upgrade did not complete in `connectTimeoutMs`.
   * @throws {ConnectionError} when the TCP/TLS connection failed.
   * @throws {InvalidOptionError} when `ws` refuses the url or a header (normally caught earlier).
   * @throws {AbortError} when `signal` aborted first.
   */
  static async open(options: ResolvedConnectionOptions, signal?: AbortSignal): Promise<Connection> {
    if (signal?.aborted) throw new AbortError(signal.reason);
    const apiKey = await options.apiKey.resolve({ timeoutMs: options.connectTimeoutMs, signal });
    return Connection.#upgrade(options, apiKey, signal);
  }

  static #upgrade(
    options: ResolvedConnectionOptions,
    apiKey: ApiKey,
    signal?: AbortSignal,
  ): Promise<Connection> {
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    const startedAt = performance.now();
    return new Promise<Connection>((resolve, reject) => {
      let socket: WebSocket;
      try {
        socket = new WebSocket(options.url, {
          perMessageDeflate: false,
          maxPayload: MAX_PAYLOAD_BYTES,
          headers: { ...options.headers, Authorization: `Bearer ${apiKey.reveal()}` },
          ...(options.ca === undefined ? {} : { ca: options.ca }),
          ...(options.agent !== undefined
            ? { agent: options.agent }
            : /^wss:/i.test(options.url)
              ? sharedTlsOptions(options.ca)
              : {}),
        });
      } catch (error) {
        // Node names the header, never its value; the key is masked all the same.
        reject(
          new InvalidOptionError(
            'headers',
            `The upgrade request could not be made: ${apiKey.redact(error instanceof Error ? error.message : String(error))}`,
          ),
        );
        return;
      }
      let settled = false;
      const finish = (error: DashScopeError | undefined): void => {
        if (settled) return;
        settled = true;
        disarm();
        socket.removeAllListeners();
        if (error) {
          socket.on('error', () => undefined);
          socket.terminate();
          reject(error);
        } else {
          resolve(new Connection(socket, startedAt, netSocket));
        }
      };
      const disarm = armDeadline(options.connectTimeoutMs, signal, {
        onTimeout: () => finish(new ConnectTimeoutError(options.connectTimeoutMs)),
        onAbort: () => finish(new AbortError(signal?.reason)),
      });

      // ws keeps its socket private; the upgrade response carries it publicly (the one it writes to).
      let netSocket: Socket | undefined;
      socket.once('upgrade', (response: IncomingMessage) => (netSocket = response.socket));
      socket.once('open', () => finish(undefined));
      socket.once('unexpected-response', (request, response) => {
        readRefusal(response, apiKey).then(
          (error) => {
            request.destroy();
            finish(error);
          },
          () => finish(new HandshakeError({ status: response.statusCode ?? 0, body: '' })),
        );
      });
      socket.on('error', (error) =>
        finish(
          new ConnectionError(`Could not connect to ${options.url}: ${apiKey.redact(error.message)}`, {
            cause: error,
          }),
        ),
      );
      socket.on('close', (code, reason) =>
        finish(
          new ConnectionError(`Connection closed during the handshake (${code})`, {
            closeCode: code,
            closeReason: reason.toString(),
          }),
        ),
      );
    });
  }

  /** Sets where the frames received from now on go (frames with no receiver are dropped). */
  receive(receiver: FrameReceiver): void {
    this.#receiver = receiver;
  }

  /** True while frames can be sent. */
  get isOpen(): boolean {
    return !this.#closed && this.#socket.readyState === WebSocket.OPEN;
  }

  /** True when this is a TLS connection that resumed an earlier session (a cheaper handshake). */
  get tlsSessionReused(): boolean {
    return this.#netSocket instanceof TLSSocket && this.#netSocket.isSessionReused();
  }

  /** How the connection ended, once it has. */
  get closeInfo(): ConnectionCloseInfo | undefined {
    return this.#closeInfo;
  }

  /**
   * Queues a text frame; frames go out in the order of the calls, and the frames of one tick go
   * out in one write (the socket is corked until the microtask after the first). A closed socket
   * is reported to `onError` with a `ConnectionError`, once, asynchronously. A write that fails
   * later closes the socket: the `close` event reports it.
   */
  send(data: string, onError?: (error: ConnectionError) => void): void {
    if (!this.isOpen) {
      const error = new ConnectionError('Cannot send: the connection is closed', this.#closeDetails());
      if (onError) queueMicrotask(() => onError(error));
      return;
    }
    // The frames of one tick are one write, and one moment of activity.
    if (!this.#corked) {
      this.lastActivityAt = performance.now();
      this.#corked = true;
      this.#netSocket?.cork();
      queueMicrotask(this.#uncork);
    }
    this.#socket.send(data);
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#netSocket?.uncork();
  };

  /**
   * Lets this connection keep the process alive: a task runs on it. Connections start out
   * unref'd, so that idle ones (pooled, or a synthesizer between tasks) let a script exit.
   */
  ref(): void {
    this.#netSocket?.ref();
  }

  /** Stops this connection from keeping the process alive: it is idle again. */
  unref(): void {
    this.#netSocket?.unref();
  }

  /** Stops reading from the socket (TCP backpressure reaches the server). */
  pause(): void {
    if (!this.isOpen) return;
    this.#paused = true;
    this.#socket.pause();
  }

  /** Resumes reading after {@link pause}. */
  resume(): void {
    if (!this.#paused || !this.isOpen) return;
    this.#paused = false;
    this.#socket.resume();
  }

  /**
   * Checks liveness with a WebSocket ping. Resolves true when the pong arrives in time; on a
   * missed deadline the socket is destroyed (it is half-open) and false is returned.
   */
  ping(timeoutMs: number): Promise<boolean> {
    if (!this.isOpen) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onPong = (): void => {
        clearTimeout(timer);
        // A pong is not task activity: the server's idle timer may ignore pings (docs/protocol.md,
        // "Handshake"), so renewal decisions must not be reset by them.
        this.#socket.off('close', onClose);
        resolve(true);
      };
      const onClose = (): void => {
        clearTimeout(timer);
        this.#socket.off('pong', onPong);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.#socket.off('pong', onPong);
        this.#socket.off('close', onClose);
        this.terminate();
        resolve(false);
      }, timeoutMs);
      // Pings check idle connections, which must not keep the process alive.
      timer.unref();
      this.#socket.once('pong', onPong);
      this.#socket.once('close', onClose);
      this.#socket.ping();
    });
  }

  /**
   * Closes with a closing handshake; destroys the socket if the server does not answer within a
   * second. Resolves once the socket is fully closed. Idempotent.
   */
  close(code = 1000, reason = 'bye'): Promise<void> {
    if (this.#closePromise) return this.#closePromise;
    this.#closePromise = new Promise<void>((resolve) => {
      if (this.#closed) return resolve();
      this.once('close', () => resolve());
      this.#closingLocally = true;
      try {
        this.#socket.close(code, reason);
      } catch {
        this.#socket.terminate();
        return;
      }
      this.#closeTimer = setTimeout(() => this.#socket.terminate(), CLOSE_GRACE_MS);
      this.#closeTimer.unref();
    });
    return this.#closePromise;
  }

  /** Destroys the socket at once, without a closing handshake. */
  terminate(): void {
    if (this.#closed) return;
    this.#closingLocally = true;
    this.#socket.terminate();
  }

  #onClose(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#closeTimer);
    this.#closeInfo = { code, reason, initiatedLocally: this.#closingLocally };
    this.emit('close', this.#closeInfo);
  }

  #closeDetails(): { closeCode?: number; closeReason?: string } {
    return this.#closeInfo ? { closeCode: this.#closeInfo.code, closeReason: this.#closeInfo.reason } : {};
  }
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Reads a refused upgrade's response into a typed error (body capped, key redacted). */
async function readRefusal(response: IncomingMessage, apiKey: ApiKey): Promise<DashScopeError> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (size < MAX_ERROR_BODY_BYTES) chunks.push(chunk.subarray(0, MAX_ERROR_BODY_BYTES - size));
    size += chunk.length;
  }
  const body = apiKey.redact(Buffer.concat(chunks).toString('utf8'));
  const status = response.statusCode ?? 0;
  let errorCode: string | undefined;
  let requestId: string | undefined;
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    if (typeof json.code === 'string') errorCode = json.code;
    if (typeof json.request_id === 'string') requestId = json.request_id;
  } catch {
    // Not JSON: the raw body is kept as is.
  }
  const retryAfter = Number(response.headers['retry-after']);
  const details = {
    status,
    body,
    errorCode,
    requestId,
    retryAfterSeconds: Number.isFinite(retryAfter) ? retryAfter : undefined,
  };
  return status === 401 || status === 403 ? new AuthenticationError(details) : new HandshakeError(details);
}
