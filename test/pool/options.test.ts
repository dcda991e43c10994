/** The pool's options: validation that names the option, and the environment. */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, MissingApiKeyError } from '../../src/errors/index.js';
import { SpeechSynthesizerObjectPool } from '../../src/pool/object-pool.js';
import { KEY, pools, server, usePoolServer } from './helpers.js';

usePoolServer();

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
    ['maxTasksPerSecond', { maxTasksPerSecond: 0 }],
    ['maxTasksPerSecond', { maxTasksPerSecond: -5 }],
    ['maxTasksPerSecond', { maxTasksPerSecond: Number.POSITIVE_INFINITY }],
    ['url', { url: 'http://127.0.0.1:1/not-a-websocket' }],
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

  it('validates maxTasksPerSecond as a rate, not a duration, and takes fractions', () => {
    let caught: unknown;
    try {
      new SpeechSynthesizerObjectPool({ url: server.url, apiKey: KEY, preOpen: false, maxTasksPerSecond: 0 });
    } catch (error) {
      caught = error;
    }
    expect((caught as InvalidOptionError).message).toContain('tasks per second');
    expect((caught as InvalidOptionError).message).not.toContain('milliseconds');
    // A rate, so one task every two seconds is fine.
    const make = (): void =>
      void pools.push(
        new SpeechSynthesizerObjectPool({
          url: server.url,
          apiKey: KEY,
          preOpen: false,
          maxTasksPerSecond: 0.5,
        }),
      );
    expect(make).not.toThrow();
  });

  it('refuses a missing key in the constructor, before any connection is tried', () => {
    const saved = { ...process.env };
    delete process.env.DASHSCOPE_API_KEY;
    const before = server.stats().connectionsAccepted;
    try {
      expect(() => new SpeechSynthesizerObjectPool({ url: server.url, maxSize: 1 })).toThrow(
        MissingApiKeyError,
      );
    } finally {
      process.env = saved;
    }
    expect(server.stats().connectionsAccepted).toBe(before);
  });
});
