/**
 * `dashscope-tts load`, run as a real process against the local server: its table, its JSON, the
 * throttling errors it counts, its bounds in time, and its usage errors. Runs `dist/cli.js` when
 * that build is at least as new as the sources (as in `npm test`), else `src/cli.ts` through tsx.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadReport } from '../src/cli/load-report.js';
import { startLocalServer, type LocalServer } from '../src/server/index.js';

const root = resolve(import.meta.dirname, '..');
const KEY = 'sk-load-test-0123456789';
let cliArgs = [join(root, 'dist', 'cli.js')];
let workDir: string;
let server: LocalServer;

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'dashscope-load-test-'));
  const built = cliArgs[0]!;
  if (!(existsSync(built) && statSync(built).mtimeMs >= newestSource(join(root, 'src')))) {
    const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    cliArgs = ['--import', tsx, join(root, 'src', 'cli.ts')];
  }
  server = await startLocalServer({ apiKey: KEY, engine: 'synthetic' });
});

afterAll(async () => {
  rmSync(workDir, { recursive: true, force: true });
  await server.close();
});

/** Runs the command line (without blocking this process, whose local server it may use). */
async function run(
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string; ms: number }> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [...cliArgs, ...args], { cwd: workDir });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const [status] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { status, stdout, stderr, ms: performance.now() - startedAt };
}

describe('dashscope-tts load', () => {
  it('prints valid JSON with the checklist figures, and stops within its duration', async () => {
    const result = await run(['load', '--concurrency', '4', '--duration', '3s', '--json']);
    expect({ status: result.status, stderr: result.stderr }).toMatchObject({ status: 0 });
    const report = JSON.parse(result.stdout) as LoadReport;
    expect(report).toMatchObject({ command: 'load', concurrency: 4, poolSize: 4, durationMs: 3_000 });
    expect(report.tasks).toBeGreaterThan(0);
    expect(report.failed).toBe(0);
    expect(report.firstPacketMs.p50).toBeGreaterThan(0);
    expect(report.firstPacketMs.p95).toBeGreaterThanOrEqual(report.firstPacketMs.p50!);
    expect(report.connectionReuse).toBeGreaterThan(0.9);
    expect(report.utilizationPeak).toBe(1);
    expect(report.suggestedMaxSize).toBeGreaterThan(4);
    expect(report.targets.map((row) => row.figure)).toEqual([
      'first packet p50',
      'first packet p95',
      'error rate',
      'pool utilization at peak',
      'connection reuse',
    ]);
    // The duration, then at most a few seconds for the tasks still running.
    expect(report.elapsedSeconds).toBeLessThan(3 + 6);
    expect(result.stderr).toContain('load: 4 workers on a pool of 4');
  });

  it('prints the table against the targets, with the throttling errors of a throttling endpoint', async () => {
    server.faults.setTaskFaultRate('throttle', 0.3);
    const texts = join(workDir, 'texts.txt');
    writeFileSync(texts, 'First line of text.\n\n第二行文字。\n');
    try {
      const result = await run([
        'load',
        '--concurrency',
        '3',
        '--duration',
        '2500ms',
        '--pool-size',
        '5',
        '--text-file',
        texts,
        '--url',
        server.url,
        '--key',
        KEY,
      ]);
      expect({ status: result.status, stderr: result.stderr }).toMatchObject({ status: 0 });
      for (const label of [
        'first packet p50',
        'first packet p95',
        'error rate',
        'pool utilization at peak',
        'connection reuse',
        'throttling errors',
        'suggested maxSize',
      ]) {
        expect(result.stdout).toContain(label);
      }
      const throttled = /throttling errors\s+(\d+)/.exec(result.stdout);
      expect(Number(throttled?.[1])).toBeGreaterThan(0);
      expect(result.stdout).toContain('DS_ERR_TASK_FAILED:Throttling.RateQuota');
      expect(result.stdout).toContain('some targets missed');
      expect(result.stdout).not.toContain(KEY);
    } finally {
      server.faults.clearFaults();
    }
  });

  it('refuses bad usage with exit code 2 before doing anything', async () => {
    for (const args of [
      ['load', '--duration', '5s'],
      ['load', '--concurrency', '2'],
      ['load', '--concurrency', '0', '--duration', '5s'],
      ['load', '--concurrency', '2', '--duration', '5x'],
      ['load', '--concurrency', '2', '--duration', '2h'],
      ['load', '--concurrency', '2', '--duration', '5s', '--text-file', join(workDir, 'missing.txt')],
    ]) {
      const result = await run(args);
      expect({ args, status: result.status }).toMatchObject({ status: 2 });
      expect(result.stderr).toMatch(/dashscope-tts: .*(--concurrency|--duration|--text-file)/);
    }
  });
});
