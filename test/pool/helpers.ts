/**
 * A real local server for the pool tests, and the pools each test made (shut down after it).
 * Call {@link usePoolServer} once at the top of a test file; `server` is then live in its tests.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { AudioFormat } from '../../src/params.js';
import { SpeechSynthesizerObjectPool, type BorrowParams } from '../../src/pool/object-pool.js';
import type { PoolOptions } from '../../src/pool/options.js';
import { startLocalServer, type LocalServer } from '../../src/server/index.js';

export const KEY = 'sk-pool-test-0123456789abcdef';
export const SENTENCE = 'Pooled connections make the first packet arrive sooner.';
export const PARAMS: BorrowParams = {
  model: 'cosyvoice-v3-flash',
  voice: 'longanyang',
  format: AudioFormat.PCM_16000HZ_MONO_16BIT,
};

/** The file's local server (set by {@link usePoolServer}'s beforeAll). */
export let server: LocalServer;
/** Pools made in the running test; shut down after it. */
export const pools: SpeechSynthesizerObjectPool[] = [];

/** Starts the local server for the file, and shuts each test's pools down and clears faults after it. */
export function usePoolServer(): void {
  beforeAll(async () => {
    server = await startLocalServer({ apiKey: KEY, engine: 'synthetic' });
  });
  afterEach(async () => {
    server.faults.clearFaults();
    await Promise.all(pools.splice(0).map((pool) => pool.shutdown({ graceMs: 0 })));
  });
  afterAll(() => server.close());
}

/** A pool of 3 (unless told otherwise) on `target`, shut down after the test. */
export function makePool(
  options: PoolOptions = {},
  target: LocalServer = server,
): SpeechSynthesizerObjectPool {
  const pool = new SpeechSynthesizerObjectPool({ url: target.url, apiKey: KEY, maxSize: 3, ...options });
  pools.push(pool);
  return pool;
}

export { rejection } from '../helpers/promises.js';

/** Polls until `condition()` holds; fails naming `what` after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
