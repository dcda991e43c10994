import * as promClient from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpeechSynthesizerObjectPool } from '../src/pool/object-pool.js';
import { registerPoolMetrics } from '../src/prometheus.js';
import { startLocalServer, type LocalServer } from '../src/server/index.js';

let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer({ engine: 'synthetic' });
});
afterAll(() => server.close());

describe('registerPoolMetrics', () => {
  it('exports pool state, ratios, counts and latency quantiles on scrape', async () => {
    const pool = new SpeechSynthesizerObjectPool({ url: server.url, apiKey: 'k', maxSize: 2 });
    try {
      const registry = new promClient.Registry();
      registerPoolMetrics(pool, promClient, { registry, prefix: 'tts_' });
      await pool.ready();
      for (let i = 0; i < 3; i += 1) {
        await pool.withSynthesizer({ model: 'cosyvoice-v3-flash', voice: 'longanyang' }, (s) =>
          s.call('Hello.'),
        );
      }
      const text = await registry.metrics();
      expect(text).toContain('tts_pool_synthesizers{state="available"} 2');
      expect(text).toContain('tts_pool_max_size 2');
      expect(text).toContain('tts_tasks{outcome="finished"} 3');
      expect(text).toContain('tts_connection_reuse_ratio 1');
      expect(text).toContain('tts_task_error_ratio 0');
      expect(text).toMatch(/tts_first_packet_delay_seconds\{quantile="0\.99"\} [0-9.e-]+/);
      expect(text).toContain('tts_connections{event="created"} 2');
    } finally {
      await pool.shutdown();
    }
  });
});
