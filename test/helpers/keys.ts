/** Helpers of the key tests: their server fixture, a raw mint request to it, and polling for a condition. */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { closeConnectionPool } from '../../src/http/shared.js';
import type { BorrowParams } from '../../src/index.js';
import { AudioFormat } from '../../src/params.js';
import { startLocalServer, type LocalServer } from '../../src/server/index.js';

/** The long-lived key every key test's server is started with. */
export const MINT_KEY = 'sk-key-fn-test-0123456789abcdef';

/** Mints a temporary key straight from the local server's tokens endpoint (no library code). */
export async function mintToken(
  server: LocalServer,
  seconds: number,
  key = MINT_KEY,
): Promise<{ token: string; expiresAt: number }> {
  const res = await fetch(`${server.httpBaseUrl}/tokens?expire_in_seconds=${seconds}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}` },
  });
  const body = (await res.json()) as { token: string; expires_at: number };
  if (res.status !== 200) throw new Error(`mint failed with HTTP ${res.status}`);
  return { token: body.token, expiresAt: body.expires_at };
}

/** Resolves once `condition()` holds, polling; fails after `timeoutMs` (generous: the machine is slow). */
export async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Synthesis parameters of the key tests' tasks. */
export const KEY_PARAMS: BorrowParams = {
  model: 'cosyvoice-v3-flash',
  voice: 'longanyang',
  format: AudioFormat.PCM_16000HZ_MONO_16BIT,
};

/** The key tests' local server (started with {@link MINT_KEY}), set by {@link useKeyServer}. */
export let server: LocalServer;
/** What each test opened; closed after it. */
export const closers: Array<() => Promise<unknown>> = [];

/**
 * Starts one local server for the file, closes what a test opened after it (and clears the
 * server's faults), and closes the shared HTTP pool and the server at the end.
 */
export function useKeyServer(): void {
  beforeAll(async () => {
    server = await startLocalServer({ apiKey: MINT_KEY, engine: 'synthetic' });
  });
  afterEach(async () => {
    server.faults.clearFaults();
    await Promise.all(closers.splice(0).map((close) => close()));
  });
  afterAll(async () => {
    closeConnectionPool();
    await server.close();
  });
}
