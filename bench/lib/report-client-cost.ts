/** The client-cost section's tables (bench/client-cost.ts), for summary.md and the README. */
import type { ClientCostResult, CostCell, Spread } from '../client-cost.js';
import type { MemoryReply, MemoryStep } from './cost-worker.js';
import { fmt, table } from './markdown.js';

/** "1.03× (0.98–1.07)": a per-round ratio's median and range. */
function ratioText(s: Spread): string {
  return `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
}

function within(s: Spread, limit: number): string {
  return s.median <= limit ? 'yes' : '**no**';
}

function cellLabel(cell: CostCell): string | number {
  if (cell.appHeapMb) return `${cell.concurrency}, with ${cell.appHeapMb} MB of app data`;
  if (cell.bareInTurn) return `${cell.concurrency}, bare using its sockets in turn`;
  return cell.concurrency;
}

/** CPU per task, first packet and server load per concurrency; pre-open 100 as the last row. */
export function clientCostTable(result: ClientCostResult): string {
  const rows = result.cells.map((cell) => [
    cellLabel(cell),
    `${fmt(cell.cpuPerTaskMs.pooled.median, 3)} / ${fmt(cell.cpuPerTaskMs.bare.median, 3)}`,
    ratioText(cell.cpuPerTaskMs.ratio),
    `${fmt(cell.firstPacketP50Ms.pooled.median)} / ${fmt(cell.firstPacketP50Ms.bare.median)}`,
    ratioText(cell.firstPacketP50Ms.ratio),
    `${fmt(cell.firstPacketP99Ms.pooled.median)} / ${fmt(cell.firstPacketP99Ms.bare.median)}`,
    `${fmt(cell.tasksPerSec.pooled.median, 0)} / ${fmt(cell.tasksPerSec.bare.median, 0)}`,
    cell.serverCoreShare
      ? `${fmt(cell.serverCoreShare.pooled.median)} / ${fmt(cell.serverCoreShare.bare.median)}`
      : '–',
    `${within(cell.cpuPerTaskMs.ratio, 1.1)} / ${within(cell.firstPacketP50Ms.ratio, 1.1)}`,
  ]);
  return table(
    [
      'concurrency',
      'client CPU per task, library / bare (ms)',
      'library ÷ bare CPU (median, range)',
      'first packet p50 library / bare (ms)',
      'library ÷ bare p50 (median, range)',
      'p99 library / bare (ms)',
      'tasks/s library / bare',
      "server's share of a core (library / bare run)",
      'within 1.10×? (CPU / p50)',
    ],
    rows,
  );
}

/** Pre-open times (100 vs bare, 1,000 ws:// and wss://) and memory per pooled connection. */
export function clientScaleTable(result: ClientCostResult): string {
  const open = result.preOpen100;
  const { pooled, bare } = result.memory;
  const kib = (x: MemoryStep['idleKiB']): string => `${fmt(x.rss, 1)} KiB (heap ${fmt(x.heapUsed, 1)})`;
  const memoryRows = (label: string, pick: (m: MemoryReply) => MemoryStep): Array<Array<string | number>> => [
    [`${label}, idle`, kib(pick(pooled).idleKiB), kib(pick(bare).idleKiB), '–'],
    [`${label}, after one task each`, kib(pick(pooled).afterTaskKiB), kib(pick(bare).afterTaskKiB), '–'],
  ];
  return table(
    ['measure', 'library', 'bare `ws`', 'library ÷ bare (median, range)'],
    [
      [
        `pre-open ${open.connections} ${open.transport}:// connections (bare: all at once)`,
        `${fmt(open.pooledMs.median, 1)} ms`,
        `${fmt(open.bareMs.median, 1)} ms`,
        `${ratioText(open.ratio)}${open.ratio.median <= 1.25 ? '' : ' **over 1.25×**'}`,
      ],
      ...result.preOpen1000.map((p) => [
        `pre-open ${fmt(p.connections, 0)} ${p.transport}:// connections`,
        `${fmt(p.pooledMs.median, 0)} ms (${p.pooledMs.rounds.map((v) => fmt(v, 0)).join(', ')})`,
        `${fmt(p.bareMs.median, 0)} ms`,
        ratioText(p.ratio),
      ]),
      ...memoryRows(
        `memory per connection (RSS), the process's first ${fmt(pooled.connections, 0)}`,
        (m) => m.first,
      ),
      ...memoryRows(`same, ${fmt(pooled.connections, 0)} more in the same process`, (m) => m.marginal),
    ],
  );
}

