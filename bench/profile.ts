/**
 * CPU profile of a contender's hot path: `npm run bench:profile -- --concurrency=1,50`.
 * Starts a server process and one client-cost worker (bench/lib/cost-worker.ts, the same process
 * the client-cost section measures), pre-opens 100 connections, warms up, then profiles one batch
 * per concurrency with V8's sampling profiler (what `node --cpu-prof` uses, here scoped to the
 * batch so that start-up and connecting stay out of it). Writes each `.cpuprofile` (open it in
 * Chrome DevTools or speedscope for the flame graph) and prints the top frames by self time, and
 * self time by file. Options: --contender=pooled|bare, --tasks=N, --warm-up=N (tasks first, unprofiled; 6,000), --out=DIR, --heap (a sampling
 * heap profile instead: the top allocation sites by bytes allocated during the batch).
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
// V8 optimizes a function called once per task only after some thousands of calls: warm up past that.
const warmUp = Number(arg('warm-up') ?? 6_000);
const kind = (arg('contender') ?? 'pooled') as WorkerKind;
const outDir = arg('out') ?? join(root, 'bench', 'results', 'profile');
const heap = process.argv.includes('--heap');

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

interface HeapNode {
  callFrame: ProfileNode['callFrame'];
  selfSize: number;
  children: HeapNode[];
}

/** Where a frame comes from, shortened: a package, a source file, or a V8 pseudo-frame. */
function place(url: string): string {
  if (url === '') return '';
  let path = url.startsWith('file://') ? fileURLToPath(url) : url;
  // The compiled copy (compile.ts) stands for the source file.
  const compiled = path.indexOf('.cache/dashscope-tts-bench/');
  if (compiled >= 0) path = join(root, path.slice(compiled + 27));
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

/** Bytes allocated (sampled) by frame. */
function allocations(head: HeapNode): { frames: Array<[string, number]>; total: number } {
  const frames = new Map<string, number>();
  let total = 0;
  const visit = (node: HeapNode): void => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = place(url);
    const key = `${functionName || '(anonymous)'}${where ? ` ${where}:${lineNumber + 1}` : ''}`;
    if (node.selfSize > 0) frames.set(key, (frames.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) visit(child);
  };
  visit(head);
  return { frames: [...frames].sort((a, b) => b[1] - a[1]), total };
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  // The profiles are megabytes each: keep them out of git (the summary is small).
  writeFileSync(join(outDir, '.gitignore'), '*.cpuprofile\n*.heapprofile\n');
  const server = await startServerProcess([{ name: 'ws-0', tls: false, rttMs: 0 }]);
  const entry = compileForBench('bench/lib/cost-worker.ts');
  const lines: string[] = [];
  let worker: CostWorker | undefined;
  try {
    for (const concurrency of concurrencies) {
      // A fresh process per concurrency, as the client-cost section has: one that ran the other
      // concurrencies first would be further along V8's heap growth (see the README's notes).
      await worker?.stop();
      worker = CostWorker.start(kind, entry);
      await worker.request({ cmd: 'open', url: server.endpoints['ws-0']!.url, count: 100 });
      await worker.request({ cmd: 'run', concurrency, tasks: warmUp, timeLimitMs: 60_000 });
      const file = join(outDir, `${kind}-c${concurrency}.${heap ? 'heapprofile' : 'cpuprofile'}`);
      const reply = await worker.request<RunReply>({
        cmd: 'run',
        concurrency,
        tasks,
        timeLimitMs: 30_000,
        ...(heap ? { heapProfileFile: file } : { profileFile: file }),
      });
      if (heap) {
        const { frames, total } = allocations(
          (JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode }).head,
        );
        lines.push(
          `## ${kind}, c=${concurrency}: ${reply.ok} tasks, ${(total / reply.ok).toFixed(0)} bytes allocated per task (sampled)`,
          '',
          ...frames
            .slice(0, 30)
            .map(([name, bytes]) => `- ${(bytes / reply.ok).toFixed(0).padStart(6)} B/task  ${name}`),
          '',
        );
        continue;
      }
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
    await worker?.stop();
    await server.stop();
  }
  const text = lines.join('\n');
  writeFileSync(join(outDir, `${kind}-${heap ? 'allocations' : 'top-frames'}.md`), `${text}\n`);
  process.stdout.write(`${text}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`profile failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
