/** A real local server around the generation endpoint, with a TCP connection counter. */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { HttpConnectionPool } from '../../src/index.js';
import { createGenerationEndpoint } from '../../src/server/generation/index.js';
import type { GenerationEndpoint } from '../../src/server/generation/index.js';

export const API_KEY = 'sk-test-0123456789abcdef';

export interface TestServer {
  server: http.Server;
  endpoint: GenerationEndpoint;
  /** `http://127.0.0.1:<port>/api/v1` */
  baseUrl: string;
  port: number;
  /** TCP connections accepted so far (server 'connection' events). */
  connections(): number;
  close(): Promise<void>;
}

/** Starts an HTTP server on 127.0.0.1:0 that serves the generation endpoints. */
export async function startServer(options: { apiKey?: string } = { apiKey: API_KEY }): Promise<TestServer> {
  const endpoint = createGenerationEndpoint(options);
  const server = http.createServer((req, res) => {
    if (!endpoint.handle(req, res)) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"code":"NotFound","message":"Not found."}');
    }
  });
  // Longer than any test: sockets only close when a test wants them to.
  server.keepAliveTimeout = 60_000;
  let connections = 0;
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    endpoint,
    port,
    baseUrl: `http://127.0.0.1:${port}/api/v1`,
    connections: () => connections,
    close: async () => {
      endpoint.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A TCP server that accepts connections and never reads or answers. */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.pause();
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Waits until `check()` is true, polling; fails after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const messages = (text = 'Say hello') => [{ role: 'user' as const, content: text }];

/** Counts of the active handles that a leak would add: sockets, servers and timers. */
export function handleCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (['TCPSocketWrap', 'TCPServerWrap', 'TLSWrap', 'Timeout'].includes(kind))
      counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/** Waits (briefly) until no more sockets, servers or timers are active than at `baseline`; fails otherwise. */
export async function expectNoLeaks(baseline: Record<string, number>): Promise<void> {
  const excess = (): string[] =>
    Object.entries(handleCounts())
      .filter(([kind, n]) => n > (baseline[kind] ?? 0))
      .map(([kind, n]) => `${kind}: ${n} (was ${baseline[kind] ?? 0})`);
  const deadline = Date.now() + 5_000;
  while (excess().length > 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  if (excess().length > 0) throw new Error(`handles left behind: ${excess().join(', ')}`);
}

/**
 * The shared set-up of the HTTP tests: a generation server for the file, pools made through
 * `newPool` closed at the end, faults reset after every test, and a final check that no socket,
 * server or timer was left behind. Hooks registered after this one run before its clean-up.
 */
export function useHttpFixture(): {
  readonly srv: TestServer;
  newPool(options?: ConstructorParameters<typeof HttpConnectionPool>[0]): HttpConnectionPool;
} {
  let server: TestServer | undefined;
  let baseline: Record<string, number> = {};
  const pools: HttpConnectionPool[] = [];
  beforeAll(async () => {
    baseline = handleCounts();
    server = await startServer();
  });
  afterEach(() => {
    server?.endpoint.faults.reset();
  });
  afterAll(async () => {
    for (const pool of pools) pool.close();
    await server?.close();
    await expectNoLeaks(baseline);
  });
  return {
    get srv(): TestServer {
      if (!server) throw new Error('the HTTP test server is not started yet');
      return server;
    },
    newPool(options = {}) {
      const pool = new HttpConnectionPool(options, {});
      pools.push(pool);
      return pool;
    },
  };
}
