import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import {
  AbortError,
  AcquireTimeoutError,
  AuthenticationError,
  ConnectionError,
  HandshakeError,
  InvalidOptionError,
  InvalidParameterError,
  InvalidStateError,
  PoolClosedError,
  PoolQueueFullError,
  TaskFailedError,
} from '../src/errors/index.js';
import { AudioFormat } from '../src/params.js';
import { SpeechSynthesizerObjectPool, type BorrowParams } from '../src/pool.js';
import type { PoolOptions } from '../src/pool-options.js';
import { SpeechSynthesizer } from '../src/synthesizer.js';
import { startLocalServer, type LocalServer } from '../src/server/index.js';

const KEY = 'sk-pool-test-0123456789abcdef';
const SENTENCE = 'Pooled connections make the first packet arrive sooner.';
const PARAMS: BorrowParams = {
  model: 'cosyvoice-v3-flash',
  voice: 'longanyang',
  format: AudioFormat.PCM_16000HZ_MONO_16BIT,
};

let server: LocalServer;
const pools: SpeechSynthesizerObjectPool[] = [];

beforeAll(async () => {
  server = await startLocalServer({ apiKey: KEY, engine: 'synthetic' });
});
afterEach(async () => {
  server.faults.clearFaults();
  await Promise.all(pools.splice(0).map((pool) => pool.shutdown({ graceMs: 0 })));
});
afterAll(() => server.close());

function makePool(options: PoolOptions = {}, target: LocalServer = server): SpeechSynthesizerObjectPool {
  const pool = new SpeechSynthesizerObjectPool({ url: target.url, apiKey: KEY, maxSize: 3, ...options });
  pools.push(pool);
  return pool;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('pre-open and reuse', () => {
  it('opens maxSize connections up front and runs many tasks over exactly those', async () => {
    const before = server.stats().connectionsAccepted;
    const pool = makePool({ maxSize: 4 });
    await pool.ready();
    expect(pool.stats()).toMatchObject({ maxSize: 4, size: 4, available: 4, borrowed: 0, pending: 0 });
    expect(server.stats().connectionsAccepted - before).toBe(4);

    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        pool.withSynthesizer(PARAMS, async (synth) => {
          const audio = await synth.call(`${SENTENCE} Number ${i}.`);
          return { audio: audio!, taskId: synth.getLastRequestId()! };
        }),
      ),
    );
    for (const { audio, taskId } of results) {
      expect(audio.length).toBe(server.stats().bytesSentByTask.get(taskId));
    }
    expect(server.stats().connectionsAccepted - before).toBe(4);
    const metrics = pool.metrics();
    expect(metrics.tasks).toMatchObject({ total: 40, finished: 40, failed: 0 });
    expect(metrics.connectionReuseRatio).toBe(1);
    expect(metrics.errorRate).toBe(0);
    expect(metrics.utilization.peak).toBe(1);
    expect(metrics.firstPacketDelayMs.count).toBe(40);
    expect(metrics.firstPacketDelayMs.p99).toBeGreaterThan(0);
    expect(metrics.borrowWaitMs.count).toBe(40);
  });

  it('binds each borrow to its own parameters and callback', async () => {
    const pool = makePool({ maxSize: 1 });
    const seen: string[] = [];
    server.events.on('client-message', onMessage);
    function onMessage(info: {
      action: string;
      message: { payload: { parameters?: { voice: string } } };
    }): void {
      if (info.action === 'run-task') seen.push(info.message.payload.parameters!.voice);
    }
    try {
      let chunks = 0;
      await pool.withSynthesizer(
        { ...PARAMS, voice: 'longxiaochun', callback: { onData: () => void chunks++ } },
        (s) => s.call(SENTENCE),
      );
      expect(chunks).toBeGreaterThan(0);
      const audio = await pool.withSynthesizer({ ...PARAMS, voice: 'longwan' }, (s) => s.call(SENTENCE));
      expect(Buffer.isBuffer(audio)).toBe(true);
      expect(seen).toEqual(['longxiaochun', 'longwan']);
    } finally {
      server.events.off('client-message', onMessage);
    }
  });

  it('refuses per-borrow connection settings and bad parameters with typed errors', async () => {
    const pool = makePool({ maxSize: 1 });
    const error = (await rejection(
      pool.borrowSynthesizer({ ...PARAMS, url: 'ws://elsewhere' } as BorrowParams),
    )) as InvalidParameterError;
    expect(error).toBeInstanceOf(InvalidParameterError);
    expect(error.parameter).toBe('url');
    expect(await rejection(pool.borrowSynthesizer({ ...PARAMS, volume: 300 }))).toBeInstanceOf(
      InvalidParameterError,
    );
    expect(pool.stats().borrowed).toBe(0);
  });
});

