/**
 * The demo (`npm start`), run as a real process outside a terminal: it must finish, write its
 * files, and print aligned, readable lines (a CI log is not a TTY).
 *
 * Like the command-line test, it runs the build when that is at least as new as the sources,
 * else examples/demo.ts through tsx.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const workDir = mkdtempSync(join(tmpdir(), 'dashscope-demo-test-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

function demoArgs(): string[] {
  const built = join(root, 'dist', 'demo.js');
  const sources = Math.max(newest(join(root, 'src')), newest(join(root, 'examples')));
  if (existsSync(built) && statSync(built).mtimeMs >= sources && existsSync(join(root, 'dist', 'cli.js'))) {
    return [built];
  }
  const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  return ['--import', tsx, join(root, 'examples', 'demo.ts')];
}

describe('demo', () => {
  it('speaks a dozen sentences into out/ and prints aligned lines outside a terminal', () => {
    const result = spawnSync(process.execPath, demoArgs(), {
      cwd: workDir,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const files = readdirSync(join(workDir, 'out'));
    expect(files.filter((f) => f.endsWith('.wav'))).toHaveLength(9);
    expect(files.filter((f) => f.endsWith('.mp3'))).toHaveLength(3);

    const lines = result.stdout.split('\n');
    const progress = lines.filter((line) => /^ {2}done {2}#/.test(line));
    expect(progress).toHaveLength(12);
    // Every progress line puts its size and its first-packet delay in the same columns.
    const column = (line: string, pattern: RegExp): number => line.search(pattern);
    const sizeEnds = new Set(progress.map((line) => column(line, / KiB/)));
    const delayEnds = new Set(progress.map((line) => line.length));
    expect(sizeEnds.size).toBe(1);
    expect(delayEnds.size).toBe(1);

    const header = lines.findIndex((line) => /^\s+#\s+voice\s+format\s+first packet/.test(line));
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header + 1, header + 13);
    expect(new Set(rows.map((row) => column(row, / KiB/))).size).toBe(1);
    expect(result.stdout).toMatch(/engine: espeak-ng/);
    expect(result.stdout).toMatch(/First packet: from the start of the task/);
    expect(result.stdout).toMatch(/error rate\s+0\.0 %/);
  });
});
