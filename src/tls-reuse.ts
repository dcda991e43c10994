/**
 * What the process's wss:// connections share so that opening many costs little: one TLS secure
 * context per set of trusted CAs (instead of one built per socket), and a session cache that lets
 * the next handshake resume the last one to the same host (no certificate to sign on the server,
 * none to verify on the client). Only for connections without an `agent` of the caller's: theirs
 * is used as given. A session is resumed only with the host, port, server name and CAs it was
 * made with; a server that no longer knows the session just does a full handshake, and a session
 * whose connection failed is forgotten.
 *
 * The cache is ours rather than an `https.Agent`'s because Node's `tls.connect()` hands the
 * agent's session to OpenSSL twice per socket (once in the socket's set-up, once after it), and
 * each hand-over parses the session and its certificate again: some 0.2 ms of CPU per connection
 * each, the largest single cost of opening 1,000 resumed connections. Here it is set once.
 */
import { isIP } from 'node:net';
import {
  connect,
  createSecureContext,
  type ConnectionOptions,
  type SecureContext,
  TLSSocket,
} from 'node:tls';
import type WebSocket from 'ws';

type Ca = string | Buffer | Array<string | Buffer> | undefined;

/** Sessions kept per CA set: one per host, port and server name. */
const MAX_CACHED_SESSIONS = 100;
/** CA sets kept (a handful in practice), each with its secure context and sessions. */
const MAX_CONTEXTS = 16;

/** What the wss:// connections trusting one CA set share: their context and their sessions. */
interface Trust {
  readonly secureContext: SecureContext;
  /** Opens the socket with the last session to the same host resumed (see makeTrust). */
  readonly createConnection: NonNullable<WebSocket.ClientOptions['createConnection']>;
}

const trusts = new Map<Ca, Trust>();

/**
 * `TLSSocket#setSession`, which `tls.connect()` itself uses to hand over its `session` option but
 * Node does not document: where it is missing, the session goes in as that option (parsed twice).
 */
type SetSession = (this: TLSSocket, session: Buffer) => void;
const setSession = (TLSSocket.prototype as unknown as { setSession?: SetSession }).setSession;

/** The TLS options of an upgrade request to a wss:// URL made without a caller's agent. */
export function sharedTlsOptions(ca: Ca): Trust {
  let trust = trusts.get(ca);
  if (!trust) {
    if (trusts.size >= MAX_CONTEXTS) trusts.clear();
    // The context tls.connect would build for these options, built once.
    trust = makeTrust(createSecureContext(ca === undefined ? {} : { ca }));
    trusts.set(ca, trust);
  }
  return trust;
}

function makeTrust(secureContext: SecureContext): Trust {
  /** The last session per `host:port:servername`, oldest first. */
  const sessions = new Map<string, Buffer>();
  const remember = (key: string, session: Buffer): void => {
    sessions.delete(key);
    if (sessions.size >= MAX_CACHED_SESSIONS) sessions.delete(sessions.keys().next().value!);
    sessions.set(key, session);
  };
  // What `ws` does for a wss:// URL (its tlsConnect), plus the session: the options are those of
  // the upgrade request, whose `path` is the URL's and must not reach net.connect as a socket path.
  const createConnection = (requestOptions: ConnectionOptions & { path?: string | null }): TLSSocket => {
    const { path: _path, ...options } = requestOptions;
    const host = options.host ?? 'localhost';
    const servername = options.servername ?? (isIP(host) ? '' : host);
    const key = `${host}:${options.port ?? 443}:${servername}`;
    let session = sessions.get(key);
    const handOver = session !== undefined && setSession !== undefined;
    const socket = connect({
      ...options,
      servername,
      secureContext,
      ...(session !== undefined && !handOver ? { session } : {}),
    });
    // Set before the handshake starts (the TCP connect is still under way).
    if (handOver) setSession.call(socket, session!);
    socket.on('session', (fresh: Buffer) => {
      session = fresh;
      remember(key, fresh);
    });
    socket.once('close', (hadError: boolean) => {
      // A session whose connection failed may be the reason: the next connect does a full handshake.
      if (hadError && session !== undefined && sessions.get(key) === session) sessions.delete(key);
    });
    return socket;
  };
  // ws types the option as net.createConnection (its overloads); it calls it with options only.
  return { secureContext, createConnection: createConnection as unknown as Trust['createConnection'] };
}
