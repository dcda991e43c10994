/**
 * A short, bounded run of `npm run soak` (bench/soak.ts) in a child process: with faults and
 * server-wide events, every task ends with the server's audio or a typed error, none hangs or is
 * lost, the server sees no socket after shutdown(), and the process exits by itself.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SOAK = fileURLToPath(new URL('../bench/soak.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Past this the child is killed: it did not stop by itself. */
const KILL_AFTER_MS = 150_000;

interface SoakSummary {
  tasks: number;
  succeeded: number;
  failed: number;
  untyped: string[];
  hung: number;
  lost: number;
  wrongAudio: number;
  serverVerified: number;
  socketsAfterShutdown: number;
  events: Record<string, number>;
  errorsByCode: Record<string, number>;
  pass: boolean;
}

describe('soak smoke', () => {
  it(
    'runs 15 s with faults and server-wide events, checks every task, and exits by itself',
    async () => {
      const args = ['--seconds', '15', '--concurrency', '16', '--fault-rate', '0.1', '--event-every', '3'];
      const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', SOAK, ...args], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
      clearTimeout(timer);
      expect({ code, signal, tail: stderr.slice(-2_000) }).toMatchObject({ code: 0, signal: null });
      const lines = stdout.trim().split('\n');
      const summary = JSON.parse(lines.at(-1)!) as SoakSummary;
      expect(stdout).toContain('soak passed');
      expect(summary.pass).toBe(true);
      expect(summary.tasks).toBeGreaterThan(50);
      expect(summary.succeeded).toBeGreaterThan(0);
      expect(summary.serverVerified).toBeGreaterThan(0);
      // Faults were injected and came back as typed errors.
      expect(summary.failed).toBeGreaterThan(0);
      expect(Object.keys(summary.errorsByCode).every((key) => key.startsWith('DS_ERR_'))).toBe(true);
      expect(summary).toMatchObject({
        untyped: [],
        hung: 0,
        lost: 0,
        wrongAudio: 0,
        socketsAfterShutdown: 0,
      });
      expect(Object.values(summary.events).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2);
    },
    KILL_AFTER_MS + 10_000,
  );
});
