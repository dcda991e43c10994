/**
 * This process's share of the fleet's budget, used while the store cannot be reached: the
 * limits divided by the processes expected (`expectedProcesses`, else as many as the store last
 * saw), so that a fleet that lost its store stays bounded by about the budget it had.
 */
import type { QuotaMetrics, QuotaRequest } from './types.js';

export interface LocalShareOptions {
  maxConcurrentTasks: number | undefined;
  maxTasksPerSecond: number | undefined;
  expectedProcesses: number | undefined;
}

export class LocalShare {
  readonly #options: LocalShareOptions;
  /** `performance.now()` before which no start may be taken (strict spacing, no bursts). */
  #nextAt = 0;

  constructor(options: LocalShareOptions) {
    this.#options = options;
  }

  /** The share for a fleet of `seenProcesses` (when `expectedProcesses` is not set). */
  share(seenProcesses: number): QuotaMetrics['fallback']['share'] {
    const { maxConcurrentTasks, maxTasksPerSecond, expectedProcesses } = this.#options;
    const processes = expectedProcesses ?? Math.max(1, seenProcesses);
    return {
      maxConcurrentTasks:
        maxConcurrentTasks === undefined ? null : Math.max(1, Math.floor(maxConcurrentTasks / processes)),
      maxTasksPerSecond: maxTasksPerSecond === undefined ? null : maxTasksPerSecond / processes,
    };
  }

  /** Starts the pacing afresh (when the fallback engages). */
  reset(): void {
    this.#nextAt = performance.now();
  }

  /**
   * Takes what a request needs from the share: 0 when granted, `'full'` when no slot is free
   * (a release will tell), or the ms until the next start is allowed.
   */
  take(kind: QuotaRequest['kind'], held: number, seenProcesses: number): 'full' | number {
    const share = this.share(seenProcesses);
    if (kind === 'lease' && share.maxConcurrentTasks !== null && held >= share.maxConcurrentTasks) {
      return 'full';
    }
    if (share.maxTasksPerSecond !== null) {
      const now = performance.now();
      if (this.#nextAt > now) return this.#nextAt - now;
      this.#nextAt = Math.max(this.#nextAt, now) + 1000 / share.maxTasksPerSecond;
    }
    return 0;
  }
}
