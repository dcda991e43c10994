/**
 * What the process's wss:// connections share so that opening many costs little: one TLS secure
 * context per set of trusted CAs (instead of one built per socket), and an HTTPS agent whose
 * session cache lets the next handshake resume the last one to the same host (no certificate to
 * sign on the server, none to verify on the client). Only for connections without an `agent` of
 * the caller's: theirs is used as given. A session is resumed only with the host, port and CAs it
 * was made with (the agent keys its cache by them); a server that no longer knows the session
 * just does a full handshake.
 */
import { Agent } from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';

type Ca = string | Buffer | Array<string | Buffer> | undefined;

/** Sessions kept: one per host, port and CA set. */
const MAX_CACHED_SESSIONS = 100;
/** Secure contexts kept, one per CA set (a handful in practice). */
const MAX_CONTEXTS = 16;

let agent: Agent | undefined;
const contexts = new Map<Ca, SecureContext>();

/** The TLS options of an upgrade request to a wss:// URL made without a caller's agent. */
export function sharedTlsOptions(ca: Ca): { agent: Agent; secureContext: SecureContext } {
  // keepAlive off: an upgraded socket leaves the agent; only the session cache is used.
  agent ??= new Agent({ keepAlive: false, maxCachedSessions: MAX_CACHED_SESSIONS });
  let secureContext = contexts.get(ca);
  if (!secureContext) {
    if (contexts.size >= MAX_CONTEXTS) contexts.clear();
    // The context tls.connect would build for these options, built once.
    secureContext = createSecureContext(ca === undefined ? {} : { ca });
    contexts.set(ca, secureContext);
  }
  return { agent, secureContext };
}
