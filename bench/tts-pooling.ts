/**
 * Sections 1 and 2: pooled library vs a fresh connection per task vs the bare `ws` exchange on
 * persistent sockets, at several concurrencies, over ws:// and wss://, at 0 and 20 ms link RTT.
 * Run through `npm run bench` (this file is a child of bench/run-all.ts).
 */
import { compare, type ContenderResult } from './lib/compare.js';
import { bare, fresh, pooled, TEXT } from './lib/contenders.js';
import { elapsed, runSection } from './lib/section.js';

export interface PoolingCell {
  transport: 'ws' | 'wss';
  rttMs: number;
  concurrency: number;
  tasksPerBatch: number;
  contenders: Record<string, ContenderResult>;
}

export const POOLING_LINKS = [
  { endpoint: 'ws-0', transport: 'ws', rttMs: 0 },
  { endpoint: 'ws-20', transport: 'ws', rttMs: 20 },
  { endpoint: 'wss-0', transport: 'wss', rttMs: 0 },
  { endpoint: 'wss-20', transport: 'wss', rttMs: 20 },
] as const;

function tasksPerBatch(quick: boolean, concurrency: number, rttMs: number): number {
  if (concurrency === 1) return rttMs > 0 ? (quick ? 12 : 25) : quick ? 40 : 100;
  if (concurrency === 10) return rttMs > 0 ? (quick ? 60 : 200) : quick ? 150 : 400;
  if (concurrency === 100) return quick ? 300 : 1000;
  return 1500;
}

runSection(async (context) => {
  const quick = context.quick;
  const concurrencies = quick ? [1, 10, 100] : [1, 10, 100, 1000];
  const links = POOLING_LINKS.filter((link) => context.endpoints[link.endpoint]);
  const cells: PoolingCell[] = [];
  const total = links.length * concurrencies.length;
  for (const link of links) {
    const url = context.endpoints[link.endpoint]!.url;
    for (const concurrency of concurrencies) {
      // Spread what is left of the budget over the cells still to run.
      const left = total - cells.length;
      const softDeadline = performance.now() + (context.budgetMs - elapsed()) / left;
      const tasks = tasksPerBatch(quick, concurrency, link.rttMs);
      const contenders = await compare([pooled(url), fresh(url), bare(url)], {
        label: `${link.transport}:// rtt ${link.rttMs} ms c=${concurrency}`,
        concurrency,
        tasks,
        timeLimitMs: quick ? 1_500 : 3_000,
        rounds: quick ? 1 : 3,
        softDeadline,
      });
      cells.push({
        transport: link.transport,
        rttMs: link.rttMs,
        concurrency,
        tasksPerBatch: tasks,
        contenders,
      });
    }
  }
  return {
    text: TEXT,
    format: 'pcm 16 kHz',
    linkModel:
      'RTT > 0: a TCP proxy delays each direction by RTT/2 and holds the first client bytes one extra RTT (TCP handshake)',
    cells,
  };
});
