/**
 * The live panel: renders each server-sent snapshot (pool stats(), metrics(), the speech
 * server's counters and the recent tasks) into the tables and the chart.
 */
import { drawChart } from './chart.js';

const ms = (value) => `${Math.round(value)} ms`;
const percent = (value) => `${Math.round(value * 100)} %`;

function fillTable(table, caption, rows) {
  const body = document.createElement('tbody');
  for (const [label, value] of rows) {
    const row = document.createElement('tr');
    const head = document.createElement('th');
    head.scope = 'row';
    head.textContent = label;
    const cell = document.createElement('td');
    cell.textContent = String(value);
    row.append(head, cell);
    body.append(row);
  }
  const title = document.createElement('caption');
  title.textContent = caption;
  table.replaceChildren(title, body);
}

/** Renders one snapshot. */
export function renderSnapshot(snapshot) {
  const { stats, metrics, server, speeches } = snapshot;
  fillTable(document.getElementById('stats'), 'pool.stats()', [
    ['size', `${stats.size} of ${stats.maxSize}`],
    ['available', stats.available],
    ['borrowed', stats.borrowed],
    ['pending', stats.pending],
    ['connecting', stats.connecting],
  ]);
  const latency = metrics.firstPacketDelayMs;
  fillTable(document.getElementById('metrics'), 'pool.metrics()', [
    [
      'tasks',
      `${metrics.tasks.total} (${metrics.tasks.finished} finished, ${metrics.tasks.cancelled} cancelled, ${metrics.tasks.failed} failed)`,
    ],
    ['first packet p50 / p95', latency.count ? `${ms(latency.p50)} / ${ms(latency.p95)}` : '–'],
    ['end to end p50', metrics.endToEndMs.count ? ms(metrics.endToEndMs.p50) : '–'],
    ['borrow wait p95', metrics.borrowWaitMs.count ? ms(metrics.borrowWaitMs.p95) : '–'],
    ['connection reuse', percent(metrics.connectionReuseRatio)],
    [
      'utilization now / peak',
      `${percent(metrics.utilization.current)} / ${percent(metrics.utilization.peak)}`,
    ],
    ['connections open / created', `${metrics.connections.open} / ${metrics.connections.created}`],
  ]);
  const serverTable = document.getElementById('server');
  serverTable.hidden = !server;
  if (server) {
    fillTable(serverTable, 'speech server', [
      ['open connections', server.openConnections],
      ['tasks active', server.tasks.active],
      [
        'tasks ended',
        `${server.tasks.finished} finished, ${server.tasks.cancelled} cancelled, ${server.tasks.failed} failed, ${server.tasks.aborted} aborted`,
      ],
    ]);
  }
  drawChart(document.getElementById('chart'), speeches);
}
