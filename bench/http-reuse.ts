/**
 * Benchmark: HTTP generation calls with connection reuse (the library's keep-alive pool) versus
 * a new connection per call (what the Python SDK's default session-per-call does), over loopback
 * plain HTTP and over TLS with a certificate made at run time, side by side in one run.
 *
 * The server runs in a child process. Contenders alternate within every round (ABAB, then BABA),
 * the first round is a discarded warm-up, and the run is bounded in rounds and in time.
 * Writes bench/results/http-reuse.json and prints a table.
 *
 * Run: npx tsx bench/http-reuse.ts        (tsx is a devDependency now)
 *   or node bench/http/run.mjs            (no TypeScript runner needed: bundles with esbuild, runs that)
 *      node bench/http/run.mjs --quick    (fewer rounds and calls)
 *      node bench/http/run.mjs --node-cert  (certificate from node:crypto even when openssl exists)
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Generation, HttpConnectionPool } from '../src/index.js';
import { createSelfSignedCertificate } from '../src/server/self-signed.js';
import { serveOverIpc } from './http/server.js';
import type { FromServer, ToServer } from './http/server.js';

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 3 : 7; // the first is warm-up
const CALLS_PER_BATCH = QUICK ? 60 : 200;
const CONCURRENCY = [1, 8];
const TIME_BUDGET_MS = QUICK ? 30_000 : 120_000;
const API_KEY = 'sk-bench-0123456789';

interface Contender {
  name: string;
  transport: 'plain' | 'tls';
  pool: HttpConnectionPool;
  /** Agent to destroy at the end (the pool never closes a caller's agent). */
  agent?: http.Agent;
}

interface Sample {
  latencies: number[];
  callsPerSecond: number[];
  connections: number;
  calls: number;
}

async function main(): Promise<void> {
  const started = performance.now();
  // --node-cert skips openssl, to exercise the pure-JS certificate builder.
  const certificate = createSelfSignedCertificate({ preferOpenssl: !process.argv.includes('--node-cert') });
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const ready = await ask(child, { type: 'start', key: certificate.key, cert: certificate.cert }, 'ready');
    if (ready.type !== 'ready') throw new Error('server did not start');
    const base = {
      plain: `http://127.0.0.1:${ready.httpPort}/api/v1`,
      tls: `https://127.0.0.1:${ready.httpsPort}/api/v1`,
    };
    const limits = { connectionPoolSize: 16, maximumAsyncRequests: 16, maximumAsyncRequestsPerHost: 16 };
    const ca = certificate.cert;
    const contenders: Contender[] = [];
    const plainAgent = new http.Agent({ keepAlive: false, maxSockets: 16 });
    const tlsAgent = new https.Agent({ keepAlive: false, maxSockets: 16, ca });
    const tlsAgentNoResume = new https.Agent({ keepAlive: false, maxSockets: 16, ca, maxCachedSessions: 0 });
    contenders.push(
      { name: 'reuse (keep-alive pool)', transport: 'plain', pool: new HttpConnectionPool(limits, {}) },
      {
        name: 'new connection per call',
        transport: 'plain',
        pool: new HttpConnectionPool({ ...limits, agent: plainAgent }, {}),
        agent: plainAgent,
      },
      {
        name: 'reuse (keep-alive pool)',
        transport: 'tls',
        pool: new HttpConnectionPool({ ...limits, tls: { ca } }, {}),
      },
      {
        name: 'new connection per call',
        transport: 'tls',
        pool: new HttpConnectionPool({ ...limits, agent: tlsAgent }, {}),
        agent: tlsAgent,
      },
      {
        name: 'new conn, no TLS resumption',
        transport: 'tls',
        pool: new HttpConnectionPool({ ...limits, agent: tlsAgentNoResume }, {}),
        agent: tlsAgentNoResume,
      },
    );

    const samples = new Map<string, Sample>();
    const key = (c: Contender, concurrency: number): string => `${c.transport}|${concurrency}|${c.name}`;
    let roundsDone = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      if (performance.now() - started > TIME_BUDGET_MS) break;
      for (const transport of ['plain', 'tls'] as const) {
        for (const concurrency of CONCURRENCY) {
          const group = contenders.filter((c) => c.transport === transport);
          // Alternate who goes first, so drift (thermal, GC, caches) does not favour one side.
          const order = round % 2 === 0 ? group : [...group].reverse();
          for (const c of order) {
            const before = await connectionCount(child, transport);
            const batch = await runBatch(c, base[transport], concurrency);
            const opened = (await connectionCount(child, transport)) - before;
            if (round === 0) continue; // warm-up
            const s = samples.get(key(c, concurrency)) ?? {
              latencies: [],
              callsPerSecond: [],
              connections: 0,
              calls: 0,
            };
            s.latencies.push(...batch.latencies);
            s.callsPerSecond.push(batch.callsPerSecond);
            s.connections += opened;
            s.calls += batch.latencies.length;
            samples.set(key(c, concurrency), s);
          }
        }
      }
      roundsDone += 1;
    }

    const rows = [];
    for (const c of contenders) {
      for (const concurrency of CONCURRENCY) {
        const s = samples.get(key(c, concurrency));
        if (!s) continue;
        const sorted = [...s.latencies].sort((a, b) => a - b);
        rows.push({
          transport: c.transport,
          concurrency,
          contender: c.name,
          callsPerSecondMedian: round1(median(s.callsPerSecond)),
          callsPerSecondPerRound: s.callsPerSecond.map(round1),
          latencyMs: {
            p50: round2(percentile(sorted, 50)),
            p95: round2(percentile(sorted, 95)),
            p99: round2(percentile(sorted, 99)),
          },
          calls: s.calls,
          tcpConnectionsOpened: s.connections,
          reuseRatio: round2(1 - s.connections / s.calls),
        });
      }
    }
    const result = {
      benchmark: 'http-reuse',
      date: new Date().toISOString(),
      node: process.version,
      cpus: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
      certificate: `self-signed ECDSA P-256, made with ${certificate.madeWith}`,
      workload:
        'Generation.call (non-streaming, ~300-byte JSON answer) against the local endpoint in a child process',
      rounds: {
        measured: Math.max(0, roundsDone - 1),
        warmUp: 1,
        callsPerBatch: CALLS_PER_BATCH,
        concurrency: CONCURRENCY,
      },
      durationMs: Math.round(performance.now() - started),
      rows,
    };
    // The bundle runs from a temporary directory, so the output path is relative to the repository root (the cwd).
    const target = join(process.cwd(), 'bench', 'results', 'http-reuse.json');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, `${JSON.stringify(result, null, 2)}\n`);
    printTable(result.rows);
    console.log(
      `\n${result.rounds.measured} measured rounds x ${CALLS_PER_BATCH} calls per contender and concurrency; ${result.durationMs} ms; ${result.certificate}; ${result.cpus}; node ${result.node}`,
    );
    console.log(`written to ${target}`);
    for (const c of contenders) {
      c.pool.close();
      c.agent?.destroy();
    }
  } finally {
    child.send({ type: 'stop' } satisfies ToServer);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill();
        resolve();
      }, 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

