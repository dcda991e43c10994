/**
 * CPU profile of a contender's hot path: `npm run bench:profile -- --concurrency=1,50`.
 * Starts a server process and one client-cost worker (bench/lib/cost-worker.ts, the same process
 * the client-cost section measures), pre-opens 100 connections, warms up, then profiles one batch
 * per concurrency with V8's sampling profiler (what `node --cpu-prof` uses, here scoped to the
 * batch so that start-up and connecting stay out of it). Writes each `.cpuprofile` (open it in
 * Chrome DevTools or speedscope for the flame graph) and prints the top frames by self time, and
 * self time by file. Options: --contender=pooled|bare, --tasks=N, --out=DIR.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileForBench } from './lib/compile.js';
import { CostWorker } from './lib/cost-client.js';
import type { RunReply, WorkerKind } from './lib/cost-worker.js';
import { startServerProcess } from './lib/server-process.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const concurrencies = (arg('concurrency') ?? '1,50').split(',').map(Number);
const tasks = Number(arg('tasks') ?? 3000);
const kind = (arg('contender') ?? 'pooled') as WorkerKind;
const outDir = arg('out') ?? join(root, 'bench', 'results', 'profile');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a frame comes from, shortened: a package, a source file, or a V8 pseudo-frame. */
function place(url: string): string {
  if (url === '') return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + 13).split('/');
    return `${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}/${basename(path)}`;
  }
  if (path.startsWith('node:')) return path;
  return relative(root, path);
}

/** Self time (ms) by frame and by file. */
function summarize(profile: CpuProfile): {
  frames: Array<[string, number]>;
  files: Array<[string, number]>;
  totalMs: number;
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const frames = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!)!;
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    total += ms;
    const where = place(url);
    const key = `${functionName || '(anonymous)'}${where ? ` ${where}:${lineNumber + 1}` : ''}`;
    frames.set(key, (frames.get(key) ?? 0) + ms);
    const file = where === '' ? functionName : where.startsWith('node:') ? 'node: (core)' : where;
    files.set(file, (files.get(file) ?? 0) + ms);
  }
  const top = (m: Map<string, number>): Array<[string, number]> => [...m].sort((a, b) => b[1] - a[1]);
  return { frames: top(frames), files: top(files), totalMs: total };
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  // The profiles are megabytes each: keep them out of git (the summary is small).
  writeFileSync(join(outDir, '.gitignore'), '*.cpuprofile\n');
  const server = await startServerProcess([{ name: 'ws-0', tls: false, rttMs: 0 }]);
  const worker = CostWorker.start(kind, compileForBench('bench/lib/cost-worker.ts'));
  const lines: string[] = [];
  try {
    await worker.request({ cmd: 'open', url: server.endpoints['ws-0']!.url, count: 100 });
    for (const concurrency of concurrencies) {
      await worker.request({ cmd: 'run', concurrency, tasks: 1000, timeLimitMs: 20_000 });
      const file = join(outDir, `${kind}-c${concurrency}.cpuprofile`);
      const reply = await worker.request<RunReply>({
        cmd: 'run',
        concurrency,
        tasks,
        timeLimitMs: 30_000,
        profileFile: file,
      });
      const summary = summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
      const pct = (ms: number): string => `${((ms / summary.totalMs) * 100).toFixed(1)}%`;
      lines.push(
        `## ${kind}, c=${concurrency}: ${reply.ok} tasks, ${(reply.cpuMs / reply.ok).toFixed(3)} ms CPU per task (profiler on), ${summary.totalMs.toFixed(0)} ms sampled (not idle)`,
        '',
        'Top frames by self time:',
        '',
        ...summary.frames.slice(0, 25).map(([name, ms]) => `- ${pct(ms).padStart(6)}  ${name}`),
        '',
        'Self time by file:',
        '',
        ...summary.files.slice(0, 15).map(([name, ms]) => `- ${pct(ms).padStart(6)}  ${name}`),
        '',
      );
    }
  } finally {
    await worker.stop();
    await server.stop();
  }
  const text = lines.join('\n');
  writeFileSync(join(outDir, `${kind}-top-frames.md`), `${text}\n`);
  process.stdout.write(`${text}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`profile failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
