/**
 * One acquisition waiting for the fleet: settled once, by a grant, its deadline, its signal or
 * the quota's policy; whatever settles it removes its timer and abort listener.
 */
import { AbortError, type DashScopeError } from '../errors/index.js';
import type { QuotaRequest } from './types.js';
import { onAbort } from '../util/abort-listeners.js';

/** How close to a task's own deadline the quota gives up, so that its typed error wins the race. */
const DEADLINE_MARGIN_MS = 5;

export interface WaiterSpec {
  kind: QuotaRequest['kind'];
  id: string;
  signal: AbortSignal | undefined;
  /** `performance.now()` time at which the wait times out. */
  until: number;
  onTimeout: (waiter: Waiter) => void;
  onAbort: (waiter: Waiter) => void;
}

export class Waiter {
  readonly kind: QuotaRequest['kind'];
  /** The lease id asked for; a step that failed midway gives the waiter a fresh one. */
  id: string;
  readonly since = performance.now();
  /** True once a store step saw this waiter and could not serve it. */
  refused = false;
  readonly promise: Promise<void>;
  #resolve!: () => void;
  #reject!: (error: unknown) => void;
  #settled = false;
  readonly #timer: NodeJS.Timeout;
  readonly #signal: AbortSignal | undefined;
  #stopListening: (() => void) | undefined;

  constructor(spec: WaiterSpec) {
    this.kind = spec.kind;
    this.id = spec.id;
    this.promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#signal = spec.signal;
    this.#timer = setTimeout(() => spec.onTimeout(this), Math.max(0, spec.until - performance.now()));
    if (spec.signal) this.#stopListening = onAbort(spec.signal, () => spec.onAbort(this));
  }

  get settled(): boolean {
    return this.#settled;
  }

  get waitedMs(): number {
    return performance.now() - this.since;
  }

  /** Grants the wait; false if it was already settled (the grant is then the caller's to undo). */
  grant(): boolean {
    if (!this.#finish()) return false;
    this.#resolve();
    return true;
  }

  fail(error: DashScopeError): boolean {
    if (!this.#finish()) return false;
    this.#reject(error);
    return true;
  }

  abortError(): AbortError {
    return new AbortError(this.#signal?.reason);
  }

  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#stopListening?.();
    return true;
  }
}

/** The time at which a wait that starts now must end. */
export function waitUntil(deadline: number | undefined, maxWaitMs: number): number {
  const byMax = performance.now() + maxWaitMs;
  return deadline === undefined ? byMax : Math.min(byMax, deadline - DEADLINE_MARGIN_MS);
}