/** The method, in one paragraph. */
export function clientCostNote(result: ClientCostResult): string {
  const appRow = result.cells.find((cell) => cell.appHeapMb > 0);
  const inTurnRow = result.cells.find((cell) => cell.bareInTurn);
  return `The library (a pool of ${result.poolSize}, default options) and a bare \`ws\` client (${result.poolSize} persistent sockets, the same run-task / continue-task / finish-task exchange with eager start, keeping each task's audio frames and joining them into one Buffer at task-finished, which is what \`call()\` returns) each run in their own process, driven by the same load loop, written with promise callbacks on both sides (an async function per task would add its suspended frame, the harness's cost, to one side), against one server process, as plain JavaScript compiled from the sources the way the library ships (not through tsx, whose per-closure name helpers the shipped build does not have); each batch measures its own process's CPU (\`process.cpuUsage()\`, user + system) and divides by the tasks it completed. Each concurrency runs in a fresh pair of processes that open one pool (or ${result.poolSize} sockets) each; the bare client's worker *i* always uses socket *i*, while the pool lends its connections in turn${inTurnRow ? ` (the row "${inTurnRow.concurrency}, bare using its sockets in turn" has the bare client take, for each task, the socket free longest, as the pool does: with the server saturated, which sockets carry the tasks shapes the first-packet distribution)` : ''}. Rounds alternate the order; round 0 (${fmt(result.warmUpTasks ?? 3_000, 0)} tasks per process) is a discarded warm-up, long enough for V8 to have optimized the functions each task calls once (it does so only after some thousands of calls; the library has more of them, and with a 3,000-task warm-up their compiles still fell into the first rounds); ratios are per round, shown as median (range over ${result.cells[0]?.rounds.length ?? 0} rounds). A process this small (about 8 MB of heap) has a trap: V8 doubles its young generation (8 to 16 MB) once the bytes that survived its young collections add up to its size, and from then on its old generation has less room left than the young one, so V8 runs a full mark-compact every quarter second or so and CPU per task steps up by a quarter to a half. What survives a collection grows with the tasks in flight, which keep about 1.2 KB each alive in the library and 0.8 KB in the bare client (heap snapshot with 200 tasks in flight: \`npm run bench:in-flight\`); at 50 in flight the library's process survives about 87 KB per collection and the bare client's 73 KB (\`--trace-gc-nvp\`, 2026-12-03; 104 KB before a pooled synthesizer kept on return forgot its last task, 113 KB the day before), so the library's process meets the trap sooner than the bare client's: after some 27,000 tasks (\`--trace-gc\`: a full mark-compact every half second from there), the bare client's after some 35,000; each process here runs 21,000: a step in the per-round ratios at 50 in the runs where it comes (the code before the changes of 2026-12-02, commit 88627ba, kept 2.8 KB per task in flight and showed rounds of 1.13, 1.21, 1.68, 1.76 and 1.81×).${appRow ? ` The last row runs ${appRow.concurrency} again in processes that each also hold ${appRow.appHeapMb} MB of application data (small objects, made before the run), as an application's process does: there the step does not come.` : ''} The server's share of a core is its CPU time over the batch's wall time (from /proc): near 1.0 the server, not the client, limits tasks/s. Memory: a fresh process per contender opens 1,000 connections, then runs one task on each, all at once (double gc before each reading, \`--expose-gc\`), then does the same with 1,000 more: the first figures include the process's one-off growth, kept by the process but held by no connection (measured 2026-12-03): idle, mostly V8's young generation, which the 1,000 handshakes' survivors grow to 2 × 16 MB in both processes (capped with \`--max-semi-space-size=1\`, the first 1,000 cost 10.5 KiB each idle, bare 9); after the tasks, mostly socket buffers that the burst of 1,000 tasks left dead for V8's next full collection, whose memory glibc then keeps (during the burst \`arrayBuffers\` peaked 24 MB above idle in the library's process and 8 MB in the bare client's, the JavaScript heap 7 and 2.5 MB: more of the burst's short-lived objects reach the old generation in the library's process before they die; forcing a full collection mid-burst kept the library's peak at 6 MB; across the burst glibc's \`malloc_stats()\`, read with gdb, showed the memory it holds from the system grow by 20 MB and 14 MB while its bytes in use stayed at 7 to 8 MB). In a process whose code already ran 3,000 tasks and with the young generation capped, the first 1,000 cost 3.7 to 4.0 KiB each idle and 12.2 to 12.8 after a task (bare 2.4 to 3.6 and 5.0). The second figures are what one more connection costs. Load average at start / end: ${result.loadAverage.start.join(', ')} / ${result.loadAverage.end.join(', ')} (2 cores shared with other work).`;
}