describe('returning', () => {
  it('keeps a cleanly finished synthesizer and removes the borrower listeners', async () => {
    const pool = makePool({ maxSize: 1 });
    const synth = await pool.borrowSynthesizer(PARAMS);
    let leaked = 0;
    synth.on('data', () => void leaked++);
    await synth.call(SENTENCE);
    const before = leaked;
    expect(await pool.returnSynthesizer(synth)).toBe(true);
    const again = await pool.borrowSynthesizer(PARAMS);
    expect(again).toBe(synth);
    await again.call(SENTENCE);
    expect(leaked).toBe(before);
    expect(await pool.returnSynthesizer(again)).toBe(true);
  });

  it('closes a failed synthesizer, returns false and opens a replacement', async () => {
    const pool = makePool({ maxSize: 2 });
    await pool.ready();
    const synth = await pool.borrowSynthesizer({ ...PARAMS, voice: 'no_such_voice' });
    expect(await rejection(synth.call(SENTENCE))).toBeInstanceOf(TaskFailedError);
    expect(await pool.returnSynthesizer(synth)).toBe(false);
    expect(synth.state).toBe('closed');
    await until(() => pool.stats().available === 2, 'the replacement is open');
    expect(pool.metrics().returns).toEqual({ kept: 0, discarded: 1 });
  });

  it('closes a synthesizer returned in the middle of a task (its task fails)', async () => {
    const pool = makePool({ maxSize: 1 });
    const synth = await pool.borrowSynthesizer(PARAMS);
    server.faults.injectTaskFault('hang');
    const task = rejection(synth.call(SENTENCE));
    await once(server.events, 'task-started');
    expect(await pool.returnSynthesizer(synth)).toBe(false);
    expect(await task).toBeInstanceOf(Error);
    await until(() => pool.stats().available === 1, 'the replacement is open');
  });

  it('refuses tasks on a synthesizer after it was returned, so borrowers never share a connection', async () => {
    const pool = makePool({ maxSize: 1 });
    const stale = await pool.borrowSynthesizer(PARAMS);
    expect(await pool.returnSynthesizer(stale)).toBe(true);
    const before = server.stats().messagesReceived;
    expect(await rejection(stale.call(SENTENCE))).toBeInstanceOf(InvalidStateError);
    expect(await rejection(stale.streamingCall(SENTENCE))).toBeInstanceOf(InvalidStateError);
    expect(server.stats().messagesReceived).toBe(before);
    // The next borrower gets the same object, now lent to it, and it works.
    const next = await pool.borrowSynthesizer(PARAMS);
    expect(next).toBe(stale);
    expect((await next.call(SENTENCE))!.length).toBeGreaterThan(0);
    await pool.returnSynthesizer(next);
  });

  it('returns false for a dead socket, a double return, a foreign synthesizer and after shutdown', async () => {
    const pool = makePool({ maxSize: 2 });
    await pool.ready();
    const dead = await pool.borrowSynthesizer(PARAMS);
    await dead.call(SENTENCE);
    server.faults.killAllConnections();
    await until(() => !dead.isConnected, 'the socket is dead');
    expect(await pool.returnSynthesizer(dead)).toBe(false);
    expect(await pool.returnSynthesizer(dead)).toBe(false);

    const foreign = new SpeechSynthesizer({ ...PARAMS, url: server.url, apiKey: KEY });
    expect(await pool.returnSynthesizer(foreign)).toBe(false);
    expect(foreign.state).toBe('idle'); // left alone
    await foreign.close();

    await until(() => pool.stats().available === 2, 'the pool healed');
    const late = await pool.borrowSynthesizer(PARAMS);
    await pool.shutdown({ graceMs: 0 });
    expect(await pool.returnSynthesizer(late)).toBe(false);
    expect(pool.stats().borrowed).toBe(0);
  });
});

