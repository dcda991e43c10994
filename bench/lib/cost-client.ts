/**
 * The orchestrator's side of a client-cost worker (bench/lib/cost-worker.ts): one child process
 * per contender, requests and replies over the IPC channel. The child is killed on every path.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerKind, WorkerRequest } from './cost-worker.js';

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class CostWorker {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  #nextId = 1;

  private constructor(
    readonly kind: WorkerKind,
    child: ChildProcess,
  ) {
    this.#child = child;
    child.on('message', (message: { id: number; result?: unknown; error?: string }) => {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.error !== undefined) pending.reject(new Error(`${kind} worker: ${message.error}`));
      else pending.resolve(message.result);
    });
    child.once('exit', (code) => {
      live.delete(child);
      for (const pending of this.#pending.values())
        pending.reject(new Error(`${kind} worker exited (${code})`));
      this.#pending.clear();
    });
  }

  /**
   * Starts a worker process holding one contender (`--expose-gc`, for the memory figures): the
   * compiled JavaScript when `compiledEntry` is given (see compile.ts), else the sources via tsx.
   */
  static start(kind: WorkerKind, compiledEntry?: string, env: NodeJS.ProcessEnv = process.env): CostWorker {
    const entry = compiledEntry ?? fileURLToPath(new URL('./cost-worker.ts', import.meta.url));
    const child = fork(entry, [kind], {
      execArgv: compiledEntry ? ['--expose-gc'] : ['--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env,
    });
    live.add(child);
    return new CostWorker(kind, child);
  }

  /** The worker's process id (for its CPU figures). */
  get pid(): number {
    return this.#child.pid!;
  }

  /** Sends one request and waits for its reply. */
  request<T>(request: WorkerRequest): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve, reject });
      this.#child.send({ id, request });
    });
  }

  /** Ends the worker (it closes its sockets as its channel closes). */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.disconnect();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
}
