/**
 * The HTTP control channel on the server's port, for benchmarks that run the server in another
 * process: `GET /__local/stats` and `POST /__local/faults` with `{"op": ..., ...}`. An outage in
 * one request: `{"op": "refuseConnections", "durationMs": N, "killExisting": true}` (once new
 * connections are refused, a second control request might be refused too).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAuthorized } from './auth.js';
import type { Faults } from './faults.js';
import { errorJson, REFUSAL_BODIES, sendJson } from './http-responses.js';
import type { ServerCounters } from './stats.js';
import type { RefusalStatus, TaskFault } from './types.js';

export const CONTROL_PREFIX = '/__local/';
const MAX_BODY = 64 * 1024;

export interface ControlDeps {
  faults: Faults;
  counters: ServerCounters;
  apiKey: string | undefined;
}

/** The stats as JSON (the byte map becomes an object). */
export function statsJson(counters: ServerCounters): unknown {
  const stats = counters.snapshot();
  return { ...stats, bytesSentByTask: Object.fromEntries(stats.bytesSentByTask) };
}

/** Handles a request under `/__local/`. */
export function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  deps: ControlDeps,
): void {
  if (deps.apiKey !== undefined && !isAuthorized(req.headers.authorization, deps.apiKey)) {
    sendJson(res, 401, errorJson(REFUSAL_BODIES[401]!));
    return;
  }
  if (path === '/__local/stats' && req.method === 'GET') {
    sendJson(res, 200, statsJson(deps.counters));
    return;
  }
  if (path === '/__local/faults' && req.method === 'POST') {
    readBody(req)
      .then((body) => sendJson(res, 200, { ok: true, ...applyOp(deps.faults, JSON.parse(body) as unknown) }))
      .catch((error: unknown) =>
        sendJson(res, 400, { code: 'InvalidParameter', message: (error as Error).message }),
      );
    return;
  }
  sendJson(res, 404, errorJson({ code: 'NotFound', message: `No control route ${req.method} ${path}` }));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Runs one fault operation; throws with a clear message on a bad request. */
function applyOp(faults: Faults, body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null) throw new Error('expected a JSON object with "op"');
  const op = body as Record<string, unknown>;
  switch (op.op) {
    case 'injectTaskFault':
      faults.injectTaskFault(op.fault as TaskFault, {
        ...(op.count !== undefined ? { count: op.count as number } : {}),
        ...(op.match !== undefined ? { match: op.match as string } : {}),
      });
      return {};
    case 'setTaskFaultRate':
      faults.setTaskFaultRate(op.fault as TaskFault, op.probability as number);
      return {};
    case 'refuseUpgrades':
      faults.refuseUpgrades((op.status ?? null) as RefusalStatus | null);
      return {};
    case 'refuseConnections':
      faults.refuseConnections(op.durationMs as number);
      return op.killExisting === true ? { killed: faults.killAllConnections() } : {};
    case 'killAllConnections':
      return { killed: faults.killAllConnections() };
    case 'closeIdleConnections':
      return { closed: faults.closeIdleConnections() };
    case 'setIdleTimeout':
      faults.setIdleTimeout(op.ms as number);
      return {};
    case 'clearFaults':
      faults.clearFaults();
      return {};
    default:
      throw new Error(
        `unknown op ${JSON.stringify(op.op)}: expected injectTaskFault, setTaskFaultRate, refuseUpgrades, ` +
          'refuseConnections, killAllConnections, closeIdleConnections, setIdleTimeout or clearFaults',
      );
  }
}