describe('waiting borrowers', () => {
  it('serves waiters first come, first served', async () => {
    const pool = makePool({ maxSize: 1 });
    const holder = await pool.borrowSynthesizer(PARAMS);
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) =>
      pool.borrowSynthesizer(PARAMS).then(async (synth) => {
        order.push(n);
        await pool.returnSynthesizer(synth);
      }),
    );
    await until(() => pool.stats().pending === 3, 'three borrowers wait');
    await pool.returnSynthesizer(holder);
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
  });

  it('times out with AcquireTimeoutError, aborts with AbortError and refuses past maxWaitingClients', async () => {
    const pool = makePool({ maxSize: 1, maxWaitingClients: 1 });
    const holder = await pool.borrowSynthesizer(PARAMS);
    const timeout = (await rejection(
      pool.borrowSynthesizer(PARAMS, { timeoutMs: 100 }),
    )) as AcquireTimeoutError;
    expect(timeout).toBeInstanceOf(AcquireTimeoutError);
    expect(timeout.code).toBe('DS_ERR_POOL_ACQUIRE_TIMEOUT');

    const controller = new AbortController();
    const aborted = rejection(pool.borrowSynthesizer(PARAMS, { signal: controller.signal }));
    await until(() => pool.stats().pending === 1, 'one borrower waits');
    const full = (await rejection(pool.borrowSynthesizer(PARAMS))) as PoolQueueFullError;
    expect(full).toBeInstanceOf(PoolQueueFullError);
    expect(full.code).toBe('DS_ERR_POOL_QUEUE_FULL');
    controller.abort();
    expect(await aborted).toBeInstanceOf(AbortError);

    // The abandoned requests did not leak the synthesizer: it is lent again once returned.
    await pool.returnSynthesizer(holder);
    const next = await pool.borrowSynthesizer(PARAMS, { timeoutMs: 5_000 });
    expect(next).toBe(holder);
    await pool.returnSynthesizer(next);
  });

  it('tells a waiting borrower the real reason while the endpoint fails', async () => {
    const pool = makePool({ maxSize: 1, reconnectInitialDelayMs: 20, reconnectMaxDelayMs: 100 });
    await pool.ready();
    server.faults.refuseUpgrades(503);
    const failing = new Promise((resolve) => pool.once('connectError', resolve));
    server.faults.killAllConnections();
    await failing;
    const error = (await rejection(
      pool.borrowSynthesizer(PARAMS, { timeoutMs: 1_000 }),
    )) as AcquireTimeoutError;
    expect(error).toBeInstanceOf(AcquireTimeoutError);
    expect(error.cause).toBeInstanceOf(HandshakeError);
    expect(error.message).toContain('503');
  });
});

describe('authentication', () => {
  it('rejects ready() and every borrow with the AuthenticationError, without retrying', async () => {
    const before = server.stats().upgradesRejected;
    const pool = new SpeechSynthesizerObjectPool({
      url: server.url,
      apiKey: 'sk-wrong-key-000000000',
      maxSize: 3,
    });
    pools.push(pool);
    const error = (await rejection(pool.ready())) as AuthenticationError;
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.status).toBe(401);
    const borrowError = await rejection(pool.borrowSynthesizer(PARAMS));
    expect(borrowError).toBe(error);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // At most the initial parallel attempts: no retry storm after the refusal.
    expect(server.stats().upgradesRejected - before).toBeLessThanOrEqual(3);
    expect(JSON.stringify(pool.metrics())).not.toContain('sk-wrong-key');
  });
});

