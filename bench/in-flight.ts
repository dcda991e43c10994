/**
 * What a task in flight keeps alive in the client's JavaScript heap, library vs bare `ws`:
 * `npm run bench:in-flight` (about a minute). Each contender runs in its own fresh process
 * (bench/lib/in-flight-worker.ts, compiled the way the library ships) against a server that holds
 * the first audio back for 1.5 s; the worker takes a heap snapshot, starts 200 tasks, takes
 * another once they all wait, and reports what the second holds more, per task (compiled code
 * and hidden classes left out: warm-up makes those). Three alternating rounds; medians.
 * This is the figure behind the young-generation note of the client-cost section: the more a
 * task in flight keeps alive, the sooner V8 grows the young generation under load.
 * Writes bench/results/in-flight.json.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { compileForBench } from './lib/compile.js';
import { startServerProcess } from './lib/server-process.js';
import { median } from './lib/stats.js';

interface WorkerReply {
  kind: string;
  tasks: number;
  bytesPerTask: number;
  top: Array<{ kind: string; perTask: number; bytesPerTask: number }>;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TASKS = 200;
const ROUNDS = 3;

const server = await startServerProcess([{ name: 'ws-0', tls: false, rttMs: 0, firstAudioDelayMs: 1_500 }]);
const dir = mkdtempSync(join(tmpdir(), 'dashscope-in-flight-'));
try {
  const worker = compileForBench('bench/lib/in-flight-worker.ts');
  const url = server.endpoints['ws-0']!.url;
  const replies: Record<string, WorkerReply[]> = { pooled: [], bare: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of round % 2 === 0 ? ['pooled', 'bare'] : ['bare', 'pooled']) {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--expose-gc', worker, kind, url, String(TASKS), dir],
        { timeout: 120_000, maxBuffer: 1 << 20 },
      );
      replies[kind]!.push(JSON.parse(stdout.trim().split('\n').at(-1)!) as WorkerReply);
    }
  }
  const result = Object.fromEntries(
    Object.entries(replies).map(([kind, list]) => [
      kind,
      {
        bytesPerTaskMedian: median(list.map((r) => r.bytesPerTask)),
        bytesPerTaskRounds: list.map((r) => r.bytesPerTask),
        // The round whose total is the median: its largest kinds.
        top: [...list].sort((a, b) => a.bytesPerTask - b.bytesPerTask)[Math.floor(list.length / 2)]!.top,
      },
    ]),
  );
  for (const [kind, r] of Object.entries(result)) {
    console.log(
      `${kind}: ${r.bytesPerTaskMedian} B per task in flight (rounds ${r.bytesPerTaskRounds.join(', ')})`,
    );
    for (const row of r.top)
      console.log(`  ${String(row.bytesPerTask).padStart(5)} B  ${row.perTask}×  ${row.kind}`);
  }
  writeFileSync(
    join(root, 'bench', 'results', 'in-flight.json'),
    `${JSON.stringify({ date: new Date().toISOString(), tasks: TASKS, rounds: ROUNDS, result }, null, 2)}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  await server.stop();
}
