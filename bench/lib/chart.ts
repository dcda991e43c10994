/**
 * The SVG chart: first-packet delay percentiles against concurrency for pooled, fresh and bare,
 * one panel per link. vega + vega-lite render it without a canvas (dev dependencies only).
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { ContenderResult } from './compare.js';

interface Cell {
  transport: string;
  rttMs: number;
  concurrency: number;
  contenders: Record<string, ContenderResult>;
}

export async function renderFirstPacketChart(cells: Cell[]): Promise<string> {
  const values = cells.flatMap((cell) =>
    Object.entries(cell.contenders).flatMap(([contender, result]) =>
      (['p50', 'p95', 'p99'] as const)
        .filter((p) => Number.isFinite(result.firstPacketMs[p]))
        .map((p) => ({
          link: `${cell.transport}:// RTT ${cell.rttMs} ms`,
          concurrency: cell.concurrency,
          contender,
          percentile: p,
          // A log axis cannot show 0; sub-0.01 ms never happens over a socket anyway.
          ms: Math.max(0.01, result.firstPacketMs[p]),
        })),
    ),
  );
  const spec: vl.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'First-packet delay vs concurrency (local server, synthetic engine)',
    data: { values },
    facet: { field: 'link', type: 'nominal', title: null, sort: ['ws:// RTT 0 ms', 'ws:// RTT 20 ms'] },
    columns: 2,
    spec: {
      width: 320,
      height: 220,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'concurrency', type: 'quantitative', scale: { type: 'log' }, title: 'concurrency' },
        y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'first packet (ms, log)' },
        color: { field: 'contender', type: 'nominal', scale: { domain: ['pooled', 'fresh', 'bare'] } },
        strokeDash: { field: 'percentile', type: 'nominal', scale: { domain: ['p50', 'p95', 'p99'] } },
        shape: { field: 'percentile', type: 'nominal', scale: { domain: ['p50', 'p95', 'p99'] } },
        tooltip: [{ field: 'contender' }, { field: 'percentile' }, { field: 'concurrency' }, { field: 'ms' }],
      },
    },
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
