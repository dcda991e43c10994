// Runs bench/http-reuse.ts: no TypeScript runner is installed, so bundle it with esbuild (which
// tsup brings) into a temporary .mjs and run that. Usage: node bench/http/run.mjs [--quick]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'http-reuse-bench-'));
const outfile = join(dir, 'http-reuse.mjs');
try {
  await build({
    entryPoints: [join(root, 'bench', 'http-reuse.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'warning',
  });
  const result = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], {
    stdio: 'inherit',
    cwd: root,
  });
  process.exitCode = result.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
