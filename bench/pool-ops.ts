/**
 * Section 4: the pool's own cost, borrow + return, in microseconds, at pool sizes up to 10,000
 * (real pre-opened sockets to the local server; no task runs, so only pool code is timed).
 * - idle: the pool has free synthesizers; one caller borrows and returns in a loop.
 * - waiting: every synthesizer is lent out and as many borrowers again wait (capped at 1,000);
 *   each step returns one and times until the oldest waiter holds it (the hand-off), then a new
 *   borrower joins the queue so that its depth stays constant.
 */
import { SpeechSynthesizerObjectPool } from '../src/pool/object-pool.js';
import { PARAMS } from './lib/contenders.js';
import { BENCH_API_KEY } from './lib/server-process.js';
import { progress, runSection } from './lib/section.js';
import { round, roundSummary, summarize, type Summary } from './lib/stats.js';
import type { SpeechSynthesizer } from '../src/synthesizer/speech-synthesizer.js';

export interface PoolOpsRow {
  size: number;
  openMs: number;
  idle: { ops: number; borrowReturnUs: Summary; borrowUs: Summary; returnUs: Summary };
  waiting: { ops: number; queueDepth: number; handoffUs: Summary; opsPerSec: number };
}

function us(values: number[]): Summary {
  return roundSummary(summarize(values.map((ms) => ms * 1000)));
}

async function measure(url: string, size: number, quick: boolean): Promise<PoolOpsRow> {
  const t0 = performance.now();
  const pool = new SpeechSynthesizerObjectPool({
    url,
    apiKey: BENCH_API_KEY,
    maxSize: size,
    connectConcurrency: 128,
    // No heartbeats or renewals during the run: only borrow and return are timed.
    heartbeatIntervalMs: 0,
  });
  try {
    await pool.ready({ timeoutMs: 120_000 });
    const openMs = performance.now() - t0;
    progress(`size ${size}: ${size} connections open in ${openMs.toFixed(0)} ms`);

    const ops = quick ? 1_000 : 3_000;
    const both: number[] = [];
    const borrow: number[] = [];
    const back: number[] = [];
    for (let i = 0; i < ops + 200; i++) {
      const a = performance.now();
      const synth = await pool.borrowSynthesizer(PARAMS);
      const b = performance.now();
      await pool.returnSynthesizer(synth);
      const c = performance.now();
      if (i < 200) continue; // warm-up
      borrow.push(b - a);
      back.push(c - b);
      both.push(c - a);
    }

    const held: SpeechSynthesizer[] = [];
    for (let i = 0; i < size; i++) held.push(await pool.borrowSynthesizer(PARAMS));
    const depth = Math.min(size, 1_000);
    const queue: Array<Promise<SpeechSynthesizer>> = [];
    for (let i = 0; i < depth; i++) queue.push(pool.borrowSynthesizer(PARAMS, { timeoutMs: 600_000 }));
    const handoff: number[] = [];
    const waitOps = quick ? 1_000 : 3_000;
    const w0 = performance.now();
    for (let i = 0; i < waitOps; i++) {
      const oldest = queue.shift()!;
      const a = performance.now();
      await pool.returnSynthesizer(held.shift()!);
      held.push(await oldest);
      handoff.push(performance.now() - a);
      queue.push(pool.borrowSynthesizer(PARAMS, { timeoutMs: 600_000 }));
    }
    const waitMs = performance.now() - w0;
    for (const waiter of queue) waiter.catch(() => undefined);
    const row: PoolOpsRow = {
      size,
      openMs: round(openMs),
      idle: { ops, borrowReturnUs: us(both), borrowUs: us(borrow), returnUs: us(back) },
      waiting: {
        ops: waitOps,
        queueDepth: depth,
        handoffUs: us(handoff),
        opsPerSec: round(waitOps / (waitMs / 1000)),
      },
    };
    progress(
      `size ${size}: borrow+return p50 ${row.idle.borrowReturnUs.p50} µs p99 ${row.idle.borrowReturnUs.p99} µs; ` +
        `with ${depth} waiting: hand-off p50 ${row.waiting.handoffUs.p50} µs p99 ${row.waiting.handoffUs.p99} µs`,
    );
    return row;
  } finally {
    await pool.shutdown({ graceMs: 0 });
  }
}

runSection(async (context) => {
  const url = context.endpoints['ws-0']!.url;
  const sizes = context.quick ? [10, 100, 1_000] : [10, 100, 1_000, 10_000];
  const rows: PoolOpsRow[] = [];
  for (const size of sizes) rows.push(await measure(url, size, context.quick));
  return { rows };
});
