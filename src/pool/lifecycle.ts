/**
 * The pool's run state, shared by its parts: running, stopped by a connect error no retry can fix
 * (a refused key), or shut down; the promise behind `ready()`; and the signal that stops reconnect
 * loops, back-off sleeps and connects in flight at shutdown.
 */
import { setMaxListeners } from 'node:events';
import type { DashScopeError } from '../errors/index.js';
import { Deferred } from '../util/async.js';

export class PoolLifecycle {
  /** Resolves when the pre-opened connections are up; rejects on a fatal error or at shutdown. */
  readonly ready = new Deferred<void>();
  readonly #controller = new AbortController();
  readonly #onFatal: (error: DashScopeError) => void;
  #fatal: DashScopeError | undefined;
  #shutDown = false;

  /** @param onFatal called once, with the first fatal error (e.g. to fail waiting borrowers). */
  constructor(onFatal: (error: DashScopeError) => void) {
    this.#onFatal = onFatal;
    // Every connect in flight listens on this one signal: up to connectConcurrency listeners.
    setMaxListeners(0, this.#controller.signal);
    this.ready.promise.catch(() => undefined);
  }

  /** Aborted at shutdown. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The error that stopped the pool, if one did. */
  get fatal(): DashScopeError | undefined {
    return this.#fatal;
  }

  /** `shutdown()` was called. */
  get isShutDown(): boolean {
    return this.#shutDown;
  }

  /** Shut down or stopped by a fatal error: nothing new may be opened or renewed. */
  get stopped(): boolean {
    return this.#shutDown || this.#fatal !== undefined;
  }

  /** Stops the pool for good with `error` (the first one wins). */
  fail(error: DashScopeError): void {
    if (this.#fatal) return;
    this.#fatal = error;
    this.ready.reject(error);
    this.#onFatal(error);
  }

  /** Marks the pool shut down and aborts {@link signal}. */
  shutDown(): void {
    this.#shutDown = true;
    this.#controller.abort();
  }
}
