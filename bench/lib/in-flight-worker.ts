/**
 * A process of bench/in-flight.ts: one contender (the pooled library or the bare `ws` client)
 * against a server that holds back the first audio, so that tasks stay in flight. After a
 * warm-up it takes a heap snapshot, starts `tasks` tasks, waits until they all wait for audio,
 * takes a second snapshot, and prints (one JSON line) what the second holds more, per task.
 * Arguments: kind, url, tasks, snapshot directory. Needs --expose-gc.
 */
import { writeHeapSnapshot } from 'node:v8';
import { join } from 'node:path';
import { SpeechSynthesizerObjectPool } from '../../src/pool/object-pool.js';
import { openBareConnections } from './bare-client.js';
import { PARAMS, TEXT, WIRE_PARAMETERS } from './contenders.js';
import { diffGroups, groupSnapshot, isCodeKind } from './heap-diff.js';
import { BENCH_API_KEY } from './server-process.js';

const [kind = 'pooled', url = '', tasksArg = '200', dir = '.'] = process.argv.slice(2);
const tasks = Number(tasksArg);
const connections = tasks + 50;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

let run: () => Promise<unknown>;
let close: () => Promise<void>;
if (kind === 'pooled') {
  const pool = new SpeechSynthesizerObjectPool({ url, apiKey: BENCH_API_KEY, maxSize: connections });
  await pool.ready({ timeoutMs: 60_000 });
  // Promise callbacks, as the bare client is written (an async frame per task would be the harness's).
  run = () => pool.withSynthesizer(PARAMS, (synth) => synth.call(TEXT).then((audio) => audio?.length));
  close = () => pool.shutdown({ graceMs: 0 });
} else {
  const sockets = await openBareConnections(url, BENCH_API_KEY, connections, connections);
  let next = 0;
  run = () => sockets[next++ % connections]!.runTask(PARAMS.model, WIRE_PARAMETERS, TEXT);
  close = () => {
    for (const socket of sockets) socket.close();
    return Promise.resolve();
  };
}
// Warm-up: every connection has run tasks, so that what one task leaves behind is in both snapshots.
for (let round = 0; round < 2; round++) await Promise.all(Array.from({ length: connections }, run));
gc();
gc();
const before = writeHeapSnapshot(join(dir, `${kind}-before.heapsnapshot`));
const inFlight = Array.from({ length: tasks }, run);
// The server holds the first audio back for longer than this: every task waits for it now.
await new Promise((resolve) => setTimeout(resolve, 600));
gc();
gc();
const during = writeHeapSnapshot(join(dir, `${kind}-during.heapsnapshot`));
await Promise.all(inFlight);
await close();
const rows = diffGroups(groupSnapshot(before), groupSnapshot(during));
const data = rows.filter((row) => !isCodeKind(row.kind));
const perTask = (bytes: number): number => Math.round(bytes / tasks);
process.stdout.write(
  `${JSON.stringify({
    kind,
    tasks,
    bytesPerTask: perTask(data.reduce((sum, row) => sum + row.bytes, 0)),
    top: data.slice(0, 12).map((row) => ({
      kind: row.kind,
      perTask: Number((row.count / tasks).toFixed(2)),
      bytesPerTask: perTask(row.bytes),
    })),
  })}\n`,
);
process.exit(0);