async function runBatch(
  c: Contender,
  baseHttpApiUrl: string,
  concurrency: number,
): Promise<{ latencies: number[]; callsPerSecond: number }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < CALLS_PER_BATCH) {
      next += 1;
      const s = performance.now();
      const res = await Generation.call({
        model: 'qwen-plus',
        messages: [{ role: 'user', content: 'Say hello to the benchmark, please, and keep it short' }],
        resultFormat: 'message',
        apiKey: API_KEY,
        baseHttpApiUrl,
        pool: c.pool,
      });
      latencies.push(performance.now() - s);
      if (res.statusCode !== 200) throw new Error('unexpected status');
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, callsPerSecond: (latencies.length * 1000) / (performance.now() - t0) };
}

function ask(child: ChildProcess, message: ToServer, reply: FromServer['type']): Promise<FromServer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${reply} from the server process`)), 20_000);
    const onMessage = (m: FromServer): void => {
      if (m.type !== reply) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m);
    };
    child.on('message', onMessage);
    child.send(message);
  });
}

async function connectionCount(child: ChildProcess, transport: 'plain' | 'tls'): Promise<number> {
  const m = await ask(child, { type: 'stats' }, 'stats');
  if (m.type !== 'stats') throw new Error('bad stats reply');
  return transport === 'plain' ? m.httpConnections : m.httpsConnections;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
const round2 = (n: number): number => Math.round(n * 100) / 100;

function printTable(
  rows: {
    transport: string;
    concurrency: number;
    contender: string;
    callsPerSecondMedian: number;
    latencyMs: { p50: number; p95: number; p99: number };
    tcpConnectionsOpened: number;
    calls: number;
  }[],
): void {
  const header = [
    'transport',
    'conc',
    'contender',
    'calls/s (median)',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'TCP conns / calls',
  ];
  const lines = rows.map((r) => [
    r.transport,
    String(r.concurrency),
    r.contender,
    r.callsPerSecondMedian.toFixed(1),
    r.latencyMs.p50.toFixed(2),
    r.latencyMs.p95.toFixed(2),
    r.latencyMs.p99.toFixed(2),
    `${r.tcpConnectionsOpened} / ${r.calls}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  console.log(fmt(header));
  console.log(
    `|${widths.map((w, i) => (i >= 3 ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`,
  );
  for (const l of lines) console.log(fmt(l));
}

// Last, so every module-level constant above is initialised before main() runs.
if (process.argv.includes('--serve')) {
  serveOverIpc();
} else {
  await main();
}
