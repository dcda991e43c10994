/**
 * A closed-loop load generator: `concurrency` workers take task numbers until the count or the
 * time limit is reached. Every task ends as audio, a typed library error, an untyped error, or
 * (if it never settles within the grace period) a hang; the counts always add up to `started`.
 */
import { DashScopeError } from '../../src/errors/index.js';

export interface TaskResult {
  /** From the caller's request (before borrowing or connecting) to the first audio frame. */
  firstPacketMs: number;
  bytes: number;
}

export interface LoadOptions {
  tasks: number;
  concurrency: number;
  /** Workers take no new task after this long. */
  timeLimitMs: number;
  /** After the time limit, how long in-flight tasks may take before they count as hung. */
  graceMs?: number;
  run: (worker: number, index: number) => Promise<TaskResult>;
}

export interface LoadResult {
  started: number;
  ok: number;
  /** Library errors by class name. */
  errors: Record<string, number>;
  /** The first message seen per error class, to tell what happened. */
  errorSamples: Record<string, string>;
  /** Errors that were not a DashScopeError (a bug if the library produced them). */
  untypedErrors: number;
  /** Tasks still unsettled at the end of the grace period. */
  hung: number;
  /** Successful tasks whose audio was empty. */
  emptyAudio: number;
  firstPacketMs: number[];
  bytes: number;
  elapsedMs: number;
  tasksPerSec: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { tasks, concurrency, timeLimitMs, run } = options;
  const graceMs = options.graceMs ?? 60_000;
  const result: LoadResult = {
    started: 0,
    ok: 0,
    errors: {},
    errorSamples: {},
    untypedErrors: 0,
    hung: 0,
    emptyAudio: 0,
    firstPacketMs: [],
    bytes: 0,
    elapsedMs: 0,
    tasksPerSec: 0,
  };
  const startedAt = performance.now();
  let next = 0;
  let settled = 0;
  const worker = async (w: number): Promise<void> => {
    while (next < tasks && performance.now() - startedAt < timeLimitMs) {
      const index = next++;
      result.started += 1;
      try {
        const outcome = await run(w, index);
        result.ok += 1;
        result.bytes += outcome.bytes;
        if (outcome.bytes === 0) result.emptyAudio += 1;
        if (Number.isFinite(outcome.firstPacketMs)) result.firstPacketMs.push(outcome.firstPacketMs);
      } catch (error) {
        if (error instanceof DashScopeError) {
          const name = error.constructor.name;
          result.errors[name] = (result.errors[name] ?? 0) + 1;
          result.errorSamples[name] ??= error.message;
        } else {
          result.untypedErrors += 1;
          result.errors[`untyped:${String(error).slice(0, 60)}`] =
            (result.errors[`untyped:${String(error).slice(0, 60)}`] ?? 0) + 1;
        }
      } finally {
        settled += 1;
      }
    }
  };
  const all = Promise.all(Array.from({ length: Math.min(concurrency, tasks) }, (_, w) => worker(w)));
  let guard: NodeJS.Timeout | undefined;
  await Promise.race([
    all,
    new Promise<void>((resolve) => (guard = setTimeout(resolve, timeLimitMs + graceMs))),
  ]);
  clearTimeout(guard);
  result.elapsedMs = performance.now() - startedAt;
  result.hung = result.started - settled;
  result.tasksPerSec = result.ok / (result.elapsedMs / 1000);
  return result;
}

/** Sum of error counts. */
export function errorCount(result: Pick<LoadResult, 'errors' | 'hung'>): number {
  return Object.values(result.errors).reduce((a, b) => a + b, 0) + result.hung;
}
