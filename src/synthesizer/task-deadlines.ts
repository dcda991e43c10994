/**
 * What stops a task that the wire alone would not: the caller's `timeoutMs` and abort signal,
 * owned by the task (so none outlives it), and the synthesizer's response watchdog, which fails
 * a task when the server stays silent too long.
 */
import { AbortError, TaskTimeoutError } from '../errors/index.js';
import type { DashScopeError } from '../errors/index.js';
import type { TaskOptions } from './options.js';
import type { Task } from './task.js';
import { onAbort } from '../util/abort-listeners.js';

/** What the deadlines do to a task when they fire (the task driver). */
export interface TaskStopper {
  fail(task: Task, error: DashScopeError): void;
  cancel(task: Task, reason: AbortError): void;
}

/** Arms a task's `timeoutMs` (fail it and close the socket) and `signal` (cancel it). */
export function armTaskOptions(driver: TaskStopper, task: Task, options: TaskOptions): void {
  const { timeoutMs, signal } = options;
  if (timeoutMs !== undefined) {
    task.deadline = performance.now() + timeoutMs;
    const timer = setTimeout(() => {
      const connection = task.connection;
      driver.fail(task, new TaskTimeoutError(task.id, timeoutMs));
      connection?.terminate();
    }, timeoutMs);
    task.addTimer(timer);
  }
  if (signal) {
    task.addCleanup(onAbort(signal, () => driver.cancel(task, new AbortError(signal.reason))));
  }
}

/**
 * While the client waits on the server (for task-started, audio or task-finished), fails the
 * task if the connection stays silent for `limitMs`; its socket is closed then. One timer per
 * synthesizer, not per task: tasks that follow one another find it armed and cost nothing. When
 * it fires it looks at the task running then, fails it if that task has been silent too long,
 * else re-arms for the time left; with no task to watch it stops. It never fires late: a task
 * watched later than the timer was armed has its last sign later still. It never keeps the
 * process alive (unref: a running task's socket does), and {@link stop} clears it at close.
 */
export class ResponseWatchdog {
  readonly #driver: TaskStopper & { readonly current: Task | undefined };
  readonly #limitMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(driver: TaskStopper & { readonly current: Task | undefined }, limitMs: number) {
    this.#driver = driver;
    this.#limitMs = limitMs;
  }

  /** Watches `task` from now until it ends; watching it again is a no-op. */
  watch(task: Task): void {
    if (!task.claimWatchdog()) return;
    this.#timer ??= this.#arm(this.#limitMs);
  }

  /** Clears the timer (the synthesizer is closing). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): NodeJS.Timeout {
    return setTimeout(this.#check, ms).unref();
  }

  readonly #check = (): void => {
    this.#timer = undefined;
    const task = this.#driver.current;
    if (!task?.isActive || !task.watchdogClaimed) return;
    const lastSign = Math.max(task.waitingSince, task.connection?.lastActivityAt ?? 0);
    const silentFor = performance.now() - lastSign;
    if (silentFor >= this.#limitMs) {
      const connection = task.connection;
      this.#driver.fail(task, new TaskTimeoutError(task.id, this.#limitMs));
      connection?.terminate();
      return;
    }
    this.#timer = this.#arm(this.#limitMs - silentFor);
  };
}
