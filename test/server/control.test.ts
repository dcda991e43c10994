import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../src/server/index.js';
import { createSelfSignedCertificate } from '../../src/server/self-signed.js';
import { connect, synthesize, type TestClient } from './helpers.js';

let server: LocalServer;
const clients: TestClient[] = [];
const auth = { authorization: 'Bearer sk-ctl' };

beforeAll(async () => {
  server = await startLocalServer({ engine: 'synthetic', apiKey: 'sk-ctl' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server.close();
});

function base(): string {
  return `http://127.0.0.1:${server.port}`;
}

async function op(body: unknown, headers: Record<string, string> = auth): Promise<Response> {
  return fetch(`${base()}/__local/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('control channel', () => {
  it('GET /__local/stats returns the counters as JSON', async () => {
    const client = await connect(server.url, { Authorization: 'Bearer sk-ctl' });
    clients.push(client);
    const { id } = await synthesize(client, ['统计。']);
    const res = await fetch(`${base()}/__local/stats`, { headers: auth });
    expect(res.status).toBe(200);
    const stats = (await res.json()) as {
      tasks: { finished: number };
      openConnections: number;
      bytesSentByTask: Record<string, number>;
    };
    expect(stats.tasks.finished).toBe(1);
    expect(stats.openConnections).toBe(1);
    expect(stats.bytesSentByTask[id]).toBe(client.audio().length);
  });

  it('requires the same Authorization as the WebSocket endpoint when a key is set', async () => {
    expect((await fetch(`${base()}/__local/stats`)).status).toBe(401);
    expect(
      (await fetch(`${base()}/__local/stats`, { headers: { authorization: 'Bearer nope' } })).status,
    ).toBe(401);
    expect((await op({ op: 'killAllConnections' }, {})).status).toBe(401);
  });

  it('POST /__local/faults injects faults, refuses upgrades and kills connections', async () => {
    let res = await op({ op: 'injectTaskFault', fault: 'throttle', count: 1 });
    expect(res.status).toBe(200);
    const client = await connect(server.url, { Authorization: 'Bearer sk-ctl' });
    clients.push(client);
    const { end } = await synthesize(client, ['限流。']);
    expect(end.header.error_code).toBe('Throttling.RateQuota');

    res = await op({ op: 'refuseUpgrades', status: 503 });
    expect(res.status).toBe(200);
    await expect(connect(server.url, { Authorization: 'Bearer sk-ctl' })).rejects.toMatchObject({
      status: 503,
    });
    await op({ op: 'refuseUpgrades', status: null });

    const victim = await connect(server.url, { Authorization: 'Bearer sk-ctl' });
    clients.push(victim);
    res = await op({ op: 'killAllConnections' });
    const killed = (await res.json()) as { ok: boolean; killed: number };
    expect(killed.ok).toBe(true);
    expect(killed.killed).toBeGreaterThanOrEqual(1);
    expect((await victim.closed).code).toBe(1006);

    const idle = await connect(server.url, { Authorization: 'Bearer sk-ctl' });
    clients.push(idle);
    res = await op({ op: 'closeIdleConnections' });
    expect(((await res.json()) as { closed: number }).closed).toBeGreaterThanOrEqual(1);
    expect((await idle.closed).code).toBe(1000);

    expect((await op({ op: 'setIdleTimeout', ms: 30_000 })).status).toBe(200);
    expect((await op({ op: 'setTaskFaultRate', fault: 'hang', probability: 0 })).status).toBe(200);
    expect((await op({ op: 'refuseConnections', durationMs: 0 })).status).toBe(200);
    const down = await connect(server.url, { Authorization: 'Bearer sk-ctl' });
    clients.push(down);
    res = await op({ op: 'refuseConnections', durationMs: 1, killExisting: true });
    expect(((await res.json()) as { killed: number }).killed).toBeGreaterThanOrEqual(1);
    expect((await down.closed).code).toBe(1006);
    expect((await op({ op: 'clearFaults' })).status).toBe(200);
  });

  it('answers 400 with a message for a bad operation', async () => {
    const res = await op({ op: 'explode' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/unknown op/);
    const bad = await op({ op: 'injectTaskFault', fault: 'nope' });
    expect(bad.status).toBe(400);
    const notJson = await fetch(`${base()}/__local/faults`, { method: 'POST', headers: auth, body: '{' });
    expect(notJson.status).toBe(400);
  });

  it('answers 404 JSON for unknown plain HTTP paths and 426 for a plain GET of the ws path', async () => {
    const res = await fetch(`${base()}/nothing/here`, { headers: auth });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('NotFound');
    expect((await fetch(`${base()}/api-ws/v1/inference`, { headers: auth })).status).toBe(426);
  });
});

describe('lifecycle', () => {
  it('close() is idempotent, terminates sockets and frees the port', async () => {
    const s = await startLocalServer({ engine: 'synthetic' });
    const client = await connect(s.url);
    const first = s.close();
    const second = s.close();
    expect(second).toBe(first);
    await first;
    expect((await client.closed).code).toBe(1006);
    await expect(fetch(`http://127.0.0.1:${s.port}/__local/stats`)).rejects.toThrow();
  });

  it('validates options with the option name in the message', async () => {
    await expect(startLocalServer({ port: -1 })).rejects.toThrow(/port/);
    await expect(startLocalServer({ engine: 'flite' as never })).rejects.toThrow(/engine/);
    await expect(startLocalServer({ idleTimeoutMs: 0 })).rejects.toThrow(/idleTimeoutMs/);
    await expect(startLocalServer({ pacing: { realTimeFactor: -1 } })).rejects.toThrow(/realTimeFactor/);
  });

  it('logs through the logger only', async () => {
    const lines: string[] = [];
    const s = await startLocalServer({ engine: 'synthetic', logger: (l) => lines.push(l) });
    await s.close();
    expect(lines.some((l) => l.includes('listening'))).toBe(true);
  });
});

describe('tls', () => {
  it.each([true, false])(
    'serves wss:// and https:// (certificate via openssl: %s)',
    async (preferOpenssl) => {
      const tls = createSelfSignedCertificate({ preferOpenssl });
      const s = await startLocalServer({ engine: 'synthetic', tls });
      try {
        expect(s.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/api-ws\/v1\/inference$/);
        expect(s.httpBaseUrl).toMatch(/^https:/);
        const { default: WebSocket } = await import('ws');
        const ws = new WebSocket(s.url, { headers: { Authorization: 'Bearer x' }, ca: tls.cert });
        const { TestClient } = await import('./helpers.js');
        await new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        });
        const client = new TestClient(ws);
        clients.push(client);
        const { end } = await synthesize(client, ['安全。']);
        expect(end.header.event).toBe('task-finished');
      } finally {
        await s.close();
      }
    },
  );
});
