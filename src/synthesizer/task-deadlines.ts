/**
 * What stops a task that the wire alone would not: the caller's `timeoutMs` and abort signal,
 * and the response watchdog that fails a task when the server stays silent too long. Every
 * timer is owned by the task, so none outlives it.
 */
import { AbortError, TaskTimeoutError } from '../errors/index.js';
import type { DashScopeError } from '../errors/index.js';
import type { TaskOptions } from './options.js';
import type { Task } from './task.js';

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
    const onAbort = (): void => driver.cancel(task, new AbortError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    task.addCleanup(() => signal.removeEventListener('abort', onAbort));
  }
}

/**
 * While the client waits on the server (for task-started, audio or task-finished), fails the
 * task if the connection stays silent for `limitMs`; its socket is closed then. One timer per
 * task, re-armed for the remaining time; arming it again is a no-op.
 */
export function armResponseWatchdog(driver: TaskStopper, task: Task, limitMs: number): void {
  if (!task.claimWatchdog()) return;
  const check = (): void => {
    task.removeTimer(timer);
    if (!task.isActive) return;
    const lastSign = Math.max(task.waitingSince, task.connection?.lastActivityAt ?? 0);
    const silentFor = performance.now() - lastSign;
    if (silentFor >= limitMs) {
      const connection = task.connection;
      driver.fail(task, new TaskTimeoutError(task.id, limitMs));
      connection?.terminate();
      return;
    }
    timer = setTimeout(check, limitMs - silentFor);
    task.addTimer(timer);
  };
  let timer = setTimeout(check, limitMs);
  task.addTimer(timer);
}
