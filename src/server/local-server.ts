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
import { isAuthorized } from './auth.js';
import { ConnectionSession, type SessionContext } from './connection-session.js';
import { CONTROL_PREFIX, handleControl } from './control.js';
import { selectEngine } from './engine-select.js';
import { warmUpEngine } from './warm-up.js';
import { Faults } from './faults.js';
import { createGenerationEndpoint } from './generation/index.js';
import { errorJson, REFUSAL_BODIES, refuseUpgrade, sendJson } from './http-responses.js';
import { resolveServerOptions } from './options.js';
import { ServerCounters } from './stats.js';
import { handleTokens, TokenRegistry } from './tokens.js';
import type { LocalServer, LocalServerOptions } from './types.js';

const WS_PATHS: ReadonlySet<string> = new Set(['/api-ws/v1/inference', '/api-ws/v1/inference/']);
/** Large enough for 20 000 CJK characters in one message, with room for SDK extras. */
const MAX_PAYLOAD = 16 * 1024 * 1024;

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
  const settings = resolveServerOptions(options);
  const log = settings.log;
  const engine = await selectEngine(settings.engine, log);
  if (options.warmUp)
    log(`warmed up ${engine.name} and the encoders in ${Math.round(await warmUpEngine(engine))} ms`);
  const apiKey = options.apiKey;
  const counters = new ServerCounters(options.accountLimits);
  const tokens = new TokenRegistry();
  const emitter = new EventEmitter();
  const sessions = new Set<ConnectionSession>();
  const sockets = new Set<Socket>();
  let idleTimeoutMs = settings.idleTimeoutMs;
  let nextConnection = 0;

  const faults = new Faults({
    killAllConnections: () => {
      const count = sessions.size;
      for (const session of sessions) session.kill();
      return count;
    },
    closeIdleConnections: () => {
      let count = 0;
      for (const session of sessions) if (session.closeIfIdle()) count++;
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
    taskInactivityTimeoutMs: settings.taskInactivityTimeoutMs,
    strictTaskStarted: settings.strictTaskStarted,
    firstAudioDelayMs: settings.firstAudioDelayMs,
    realTimeFactor: settings.realTimeFactor,
    roundTripMs: settings.roundTripMs,
    audioChunkBytes: settings.audioChunkBytes,
    idleTimeoutMs: () => idleTimeoutMs,
    log,
  };

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_PAYLOAD });
  const generation = createGenerationEndpoint({ apiKey, tokens });

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path.startsWith(CONTROL_PREFIX)) {
      handleControl(req, res, path, { faults, counters, apiKey });
      return;
    }
    if (handleTokens(req, res, { apiKey, tokens, counters })) return;
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
    else if (!isAuthorized(req.headers.authorization, apiKey, tokens)) status = 401;
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

  const host = settings.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: load tests open thousands of connections at once (Node's default is 511).
    server.listen({ port: settings.port, host, backlog: 4096 }, () => {
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
