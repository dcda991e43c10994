/**
 * The TTS benchmark suite: `npm run bench` (full, under 10 minutes on a 2-core machine) or
 * `npm run bench:quick` (about a minute). Options: `--quick`, `--only=pooling,faults`, `--report-only`.
 *
 * Each section runs in its own client process against its own server process (both on
 * 127.0.0.1), so that one section's sockets and memory do not disturb the next. A certificate is
 * made at run time for the wss:// endpoints; client processes trust it through
 * NODE_EXTRA_CA_CERTS (the library has no `ca` option), never by turning verification off.
 * Every child is killed on every path. Results: bench/results/ (quick: bench/results/quick/).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSelfSignedCertificate } from '../src/server/self-signed.js';
import { writeReport } from './lib/report.js';
import type { SectionResult } from './lib/section.js';
import { startServerProcess, type EndpointSpec } from './lib/server-process.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((arg) => arg.startsWith('--only='))?.slice(7);
// Rebuilds summary, chart and README from the result files already written, without measuring.
const reportOnly = process.argv.includes('--report-only');

interface SectionSpec {
  name: string;
  file: string;
  /** Soft budget in seconds (full, quick); the hard limit adds 60 s and kills the section. */
  budget: [number, number];
  endpoints: EndpointSpec[];
}

const LINKS: EndpointSpec[] = [
  { name: 'ws-0', tls: false, rttMs: 0 },
  { name: 'ws-20', tls: false, rttMs: 20 },
  { name: 'wss-0', tls: true, rttMs: 0 },
  { name: 'wss-20', tls: true, rttMs: 20 },
];

const SECTIONS: SectionSpec[] = [
  {
    name: 'client-cost',
    file: 'client-cost.ts',
    budget: [240, 80],
    endpoints: [LINKS[0]!, LINKS[2]!],
  },
  {
    name: 'pooling',
    file: 'tts-pooling.ts',
    budget: [250, 25],
    endpoints: quick ? LINKS.slice(0, 3) : LINKS,
  },
  { name: 'eager', file: 'tts-eager.ts', budget: [30, 6], endpoints: LINKS.slice(0, 2) },
  { name: 'pool-ops', file: 'pool-ops.ts', budget: [60, 8], endpoints: [LINKS[0]!] },
  {
    name: 'scale',
    file: 'scale.ts',
    budget: [100, 12],
    endpoints: [
      LINKS[0]!,
      LINKS[2]!,
      // Tasks that wait 1.5 s for their first audio overlap, so that in-flight counts are real.
      { name: 'slow', tls: false, rttMs: 0, firstAudioDelayMs: 1_500 },
    ],
  },
  {
    name: 'faults',
    file: 'faults.ts',
    budget: [50, 8],
    endpoints: [{ name: 'faults', tls: false, rttMs: 0 }],
  },
];

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function runSectionProcess(
  spec: SectionSpec,
  outDir: string,
  tls: { keyFile: string; certFile: string },
): Promise<SectionResult<unknown> | undefined> {
  const budgetMs = spec.budget[quick ? 1 : 0] * 1000;
  const server = await startServerProcess(spec.endpoints, tls);
  const outFile = join(outDir, `tts-${spec.name}.json`);
  try {
    rmSync(outFile, { force: true });
    const context = {
      section: spec.name,
      quick,
      endpoints: server.endpoints,
      outFile,
      budgetMs,
      serverPid: server.pid,
    };
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--expose-gc', join(root, 'bench', spec.file)],
      {
        stdio: ['pipe', 'inherit', 'inherit'],
        env: { ...process.env, BENCH_CONTEXT: JSON.stringify(context), NODE_EXTRA_CA_CERTS: tls.certFile },
      },
    );
    const killTimer = setTimeout(() => {
      log(`  section ${spec.name} exceeded its hard limit; killing it`);
      child.kill('SIGKILL');
    }, budgetMs + 60_000);
    const stopChild = (): void => void child.kill('SIGKILL');
    process.once('exit', stopChild);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(killTimer);
    process.off('exit', stopChild);
    if (code !== 0 || !existsSync(outFile)) {
      log(`  section ${spec.name} failed (exit ${code})`);
      return undefined;
    }
    return JSON.parse(readFileSync(outFile, 'utf8')) as SectionResult<unknown>;
  } finally {
    await server.stop();
  }
}

async function main(): Promise<number> {
  const startedAt = performance.now();
  const outDir = join(root, 'bench', 'results', ...(quick ? ['quick'] : []));
  mkdirSync(outDir, { recursive: true });
  if (quick) writeFileSync(join(outDir, '.gitignore'), '*\n');
  const only = onlyArg?.split(',');
  const sections = SECTIONS.filter((s) => !only || only.includes(s.name));
  if (reportOnly) {
    const results: Record<string, SectionResult<unknown>> = {};
    for (const spec of sections) {
      const file = join(outDir, `tts-${spec.name}.json`);
      if (existsSync(file))
        results[spec.name] = JSON.parse(readFileSync(file, 'utf8')) as SectionResult<unknown>;
    }
    const complete = Object.keys(results).length === SECTIONS.length;
    const command = quick ? 'npm run bench:quick' : 'npm run bench';
    await writeReport(results, { outDir, quick, complete, command, readme: join(root, 'README.md') });
    return 0;
  }
  const certificate = createSelfSignedCertificate();
  const certDir = mkdtempSync(join(tmpdir(), 'tts-bench-cert-'));
  const tls = { keyFile: join(certDir, 'key.pem'), certFile: join(certDir, 'cert.pem') };
  writeFileSync(tls.keyFile, certificate.key, { mode: 0o600 });
  writeFileSync(tls.certFile, certificate.cert);
  log(
    `TTS benchmarks (${quick ? 'quick' : 'full'}), synthetic engine, certificate by ${certificate.madeWith}`,
  );
  const results: Record<string, SectionResult<unknown>> = {};
  let failed = 0;
  try {
    for (const [i, spec] of sections.entries()) {
      const s = Math.round((performance.now() - startedAt) / 1000);
      log(`[${i + 1}/${sections.length}] ${spec.name} (at ${s} s, budget ${spec.budget[quick ? 1 : 0]} s)`);
      const result = await runSectionProcess(spec, outDir, tls);
      if (result) results[spec.name] = result;
      else failed += 1;
    }
  } finally {
    rmSync(certDir, { recursive: true, force: true });
  }
  const files = await writeReport(results, {
    outDir,
    quick,
    complete: failed === 0 && !only,
    command: quick ? 'npm run bench:quick' : 'npm run bench',
    readme: join(root, 'README.md'),
  });
  log(`done in ${Math.round((performance.now() - startedAt) / 1000)} s; wrote ${files.join(', ')}`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`benchmark failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
