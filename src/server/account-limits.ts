/**
 * Account-wide limits of the local server, like the service's per-account quota: tasks running
 * at once across every connection, and tasks started in any one-second window. A task over
 * either limit fails at run-task with the service's throttling error (`Throttling.RateQuota`),
 * so tests and benchmarks can show what a fleet without a shared quota runs into.
 */
import { checkInteger, checkPositiveMs } from '../config.js';
import { InvalidOptionError } from '../errors/index.js';
import { TASK_ERRORS, type TaskError } from './task-errors.js';
import type { AccountLimitOptions, AccountLimitStats } from './types.js';

const WINDOW_MS = 1_000;

/** Checks the `accountLimits` option of the server. */
export function checkAccountLimits(options: AccountLimitOptions | undefined): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('accountLimits', 'accountLimits must be an object');
  }
  if (options.maxConcurrentTasks !== undefined) {
    checkInteger('accountLimits.maxConcurrentTasks', options.maxConcurrentTasks, 1);
  }
  if (options.maxTasksPerSecond !== undefined) {
    checkPositiveMs('accountLimits.maxTasksPerSecond', options.maxTasksPerSecond);
  }
}

/** Admits or throttles run-tasks, and keeps the peaks the stats report. */
export class AccountLimits {
  readonly #maxConcurrent: number;
  readonly #maxPerSecond: number;
  #active = 0;
  #peakActive = 0;
  #peakPerSecond = 0;
  #throttledConcurrency = 0;
  #throttledRate = 0;
  /** Start times (performance.now) of the admitted tasks of the last second, oldest first. */
  #starts: number[] = [];
  #head = 0;

  constructor(options: AccountLimitOptions = {}) {
    this.#maxConcurrent = options.maxConcurrentTasks ?? Number.POSITIVE_INFINITY;
    this.#maxPerSecond = options.maxTasksPerSecond ?? Number.POSITIVE_INFINITY;
  }

  /**
   * Takes a slot for a task about to start. Returns the throttling error to answer with when the
   * account is over a limit (nothing is taken then), else undefined (call `release()` at its end).
   */
  admit(): TaskError | undefined {
    const now = performance.now();
    const inWindow = this.#trim(now);
    if (this.#active >= this.#maxConcurrent) {
      this.#throttledConcurrency++;
      return TASK_ERRORS.throttled;
    }
    if (inWindow >= this.#maxPerSecond) {
      this.#throttledRate++;
      return TASK_ERRORS.throttled;
    }
    this.#starts.push(now);
    this.#active++;
    this.#peakActive = Math.max(this.#peakActive, this.#active);
    this.#peakPerSecond = Math.max(this.#peakPerSecond, inWindow + 1);
    return undefined;
  }

  /** Gives back the slot of an admitted task that ended (whatever the outcome). */
  release(): void {
    if (this.#active > 0) this.#active--;
  }

  snapshot(): AccountLimitStats {
    return {
      maxConcurrentTasks: Number.isFinite(this.#maxConcurrent) ? this.#maxConcurrent : null,
      maxTasksPerSecond: Number.isFinite(this.#maxPerSecond) ? this.#maxPerSecond : null,
      activeTasks: this.#active,
      peakConcurrentTasks: this.#peakActive,
      peakTasksPerSecond: this.#peakPerSecond,
      throttled: {
        concurrency: this.#throttledConcurrency,
        rate: this.#throttledRate,
        total: this.#throttledConcurrency + this.#throttledRate,
      },
    };
  }

  /** Forgets starts older than one second; returns how many are left in the window. */
  #trim(now: number): number {
    const starts = this.#starts;
    while (this.#head < starts.length && starts[this.#head]! <= now - WINDOW_MS) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > starts.length) {
      this.#starts = starts.slice(this.#head);
      this.#head = 0;
    }
    return this.#starts.length - this.#head;
  }
}
