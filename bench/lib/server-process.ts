/**
 * Runs the local servers in a separate process (so that client and server do not share an event
 * loop), and talks to them through the HTTP control channel. The child is killed on every path:
 * `stop()`, this process exiting, or (from the child's side) its stdin closing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LocalServerStats } from '../../src/server/index.js';

export const BENCH_API_KEY = 'sk-bench-local-0000';

export interface EndpointSpec {
  name: string;
  tls: boolean;
  /** Link round trip modelled by a delaying TCP proxy in front of the server (0: direct). */
  rttMs: number;
  idleTimeoutMs?: number;
  firstAudioDelayMs?: number;
}

export interface Endpoint extends EndpointSpec {
  url: string;
  /** `http(s)://127.0.0.1:port/__local` of the server itself (never through the proxy). */
  controlUrl: string;
}

export interface ServerProcess {
  endpoints: Record<string, Endpoint>;
  pid: number;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts the servers; `tls` gives the key and certificate files for wss endpoints. */
export async function startServerProcess(
  specs: EndpointSpec[],
  tls?: { keyFile: string; certFile: string },
): Promise<ServerProcess> {
  const entry = fileURLToPath(new URL('./server-main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', entry, JSON.stringify(specs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, BENCH_TLS_KEY: tls?.keyFile ?? '', BENCH_TLS_CERT: tls?.certFile ?? '' },
  });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(
    () => live.delete(child),
    () => undefined,
  );
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin?.end();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      const timer = setTimeout(() => reject(new Error('server process did not start in 30 s')), 30_000);
      lines.once('line', (text) => {
        clearTimeout(timer);
        resolve(text);
      });
      child.once('exit', (code) => reject(new Error(`server process exited (${code}) before it started`)));
    });
    return { endpoints: JSON.parse(line) as Record<string, Endpoint>, pid: child.pid!, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function request(url: string, method: 'GET' | 'POST', body?: unknown, timeoutMs = 10_000): Promise<unknown> {
  const lib = url.startsWith('https:') ? https : http;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method,
        headers: {
          authorization: `Bearer ${BENCH_API_KEY}`,
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 500) >= 400)
            reject(new Error(`${method} ${url}: ${res.statusCode} ${text}`));
          else resolve(JSON.parse(text) as unknown);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The control channel's JSON: the server's counters, minus the per-task byte map. */
export type ServerStats = Omit<LocalServerStats, 'bytesSentByTask'>;

/** `GET /__local/stats`; a loaded server may need longer than the default 10 s to answer. */
export async function serverStats(endpoint: Endpoint, timeoutMs?: number): Promise<ServerStats> {
  return (await request(`${endpoint.controlUrl}/stats`, 'GET', undefined, timeoutMs)) as ServerStats;
}

/** `POST /__local/faults` with one operation. */
export async function serverFault(
  endpoint: Endpoint,
  op: Record<string, unknown>,
  timeoutMs?: number,
): Promise<unknown> {
  return request(`${endpoint.controlUrl}/faults`, 'POST', op, timeoutMs);
}
