import * as promClient from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError, TaskFailedError } from '../src/errors/index.js';
import { SpeechSynthesizerObjectPool } from '../src/pool/object-pool.js';
import { registerPoolMetrics } from '../src/prometheus.js';
import { startLocalServer, type LocalServer } from '../src/server/index.js';
import type { TaskMetrics } from '../src/synthesizer/task-metrics.js';

let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer({ engine: 'synthetic' });
});
afterAll(() => server.close());

const params = { model: 'cosyvoice-v3-flash', voice: 'longanyang' };

function newPool(maxSize = 2): SpeechSynthesizerObjectPool {
  return new SpeechSynthesizerObjectPool({ url: server.url, apiKey: 'k', maxSize });
}

/** The value of one series in a scrape, or undefined when it is absent. */
function value(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

describe('registerPoolMetrics', () => {
  it('exports counters, gauges and histograms per pool, and two pools share one registry', async () => {
    const a = newPool(2);
    const b = newPool(1);
    try {
      const registry = new promClient.Registry();
      registerPoolMetrics(a, promClient, { registry, prefix: 'tts_', name: 'a' });
      registerPoolMetrics(b, promClient, { registry, prefix: 'tts_', name: 'b' });
      await Promise.all([a.ready(), b.ready()]);
      for (let i = 0; i < 3; i += 1) await a.withSynthesizer(params, (s) => s.call('Hello.'));
      await b.withSynthesizer(params, (s) => s.call('你好。'));

      const text = await registry.metrics();
      expect(value(text, 'tts_tasks_total{pool="a",outcome="finished"}')).toBe(3);
      expect(value(text, 'tts_tasks_total{pool="a",outcome="failed"}')).toBe(0);
      expect(value(text, 'tts_tasks_total{pool="b",outcome="finished"}')).toBe(1);
      expect(value(text, 'tts_tasks_reused_connection_total{pool="a"}')).toBe(3);
      expect(value(text, 'tts_borrows_total{pool="a"}')).toBe(3);
      expect(value(text, 'tts_returns_total{pool="a",result="kept"}')).toBe(3);
      expect(value(text, 'tts_connections_created_total{pool="a"}')).toBe(2);
      expect(value(text, 'tts_connections_created_total{pool="b"}')).toBe(1);
      expect(value(text, 'tts_pool_synthesizers{pool="a",state="available"}')).toBe(2);
      expect(value(text, 'tts_pool_synthesizers{pool="a",state="borrowed"}')).toBe(0);
      expect(value(text, 'tts_pool_max_size{pool="b"}')).toBe(1);
      expect(value(text, 'tts_pool_peak_utilization_ratio{pool="b"}')).toBe(1);
      expect(value(text, 'tts_borrow_wait_seconds_count{pool="a"}')).toBe(3);
      expect(value(text, 'tts_borrow_wait_seconds_count{pool="b"}')).toBe(1);
      expect(value(text, 'tts_borrow_wait_seconds_bucket{le="+Inf",pool="a"}')).toBe(3);

      // Prometheus' conventions: counters end in _total, latencies are histograms in seconds.
      const types = new Map(
        [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!] as [string, string]),
      );
      expect(types.size).toBe(20);
      expect(value(text, 'tts_borrows_abandoned_total{pool="a"}')).toBe(0);
      for (const [name, type] of types) {
        expect(name.endsWith('_total'), name).toBe(type === 'counter');
        expect(name.endsWith('_seconds'), name).toBe(type === 'histogram');
      }
    } finally {
      await Promise.all([a.shutdown(), b.shutdown()]);
    }
  });

  it('observes the first-packet delay and duration of every task run through the pool', async () => {
    const pool = newPool(1);
    try {
      const registry = new promClient.Registry();
      registerPoolMetrics(pool, promClient, { registry });
      const ended: TaskMetrics[] = [];
      pool.on('task', (m) => ended.push(m));
      await pool.ready();
      for (let i = 0; i < 3; i += 1) await pool.withSynthesizer(params, (s) => s.call('Hello there.'));
      // The server refuses an unknown voice before any audio: no first packet, not a finished task.
      await expect(
        pool.withSynthesizer({ ...params, voice: 'longnobody' }, (s) => s.call('Hello.')),
      ).rejects.toThrow(TaskFailedError);

      expect(ended.map((m) => m.outcome)).toEqual(['finished', 'finished', 'finished', 'failed']);
      const finished = ended.slice(0, 3);
      const seconds = (ms: number | undefined): number => (ms ?? Number.NaN) / 1000;
      const text = await registry.metrics();
      const first = 'dashscope_tts_first_packet_delay_seconds';
      expect(value(text, `${first}_count{pool="default"}`)).toBe(3);
      expect(value(text, `${first}_bucket{le="+Inf",pool="default"}`)).toBe(3);
      expect(value(text, `${first}_sum{pool="default"}`)).toBeCloseTo(
        finished.reduce((sum, m) => sum + seconds(m.firstPackageDelayMs), 0),
        6,
      );
      const duration = 'dashscope_tts_task_duration_seconds';
      expect(value(text, `${duration}_count{pool="default"}`)).toBe(3);
      expect(value(text, `${duration}_sum{pool="default"}`)).toBeCloseTo(
        finished.reduce((sum, m) => sum + seconds(m.totalMs), 0),
        6,
      );
      // The histograms agree with the pool's own counters.
      expect(pool.metrics().firstPacketDelayMs.count).toBe(3);
      expect(pool.metrics().endToEndMs.count).toBe(3);
    } finally {
      await pool.shutdown();
    }
  });

  it('refuses a second pool of the same name and a name taken by another metric, with typed errors', async () => {
    const pool = newPool(1);
    try {
      const registry = new promClient.Registry();
      registerPoolMetrics(pool, promClient, { registry, name: 'x' });
      expect(() => registerPoolMetrics(pool, promClient, { registry, name: 'x' })).toThrow(
        InvalidOptionError,
      );
      expect(() => registerPoolMetrics(pool, promClient, { registry, name: 'x' })).toThrow(/name option/);
      new promClient.Gauge({ name: 'other_pool_size', help: 'not ours', registers: [registry] });
      expect(() => registerPoolMetrics(pool, promClient, { registry, prefix: 'other_' })).toThrow(
        /other_pool_size is already registered/,
      );
      expect(() => registerPoolMetrics(pool, promClient, { registry, prefix: '9x' })).toThrow(
        InvalidOptionError,
      );
      // The failed attempts registered nothing with the prefix.
      expect(registry.getSingleMetric('other_tasks_total')).toBeUndefined();
    } finally {
      await pool.shutdown();
    }
  });

  it('unregisters a pool, and re-registers after the registry was cleared', async () => {
    const pool = newPool(1);
    try {
      const registry = new promClient.Registry();
      const unregister = registerPoolMetrics(pool, promClient, { registry, name: 'p' });
      await pool.ready();
      expect(await registry.metrics()).toContain('dashscope_tts_pool_size{pool="p"} 1');
      unregister();
      const after = await registry.metrics();
      expect(after).not.toContain('pool="p"');
      registerPoolMetrics(pool, promClient, { registry, name: 'p' });
      expect(await registry.metrics()).toContain('dashscope_tts_pool_size{pool="p"} 1');
      registry.clear();
      registerPoolMetrics(pool, promClient, { registry, name: 'p' });
      expect(await registry.metrics()).toContain('dashscope_tts_pool_size{pool="p"} 1');
    } finally {
      await pool.shutdown();
    }
  });
});
