/**
 * Child process entry: starts the local servers a benchmark section asks for (synthetic engine),
 * prints one JSON line with their URLs on stdout, and runs until its stdin closes (the parent
 * ended, whatever the way) or it gets SIGTERM/SIGINT.
 */
import { readFileSync } from 'node:fs';
import { startLocalServer, type LocalServer } from '../../src/server/index.js';
import { startDelayProxy, type DelayProxy } from './delay-proxy.js';
import { BENCH_API_KEY, type EndpointSpec, type Endpoint } from './server-process.js';

const specs = JSON.parse(process.argv[2] ?? '[]') as EndpointSpec[];
const keyFile = process.env.BENCH_TLS_KEY;
const certFile = process.env.BENCH_TLS_CERT;

const servers: LocalServer[] = [];
const proxies: DelayProxy[] = [];
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await Promise.race([
      Promise.all([...proxies.map((p) => p.close()), ...servers.map((s) => s.close())]),
      new Promise((resolve) => setTimeout(resolve, 2_000)),
    ]);
  }
  process.exit(code);
}

async function main(): Promise<void> {
  const endpoints: Record<string, Endpoint> = {};
  for (const spec of specs) {
    if (spec.tls && (!keyFile || !certFile)) throw new Error('TLS endpoint without BENCH_TLS_KEY/CERT');
    const server = await startLocalServer({
      engine: 'synthetic',
      apiKey: BENCH_API_KEY,
      idleTimeoutMs: spec.idleTimeoutMs ?? 600_000,
      pacing: { firstAudioDelayMs: spec.firstAudioDelayMs ?? 0 },
      ...(spec.tls ? { tls: { key: readFileSync(keyFile!), cert: readFileSync(certFile!) } } : {}),
    });
    servers.push(server);
    let url = server.url;
    if (spec.rttMs > 0) {
      const proxy = await startDelayProxy(server.port, spec.rttMs);
      proxies.push(proxy);
      url = url.replace(`:${server.port}/`, `:${proxy.port}/`);
    }
    endpoints[spec.name] = {
      ...spec,
      url,
      controlUrl: `${spec.tls ? 'https' : 'http'}://127.0.0.1:${server.port}/__local`,
    };
  }
  process.stdout.write(`${JSON.stringify(endpoints)}\n`);
}

process.stdin.on('end', () => void stop(0));
process.stdin.on('close', () => void stop(0));
process.stdin.resume();
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
main().catch((error: unknown) => {
  process.stderr.write(`bench server: ${String(error)}\n`);
  void stop(1);
});
