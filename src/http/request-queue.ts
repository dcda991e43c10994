/**
 * Admission control in front of the HTTP agent: at most `maxActive` requests in flight (and
 * `maxActivePerHost` per host); the rest wait in a bounded first-come-first-served queue. Requests
 * wait here rather than inside Node's agent, so that waiting is bounded, abortable and observable,
 * and the agent never opens more sockets than the limits allow.
 */
import { HttpPoolClosedError, RequestQueueFullError, RequestQueueTimeoutError } from '../errors/index.js';
import { armDeadline } from '../util/async.js';
import { reasonOf } from './abort.js';

/** Limits of one queue. */
export interface RequestQueueLimits {
  maxActive: number;
  maxActivePerHost: number;
  maxQueued: number;
  queueTimeoutMs: number;
}

/** Gives the slot back. Calling it more than once has no effect. */
export type ReleaseSlot = () => void;

interface Waiter {
  host: string;
  resolve: (release: ReleaseSlot) => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

/** A bounded FIFO of requests waiting for a slot. */
export class RequestQueue {
  readonly #limits: RequestQueueLimits;
  readonly #perHost = new Map<string, number>();
  #waiters: Waiter[] = [];
  #active = 0;
  #closed = false;

  constructor(limits: RequestQueueLimits) {
    this.#limits = limits;
  }

  /** Requests holding a slot. */
  get active(): number {
    return this.#active;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.#waiters.length;
  }

  /**
   * Waits for a slot for `host`. Resolves with the function that gives it back.
   * @throws {RequestQueueFullError} when `maxQueued` requests already wait.
   * @throws {RequestQueueTimeoutError} after `queueTimeoutMs` without a slot.
   * @throws the signal's reason (or an `AbortError`) when aborted while waiting.
   * @throws {HttpPoolClosedError} when the queue is (or gets) closed.
   */
  acquire(host: string, signal?: AbortSignal): Promise<ReleaseSlot> {
    if (this.#closed) return Promise.reject(new HttpPoolClosedError());
    if (signal?.aborted) return Promise.reject(reasonOf(signal));
    // Queue-jumping is not allowed: a request only bypasses the queue when nobody waits for the host.
    if (this.#fits(host) && !this.#waiters.some((w) => w.host === host)) {
      return Promise.resolve(this.#grant(host));
    }
    if (this.#waiters.length >= this.#limits.maxQueued) {
      return Promise.reject(new RequestQueueFullError(this.#limits.maxQueued));
    }
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const waiter: Waiter = {
        host,
        resolve,
        reject,
        cleanup: armDeadline(this.#limits.queueTimeoutMs, signal, {
          onTimeout: () => {
            this.#remove(waiter);
            reject(new RequestQueueTimeoutError(this.#limits.queueTimeoutMs));
          },
          onAbort: () => {
            this.#remove(waiter);
            reject(reasonOf(signal!));
          },
        }),
      };
      this.#waiters.push(waiter);
    });
  }

  /** Rejects every waiter with `HttpPoolClosedError` and refuses new requests. Slots held stay valid. */
  close(): void {
    this.#closed = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      w.cleanup();
      w.reject(new HttpPoolClosedError());
    }
  }

  #fits(host: string): boolean {
    return (
      this.#active < this.#limits.maxActive && (this.#perHost.get(host) ?? 0) < this.#limits.maxActivePerHost
    );
  }

  #grant(host: string): ReleaseSlot {
    this.#active += 1;
    this.#perHost.set(host, (this.#perHost.get(host) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active -= 1;
      const left = (this.#perHost.get(host) ?? 1) - 1;
      if (left === 0) this.#perHost.delete(host);
      else this.#perHost.set(host, left);
      this.#drain();
    };
  }

  /** Grants slots in arrival order, skipping (not blocking on) waiters whose host is at its limit. */
  #drain(): void {
    for (let i = 0; i < this.#waiters.length && this.#active < this.#limits.maxActive;) {
      const w = this.#waiters[i]!;
      if (this.#fits(w.host)) {
        this.#waiters.splice(i, 1);
        w.cleanup();
        // Resolution runs the waiter in a later microtask: after the agent has put the
        // just-released socket back in its free list, so the waiter reuses it.
        w.resolve(this.#grant(w.host));
      } else {
        i += 1;
      }
    }
  }

  #remove(waiter: Waiter): void {
    const i = this.#waiters.indexOf(waiter);
    if (i !== -1) this.#waiters.splice(i, 1);
    waiter.cleanup();
  }
}
