/**
 * examples/grafana-dashboard.json may only query what the Prometheus export produces: every
 * metric name, and every label value it matches literally, must appear in a real scrape.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import * as promClient from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpeechSynthesizerObjectPool } from '../src/pool/object-pool.js';
import { registerPoolMetrics } from '../src/prometheus.js';
import { createRedisQuota } from '../src/redis/index.js';
import { startLocalServer, type LocalServer } from '../src/server/index.js';
import { startRedisServer, type RedisServer } from './redis/redis-server.js';

const root = resolve(import.meta.dirname, '..');

interface Target {
  expr: string;
}
interface Panel {
  title: string;
  targets?: Target[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: Array<{ name: string; query?: unknown; definition?: string }> };
}

const dashboard = JSON.parse(
  readFileSync(join(root, 'examples', 'grafana-dashboard.json'), 'utf8'),
) as Dashboard;

/** Every PromQL expression of the dashboard: panel targets and template queries. */
function expressions(): string[] {
  const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((t) => t.expr));
  for (const variable of dashboard.templating.list) {
    if (variable.definition) exprs.push(variable.definition);
  }
  return exprs;
}

/** Sample lines of a scrape as name and labels. */
function samples(text: string): Array<{ name: string; labels: Record<string, string> }> {
  const out: Array<{ name: string; labels: Record<string, string> }> = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? /.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[pair[1]!] = pair[2]!;
    out.push({ name: match[1]!, labels });
  }
  return out;
}

let server: LocalServer;
let redisServer: RedisServer;
let scrape: ReturnType<typeof samples>;
beforeAll(async () => {
  [server, redisServer] = await Promise.all([startLocalServer({ engine: 'synthetic' }), startRedisServer()]);
  // A pool with a fleet quota, so that the scrape has the quota's series as well.
  const redis = new Redis(redisServer.port, '127.0.0.1');
  const quota = createRedisQuota({ redis, key: `dashboard-${process.pid}`, maxConcurrentTasks: 2 });
  const pool = new SpeechSynthesizerObjectPool({ url: server.url, apiKey: 'k', maxSize: 1, quota });
  try {
    const registry = new promClient.Registry();
    registerPoolMetrics(pool, promClient, { registry });
    await pool.ready();
    await pool.withSynthesizer({ model: 'cosyvoice-v3-flash', voice: 'longanyang' }, (s) =>
      s.call('Counted.'),
    );
    scrape = samples(await registry.metrics());
  } finally {
    await pool.shutdown();
    await quota.close();
    redis.disconnect();
  }
});
afterAll(() => Promise.all([server?.close(), redisServer?.dispose()]));

describe('the Grafana dashboard', () => {
  it('has panels for first-packet delay, error rate and pool utilization, each with a query', () => {
    const titles = dashboard.panels.map((panel) => panel.title);
    expect(titles).toEqual(
      expect.arrayContaining(['First-packet delay', 'Task error rate', 'Pool utilization']),
    );
    for (const panel of dashboard.panels) expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
  });

  it('queries only series the export produces, with label values it produces', () => {
    const names = new Set(scrape.map((s) => s.name));
    const queried = new Set<string>();
    for (const expr of expressions()) {
      for (const selector of expr.matchAll(/\b(dashscope_tts_\w+)(?:\{([^}]*)\})?/g)) {
        const name = selector[1]!;
        queried.add(name);
        expect(names.has(name), `${name} in: ${expr}`).toBe(true);
        for (const matcher of (selector[2] ?? '').matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)) {
          const [, label, op, value] = matcher;
          if (value!.startsWith('$')) continue; // a dashboard variable
          expect(op, `${name}{${label}${op}"${value}"}: literal matchers only`).toBe('=');
          const found = scrape.some((s) => s.name === name && s.labels[label!] === value);
          expect(found, `${name}{${label}="${value}"} in: ${expr}`).toBe(true);
        }
      }
    }
    // The three DashScope asks: first-packet delay, error rate, pool utilization.
    expect(queried).toContain('dashscope_tts_first_packet_delay_seconds_bucket');
    expect(queried).toContain('dashscope_tts_tasks_total');
    expect(queried).toContain('dashscope_tts_pool_synthesizers');
  });

  it('groups and filters by labels the series carry', () => {
    const labels = new Set(scrape.flatMap((s) => Object.keys(s.labels)));
    for (const expr of expressions()) {
      for (const by of expr.matchAll(/\bby \(([^)]*)\)/g)) {
        for (const label of by[1]!.split(',').map((l) => l.trim())) {
          expect(labels.has(label), `${label} in: ${expr}`).toBe(true);
        }
      }
    }
  });
});
