/**
 * Section 3: eager start (continue-task sent right after run-task) against waiting for
 * task-started, through the pool, at 0 and 20 ms link RTT.
 */
import { compare, type ContenderResult } from './lib/compare.js';
import { pooled } from './lib/contenders.js';
import { runSection } from './lib/section.js';

export interface EagerCell {
  rttMs: number;
  concurrency: number;
  contenders: Record<string, ContenderResult>;
}

runSection(async (context) => {
  const quick = context.quick;
  const cells: EagerCell[] = [];
  for (const [endpoint, rttMs] of [
    ['ws-0', 0],
    ['ws-20', 20],
  ] as const) {
    const url = context.endpoints[endpoint]!.url;
    for (const concurrency of quick ? [1] : [1, 10]) {
      const contenders = await compare(
        [pooled(url, 'eager on', { eagerStart: true }), pooled(url, 'eager off', { eagerStart: false })],
        {
          label: `eager rtt ${rttMs} ms c=${concurrency}`,
          concurrency,
          tasks: rttMs > 0 ? (quick ? 15 : 40) * concurrency : (quick ? 50 : 200) * Math.min(concurrency, 3),
          timeLimitMs: quick ? 1_000 : 2_500,
          rounds: quick ? 2 : 3,
        },
      );
      cells.push({ rttMs, concurrency, contenders });
    }
  }
  return { cells };
});
