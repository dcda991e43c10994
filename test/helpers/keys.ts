/** Helpers of the key tests: a raw mint request to the local server, and polling for a condition. */
import type { LocalServer } from '../../src/server/index.js';

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
