/**
 * What a task owns that must not outlive it: its timers, the cleanups of its listeners, and the
 * abort signal of whatever waits on its behalf (a connect, a hook, a back-off). All of it is
 * released at once when the task ends.
 */
export class TaskScope {
  // Created only when something waits on the task's behalf: aborting an AbortController builds
  // a DOMException, a cost most tasks need not pay.
  #abortController: AbortController | undefined;
  // Made on first use: most tasks have no timer or listener of their own.
  #timers: Set<NodeJS.Timeout> | undefined;
  #cleanups: Array<() => void> | undefined;
  #released = false;

  /** Aborted when the task ends, so that anything waiting on its behalf stops. */
  get signal(): AbortSignal {
    this.#abortController ??= new AbortController();
    if (this.#released) this.#abortController.abort();
    return this.#abortController.signal;
  }

  /** A timer that must not outlive the task. */
  addTimer(timer: NodeJS.Timeout): void {
    (this.#timers ??= new Set()).add(timer);
  }

  /** A timer of the task that fired. */
  removeTimer(timer: NodeJS.Timeout): void {
    this.#timers?.delete(timer);
  }

  /** Runs `cleanup` when the task ends (e.g. removes an abort listener). */
  addCleanup(cleanup: () => void): void {
    (this.#cleanups ??= []).push(cleanup);
  }

  /** Aborts the signal, clears every timer and runs every cleanup. */
  protected releaseScope(): void {
    this.#released = true;
    this.#abortController?.abort();
    const timers = this.#timers;
    if (timers) {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    }
    const cleanups = this.#cleanups;
    if (cleanups) for (const cleanup of cleanups.splice(0)) cleanup();
  }
}