describe('self-healing', () => {
  it('backs off while the endpoint is down, then refills when it is back', async () => {
    const pool = makePool({ maxSize: 2, reconnectInitialDelayMs: 50, reconnectMaxDelayMs: 400 });
    await pool.ready();
    let attempts = 0;
    pool.on('connectError', () => void attempts++);
    server.faults.refuseConnections(1_500);
    server.faults.killAllConnections();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // A hot loop would make thousands of attempts in 1.5 s; back-off keeps it to a handful.
    expect(attempts).toBeGreaterThan(0);
    expect(attempts).toBeLessThan(40);
    await until(() => pool.stats().available === 2, 'the pool refilled');
    const audio = await pool.withSynthesizer(PARAMS, (s) => s.call(SENTENCE));
    expect(audio!.length).toBeGreaterThan(0);
  });

  it('replaces connections the server closes while idle', async () => {
    const pool = makePool({ maxSize: 3 });
    await pool.ready();
    server.faults.killAllConnections();
    await until(() => pool.metrics().connections.closed >= 3, 'the pool saw the closes');
    await until(() => pool.metrics().connections.created >= 6, 'replacements were opened');
    await until(() => pool.stats().available === 3, 'replacements are lendable');
    expect(server.stats().openConnections).toBe(3);
  });

  it('renews idle connections before the server idle-closes them, make-before-break', async () => {
    const idleServer = await startLocalServer({ engine: 'synthetic', idleTimeoutMs: 600 });
    try {
      const pool = makePool(
        { maxSize: 2, serverIdleTimeoutMs: 600, renewIdleAfterMs: 300, maintenanceIntervalMs: 50 },
        idleServer,
      );
      let renewals = 0;
      pool.on('renew', () => void renewals++);
      await pool.ready();
      await until(() => renewals >= 4, 'connections were renewed twice each');
      // Old sockets are closed, not leaked.
      await until(() => idleServer.stats().openConnections <= 2, 'old sockets closed');
      const audio = await pool.withSynthesizer(PARAMS, (s) => s.call(SENTENCE));
      expect(audio!.length).toBeGreaterThan(0);
    } finally {
      await Promise.all(pools.splice(0).map((p) => p.shutdown({ graceMs: 0 })));
      await idleServer.close();
    }
  });

  it('loses no task when the server idle-closes connections racing borrows', async () => {
    // The pool is told the server allows 60 s idle, but it closes after 100-300 ms: every task
    // may meet a socket the server is just closing. The retry before first audio absorbs that.
    const racy = await startLocalServer({ engine: 'synthetic', idleTimeoutMs: 150 });
    try {
      const pool = makePool({ maxSize: 4, reconnectInitialDelayMs: 10, reconnectMaxDelayMs: 50 }, racy);
      await pool.ready();
      let failures = 0;
      await Promise.all(
        Array.from({ length: 4 }, async (_, worker) => {
          for (let i = 0; i < 15; i += 1) {
            await new Promise((resolve) => setTimeout(resolve, 100 + ((worker * 37 + i * 53) % 120)));
            await pool
              .withSynthesizer(PARAMS, (s) => s.call(`${SENTENCE} ${worker}-${i}`), { timeoutMs: 10_000 })
              .catch(() => void failures++);
          }
        }),
      );
      expect(failures).toBe(0);
      expect(pool.metrics().tasks).toMatchObject({ total: 60, finished: 60, failed: 0 });
    } finally {
      await Promise.all(pools.splice(0).map((p) => p.shutdown({ graceMs: 0 })));
      await racy.close();
    }
  });

  it('finds half-open connections with ping and replaces them', async () => {
    // A peer that keeps the socket open but never answers pings: to the client it looks alive.
    const silent = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: false });
    await once(silent, 'listening');
    const { port } = silent.address() as { port: number };
    try {
      const pool = makePool({
        url: `ws://127.0.0.1:${port}/api-ws/v1/inference`,
        maxSize: 1,
        heartbeatIntervalMs: 100,
        pingTimeoutMs: 100,
        maintenanceIntervalMs: 50,
      });
      await pool.ready();
      await until(() => pool.metrics().connections.closed >= 2, 'half-open sockets were closed');
      expect(pool.metrics().connections.created).toBeGreaterThanOrEqual(2);
    } finally {
      await Promise.all(pools.splice(0).map((p) => p.shutdown({ graceMs: 0 })));
      for (const client of silent.clients) client.terminate();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('gives a connection killed mid-task to the caller as an error, and heals', async () => {
    const pool = makePool({ maxSize: 2 });
    await pool.ready();
    const error = await rejection(
      pool.withSynthesizer(PARAMS, (synth) => {
        server.faults.injectTaskFault('drop-mid-stream');
        return synth.call(`${SENTENCE} `.repeat(10));
      }),
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).audioReceived).toBe(true);
    await until(() => pool.stats().available === 2, 'the pool healed');
  });

  it('never has more sockets open than maxSize while connections churn', async () => {
    const pool = makePool({ maxSize: 3 });
    await pool.ready();
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, server.stats().openConnections)), 1);
    try {
      for (let round = 0; round < 5; round += 1) {
        const synths = await Promise.all([1, 2, 3].map(() => pool.borrowSynthesizer(PARAMS)));
        // Return them failed: each is closed and replaced.
        server.faults.injectTaskFault('fail-at-start', { count: 3 });
        await Promise.all(synths.map((s) => rejection(s.call(SENTENCE))));
        await Promise.all(synths.map((s) => pool.returnSynthesizer(s)));
      }
      await until(() => pool.stats().available === 3, 'the pool refilled');
    } finally {
      clearInterval(sampler);
    }
    expect(peak).toBeLessThanOrEqual(3);
  });
});

