/**
 * Side-by-side measurement of contenders in one setting: all are set up, then every round runs
 * each contender's batch in a rotated order (so that a noisy neighbour hits all of them alike).
 * Round 0 is a warm-up and is discarded.
 */
import type { Contender } from './contenders.js';
import { errorCount, runLoad } from './load.js';
import { progress } from './section.js';
import { median, round, roundSummary, summarize, type Summary } from './stats.js';

export interface CompareOptions {
  label: string;
  concurrency: number;
  tasks: number;
  timeLimitMs: number;
  /** Measured rounds (after the warm-up). */
  rounds: number;
  /** Stop adding measured rounds (keeping at least one) once this `performance.now()` is passed. */
  softDeadline?: number;
}

export interface ContenderResult {
  firstPacketMs: Summary;
  /** Median over the measured rounds. */
  tasksPerSec: number;
  tasksPerSecRounds: number[];
  rounds: number;
  ok: number;
  errors: Record<string, number>;
  hung: number;
}

export async function compare(
  contenders: Contender[],
  options: CompareOptions,
): Promise<Record<string, ContenderResult>> {
  const samples = new Map<string, number[]>();
  const rates = new Map<string, number[]>();
  const totals = new Map<string, { ok: number; errors: Record<string, number>; hung: number }>();
  for (const c of contenders) {
    samples.set(c.name, []);
    rates.set(c.name, []);
    totals.set(c.name, { ok: 0, errors: {}, hung: 0 });
  }
  const ready: Contender[] = [];
  try {
    for (const contender of contenders) {
      await contender.setup(options.concurrency);
      ready.push(contender);
    }
    for (let r = 0; r <= options.rounds; r++) {
      if (r > 1 && options.softDeadline !== undefined && performance.now() > options.softDeadline) {
        progress(`${options.label}: time budget reached after ${r - 1} measured round(s)`);
        break;
      }
      const order = contenders.map((_, i) => contenders[(i + r) % contenders.length]!);
      const line: string[] = [];
      for (const contender of order) {
        const result = await runLoad({
          tasks: options.tasks,
          concurrency: options.concurrency,
          timeLimitMs: options.timeLimitMs,
          graceMs: 30_000,
          run: (worker) => contender.run(worker),
        });
        const p50 = summarize(result.firstPacketMs).p50;
        line.push(`${contender.name} ${result.tasksPerSec.toFixed(0)}/s p50 ${p50.toFixed(1)}ms`);
        const errors = errorCount(result);
        if (errors > 0) line.push(`(${errors} errors: ${JSON.stringify(result.errors)})`);
        if (r === 0) continue;
        samples.get(contender.name)!.push(...result.firstPacketMs);
        rates.get(contender.name)!.push(result.tasksPerSec);
        const total = totals.get(contender.name)!;
        total.ok += result.ok;
        total.hung += result.hung;
        for (const [name, n] of Object.entries(result.errors))
          total.errors[name] = (total.errors[name] ?? 0) + n;
      }
      progress(
        `${options.label} ${r === 0 ? 'warm-up' : `round ${r}/${options.rounds}`}: ${line.join(' · ')}`,
      );
    }
  } finally {
    for (const contender of ready) await contender.teardown();
  }
  const out: Record<string, ContenderResult> = {};
  for (const c of contenders) {
    const rounds = rates.get(c.name)!;
    const total = totals.get(c.name)!;
    const summary = summarize(samples.get(c.name)!);
    out[c.name] = {
      firstPacketMs: roundSummary(summary),
      tasksPerSec: round(median(rounds)),
      tasksPerSecRounds: rounds.map(round),
      rounds: rounds.length,
      ...total,
    };
  }
  return out;
}
