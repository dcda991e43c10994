/**
 * The frame of one benchmark section, run as its own child process by `bench/run-all.ts`: it
 * reads its context from the environment, prints progress on stderr, writes its result JSON and
 * exits. It also exits when its stdin closes, so that it never outlives the launcher.
 */
import { writeFileSync } from 'node:fs';
import { machineInfo, type MachineInfo } from './machine.js';
import type { Endpoint } from './server-process.js';

export interface SectionContext {
  section: string;
  quick: boolean;
  endpoints: Record<string, Endpoint>;
  outFile: string;
  /** Soft time budget of the section: it should plan to finish within it. */
  budgetMs: number;
  /** The server process's id (for its CPU figures). */
  serverPid?: number;
}

export interface SectionResult<T> {
  section: string;
  quick: boolean;
  machine: MachineInfo;
  engine: 'synthetic';
  elapsedMs: number;
  result: T;
}

const startedAt = performance.now();
let sectionName = 'bench';

/** Milliseconds since the section started. */
export function elapsed(): number {
  return performance.now() - startedAt;
}

/** One progress line on stderr. */
export function progress(message: string): void {
  const s = Math.round(elapsed() / 1000);
  process.stderr.write(
    `  [${sectionName} ${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${message}\n`,
  );
}

/** Runs the section body and exits: 0 with the result written, 1 on a failure. */
export function runSection<T>(body: (context: SectionContext) => Promise<T>): void {
  const context = JSON.parse(process.env.BENCH_CONTEXT ?? 'null') as SectionContext | null;
  if (!context) {
    process.stderr.write(
      'This file is a section of the benchmark suite: run `npm run bench` (or bench:quick).\n',
    );
    process.exit(2);
  }
  sectionName = context.section;
  process.stdin.on('end', () => process.exit(1));
  process.stdin.resume();
  body(context).then(
    (result) => {
      const out: SectionResult<T> = {
        section: context.section,
        quick: context.quick,
        machine: machineInfo(),
        engine: 'synthetic',
        elapsedMs: Math.round(elapsed()),
        result,
      };
      writeFileSync(context.outFile, `${JSON.stringify(out, null, 2)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(
        `section ${context.section} failed: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Double gc (with --expose-gc), so that weak and finalizable objects are gone too. */
export async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  gc();
  await sleep(50);
  gc();
}