describe('withSynthesizer', () => {
  it('returns the synthesizer after a synchronous throw, a rejection and success', async () => {
    const pool = makePool({ maxSize: 1 });
    await expect(
      pool.withSynthesizer(PARAMS, () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(pool.withSynthesizer(PARAMS, () => Promise.reject(new Error('async')))).rejects.toThrow(
      'async',
    );
    expect(await pool.withSynthesizer(PARAMS, () => 42)).toBe(42);
    expect(pool.stats()).toMatchObject({ borrowed: 0, available: 1 });
    expect(pool.metrics().returns.kept).toBe(3);
  });

  it('cancels the running task on abort and keeps the connection', async () => {
    const pool = makePool({ maxSize: 1 });
    const controller = new AbortController();
    const error = await rejection(
      pool.withSynthesizer(
        PARAMS,
        async (synth) => {
          synth.once('data', () => controller.abort());
          await synth.streamingCall(`${SENTENCE} `.repeat(30));
          return synth.streamingComplete();
        },
        { signal: controller.signal },
      ),
    );
    expect(error).toBeInstanceOf(AbortError);
    expect(pool.stats()).toMatchObject({ borrowed: 0, available: 1 });
  });
});

describe('rate limit', () => {
  it('starts no more tasks per second than maxTasksPerSecond', async () => {
    const pool = makePool({ maxSize: 4, maxTasksPerSecond: 10 });
    await pool.ready();
    const started = performance.now();
    await Promise.all(Array.from({ length: 20 }, () => pool.withSynthesizer(PARAMS, (s) => s.call('Hi.'))));
    // 10 tokens up front, then 10 more at 10 per second: at least ~1 s, however fast the machine.
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
  });
});

describe('shutdown', () => {
  it('rejects waiters, lets running tasks finish within the grace period, and closes every socket', async () => {
    const pool = makePool({ maxSize: 2 });
    await pool.ready();
    const busy = await pool.borrowSynthesizer(PARAMS);
    const other = await pool.borrowSynthesizer(PARAMS);
    const waiter = rejection(pool.borrowSynthesizer(PARAMS));
    const running = busy.call(`${SENTENCE} `.repeat(3));
    const shutdown = pool.shutdown({ graceMs: 10_000 });
    expect(await waiter).toBeInstanceOf(PoolClosedError);
    expect(await rejection(pool.borrowSynthesizer(PARAMS))).toBeInstanceOf(PoolClosedError);
    expect((await running)!.length).toBeGreaterThan(0);
    await pool.returnSynthesizer(busy);
    await pool.returnSynthesizer(other);
    await shutdown;
    await pool.shutdown(); // idempotent
    await until(() => server.stats().openConnections === 0, 'every socket is closed', 5_000);
    expect(pool.stats()).toMatchObject({ size: 0, borrowed: 0, pending: 0 });
  });

  it('closes borrowed sockets when the grace period ends', async () => {
    const pool = makePool({ maxSize: 1 });
    const synth = await pool.borrowSynthesizer(PARAMS);
    server.faults.injectTaskFault('hang');
    const task = rejection(synth.call(SENTENCE));
    await once(server.events, 'task-started');
    await pool.shutdown({ graceMs: 100 });
    expect(await task).toBeInstanceOf(Error);
    expect(synth.state).toBe('closed');
    await until(() => server.stats().openConnections === 0, 'every socket is closed', 5_000);
  });

  it('leaves no timer and no socket behind after shutdown, even with waiters and failing connects', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    const pool = makePool({ maxSize: 2, maxTasksPerSecond: 5, reconnectInitialDelayMs: 50 });
    await pool.ready();
    await pool.withSynthesizer(PARAMS, (s) => s.call(SENTENCE));
    const holders = await Promise.all([pool.borrowSynthesizer(PARAMS), pool.borrowSynthesizer(PARAMS)]);
    // A waiter, a return racing the shutdown, and reconnects failing with 503.
    const waiter = pool.borrowSynthesizer(PARAMS, { timeoutMs: 60_000 }).then(
      (synth) => pool.returnSynthesizer(synth),
      (error: unknown) => error,
    );
    server.faults.refuseUpgrades(503);
    await pool.returnSynthesizer(holders[0]);
    await pool.shutdown({ graceMs: 0 });
    await waiter;
    expect(holders.every((synth) => synth.state === 'closed')).toBe(true);
    expect(timers()).toBeLessThanOrEqual(before);
    await until(() => server.stats().openConnections === 0, 'every socket is closed', 5_000);
  });

  it('lets a process that shuts its pool down exit by itself', async () => {
    const script = fileURLToPath(new URL('./fixtures/pool-exit.ts', import.meta.url));
    const tsx = new URL('../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
    const child = spawn(process.execPath, ['--import', tsx, script, server.url, KEY], { stdio: 'pipe' });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearTimeout(timer);
    expect({ code, signal, output }).toMatchObject({ code: 0, signal: null });
    expect(output).toContain('audio bytes');
  });
});

describe('options', () => {
  it.each([
    ['maxSize', { maxSize: 0 }],
    ['maxSize', { maxSize: 2.5 }],
    ['acquireTimeoutMs', { acquireTimeoutMs: 0 }],
    ['acquireTimeoutMs', { acquireTimeoutMs: -1 }],
    ['renewIdleAfterMs', { renewIdleAfterMs: 59_000 }],
    ['maxWaitingClients', { maxWaitingClients: -1 }],
    ['connectConcurrency', { connectConcurrency: 0 }],
    ['reconnectMaxDelayMs', { reconnectInitialDelayMs: 500, reconnectMaxDelayMs: 100 }],
  ] as const)('names the bad option %s', (option, options) => {
    let caught: unknown;
    try {
      new SpeechSynthesizerObjectPool({ url: server.url, apiKey: KEY, preOpen: false, ...options });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidOptionError);
    expect((caught as InvalidOptionError).option).toBe(option);
    expect((caught as InvalidOptionError).message).toContain('invalid');
  });

  it('takes its size from COSYVOICE_OBJECTPOOL_SIZE and its key from DASHSCOPE_API_KEY', async () => {
    const saved = { ...process.env };
    process.env.COSYVOICE_OBJECTPOOL_SIZE = '2';
    process.env.DASHSCOPE_API_KEY = KEY;
    process.env.DASHSCOPE_WEBSOCKET_BASE_URL = server.url;
    try {
      const pool = new SpeechSynthesizerObjectPool();
      pools.push(pool);
      await pool.ready();
      expect(pool.stats()).toMatchObject({ maxSize: 2, available: 2 });
    } finally {
      process.env = saved;
    }
  });
});
