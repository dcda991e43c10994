/**
 * The local DashScope-compatible server: one HTTP(S) port carrying the WebSocket endpoint (both
 * URL forms), the HTTP generation endpoints and the `/__local/` control channel.
 */
import { EventEmitter } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { checkInteger, checkPositiveMs } from '../config.js';
import { InvalidOptionError } from '../errors/index.js';
import { checkAccountLimits } from './account-limits.js';
import { isAuthorized } from './auth.js';
import { ConnectionSession, type SessionContext } from './connection-session.js';
import { CONTROL_PREFIX, handleControl } from './control.js';
import { selectEngine } from './engine-select.js';
import { Faults } from './faults.js';
import { createGenerationEndpoint } from './generation/index.js';
import { errorJson, REFUSAL_BODIES, refuseUpgrade, sendJson } from './http-responses.js';
import { ServerCounters } from './stats.js';
import type { LocalServer, LocalServerOptions } from './types.js';

const WS_PATHS: ReadonlySet<string> = new Set(['/api-ws/v1/inference', '/api-ws/v1/inference/']);
/** Large enough for 20 000 CJK characters in one message, with room for SDK extras. */
const MAX_PAYLOAD = 16 * 1024 * 1024;

function validate(options: LocalServerOptions): void {
  if (options.port !== undefined) checkInteger('port', options.port, 0, 65535);
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host === '')) {
    throw new InvalidOptionError(
      'host',
      `invalid host ${JSON.stringify(options.host)}: expected a non-empty string`,
    );
  }
  if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || options.apiKey === '')) {
    throw new InvalidOptionError('apiKey', 'invalid apiKey: expected a non-empty string');
  }
  const engine = options.engine;
  if (engine !== undefined && engine !== 'auto' && engine !== 'espeak' && engine !== 'synthetic') {
    throw new InvalidOptionError(
      'engine',
      `invalid engine ${JSON.stringify(engine)}: expected auto, espeak or synthetic`,
    );
  }
  if (options.idleTimeoutMs !== undefined) checkPositiveMs('idleTimeoutMs', options.idleTimeoutMs);
  if (options.taskInactivityTimeoutMs !== undefined) {
    checkPositiveMs('taskInactivityTimeoutMs', options.taskInactivityTimeoutMs);
  }
  const pacing = options.pacing ?? {};
  if (pacing.firstAudioDelayMs !== undefined)
    checkPositiveMs('pacing.firstAudioDelayMs', pacing.firstAudioDelayMs, true);
  if (pacing.roundTripMs !== undefined) checkPositiveMs('pacing.roundTripMs', pacing.roundTripMs, true);
  if (
    pacing.realTimeFactor !== undefined &&
    (typeof pacing.realTimeFactor !== 'number' ||
      !Number.isFinite(pacing.realTimeFactor) ||
      pacing.realTimeFactor < 0)
  ) {
    throw new InvalidOptionError(
      'pacing.realTimeFactor',
      `invalid pacing.realTimeFactor ${JSON.stringify(pacing.realTimeFactor)}: expected a number >= 0`,
    );
  }
  if (options.audioChunkBytes !== undefined) checkInteger('audioChunkBytes', options.audioChunkBytes, 1);
  checkAccountLimits(options.accountLimits);
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts a local DashScope-compatible speech server.
 * @throws {InvalidOptionError} for a bad option; a `DS_ERR_ENGINE_UNAVAILABLE` error when
 *   `engine: 'espeak'` cannot be loaded; the listen error (e.g. EADDRINUSE).
 */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  validate(options);
  const log = options.logger ?? ((): void => undefined);
  const engine = await selectEngine(options.engine ?? 'auto', log);
  const apiKey = options.apiKey;
  const counters = new ServerCounters(options.accountLimits);
  const emitter = new EventEmitter();
  const sessions = new Set<ConnectionSession>();
  const sockets = new Set<Socket>();
  let idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  let nextConnection = 0;

  const faults = new Faults({
    killAllConnections: () => {
      const count = sessions.size;
      for (const session of sessions) session.kill();
      return count;
    },
    setIdleTimeout: (ms) => {
      idleTimeoutMs = ms;
      for (const session of sessions) session.rescheduleIdle();
    },
  });

  const context: SessionContext = {
    engine,
    counters,
    faults,
    events: emitter,
    taskInactivityTimeoutMs: options.taskInactivityTimeoutMs ?? 23_000,
    strictTaskStarted: options.strictTaskStarted ?? false,
    firstAudioDelayMs: options.pacing?.firstAudioDelayMs ?? 0,
    realTimeFactor: options.pacing?.realTimeFactor ?? 0,
    roundTripMs: options.pacing?.roundTripMs ?? 0,
    audioChunkBytes: options.audioChunkBytes ?? 8000,
    idleTimeoutMs: () => idleTimeoutMs,
    log,
  };

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_PAYLOAD });
  const generation = createGenerationEndpoint({ apiKey });

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path.startsWith(CONTROL_PREFIX)) {
      handleControl(req, res, path, { faults, counters, apiKey });
      return;
    }
    if (generation.handle(req, res)) return;
    if (WS_PATHS.has(path)) {
      sendJson(res, 426, errorJson({ code: 'UpgradeRequired', message: 'This endpoint speaks WebSocket.' }));
      return;
    }
    sendJson(res, 404, errorJson({ code: 'NotFound', message: `No route ${req.method ?? 'GET'} ${path}` }));
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const refusal = faults.upgradeRefusal;
    let status: number | undefined;
    if (!WS_PATHS.has(path)) status = 404;
    else if (refusal !== null) status = refusal;
    else if (!isAuthorized(req.headers.authorization, apiKey)) status = 401;
    if (status !== undefined) {
      counters.upgradesRejected++;
      log(`upgrade refused with ${status} (${path})`);
      refuseUpgrade(socket, status, REFUSAL_BODIES[status]!);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const id = String(++nextConnection);
      counters.connectionsAccepted++;
      counters.openConnections++;
      const session = new ConnectionSession(id, ws, context);
      sessions.add(session);
      ws.once('close', () => sessions.delete(session));
      emitter.emit('connection', { connectionId: id });
    });
  };

  const server: Server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest)
    : createHttpServer(onRequest);
  server.on('upgrade', onUpgrade);
  server.on('connection', (socket: Socket) => {
    if (faults.refusingConnections) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // A TLS handshake failure must not crash the process.
  server.on('tlsClientError', (error: Error) => log(`tls: ${error.message}`));

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: load tests open thousands of connections at once (Node's default is 511).
    server.listen({ port: options.port ?? 0, host, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => log(`server: ${error.message}`));
  const port = (server.address() as AddressInfo).port;
  const secure = options.tls !== undefined;
  const authority = `${urlHost(host)}:${port}`;
  log(`local DashScope server listening on ${secure ? 'wss' : 'ws'}://${authority} (engine: ${engine.name})`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      faults.clearFaults();
      server.close(() => resolve());
      for (const session of sessions) session.kill();
      wss.close();
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
    });
    return closing;
  };

  return {
    url: `${secure ? 'wss' : 'ws'}://${authority}/api-ws/v1/inference`,
    httpBaseUrl: `${secure ? 'https' : 'http'}://${authority}/api/v1`,
    port,
    engine: engine.name,
    faults,
    events: emitter,
    stats: () => counters.snapshot(),
    close,
  };
}
