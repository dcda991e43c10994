/**
 * Idle connections do not keep the process alive; running tasks do. Each case runs a script in a
 * child process (through tsx) against the local server and watches how it ends.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../src/server/index.js';
import { KEY } from './helpers.js';

const tsx = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
/** Past this, the child is killed: it did not exit by itself. */
const KILL_AFTER_MS = 25_000;

let server: LocalServer;
beforeAll(async () => {
  // The server fails a task that gets no text for 1.5 s (DashScope: 23 s).
  server = await startLocalServer({ apiKey: KEY, engine: 'synthetic', taskInactivityTimeoutMs: 1_500 });
});
afterAll(() => server.close());

/** Runs a fixture script; resolves with how it exited, what it printed and how long it took. */
async function runScript(
  name: string,
  ...args: string[]
): Promise<{ code: number | null; signal: string | null; output: string; ms: number }> {
  const script = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
  const startedAt = performance.now();
  const child = spawn(process.execPath, ['--import', tsx, script, server.url, KEY, ...args], {
    stdio: 'pipe',
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(timer);
  return { code, signal, output, ms: performance.now() - startedAt };
}

describe('process exit', () => {
  it('lets a script that forgets shutdown() exit once its work is done', async () => {
    const result = await runScript('forgets-shutdown.ts', 'pool');
    expect(result).toMatchObject({ code: 0, signal: null });
    expect(result.output).toMatch(/\d+ audio bytes/);
  });

  it('lets a script exit whose standalone synthesizer stays open and idle', async () => {
    const result = await runScript('forgets-shutdown.ts', 'synthesizer');
    expect(result).toMatchObject({ code: 0, signal: null });
    expect(result.output).toMatch(/\d+ audio bytes/);
  });

  it('keeps a script alive while its task runs, and lets it exit when the task ends', async () => {
    const result = await runScript('running-task.ts');
    expect(result).toMatchObject({ code: 0, signal: null });
    // The task ran to its end (the server's inactivity timeout) before the process exited.
    expect(result.output).toContain('task started');
    expect(result.output).toContain('task ended: DS_ERR_TASK_FAILED');
  });
});
