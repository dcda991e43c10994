/**
 * The server's counters.
 */
import { AccountLimits } from './account-limits.js';
import type { AccountLimitOptions, LocalServerStats } from './types.js';

const MAX_TRACKED_TASKS = 10_000;

/** Mutable counters behind {@link LocalServerStats}. */
export class ServerCounters {
  openConnections = 0;
  connectionsAccepted = 0;
  upgradesRejected = 0;
  tokensMinted = 0;
  messagesReceived = 0;
  started = 0;
  finished = 0;
  failed = 0;
  cancelled = 0;
  aborted = 0;
  active = 0;
  readonly #bytes = new Map<string, number>();
  /** The account-wide limits every connection's run-task passes through. */
  readonly accountLimits: AccountLimits;

  constructor(accountLimits?: AccountLimitOptions) {
    this.accountLimits = new AccountLimits(accountLimits);
  }

  /** Adds audio bytes to a task, keeping only the most recent tasks. */
  addBytes(taskId: string, bytes: number): void {
    const previous = this.#bytes.get(taskId);
    if (previous === undefined) {
      this.#bytes.set(taskId, bytes);
      if (this.#bytes.size > MAX_TRACKED_TASKS) {
        this.#bytes.delete(this.#bytes.keys().next().value!);
      }
    } else {
      this.#bytes.set(taskId, previous + bytes);
    }
  }

  /** Starts a task's byte count afresh (a task id reused on a socket: docs/protocol.md, "Task lifecycle"). */
  resetBytes(taskId: string): void {
    this.#bytes.delete(taskId);
    this.addBytes(taskId, 0);
  }

  /** A snapshot; the map is a copy. */
  snapshot(): LocalServerStats {
    return {
      openConnections: this.openConnections,
      connectionsAccepted: this.connectionsAccepted,
      upgradesRejected: this.upgradesRejected,
      tokensMinted: this.tokensMinted,
      messagesReceived: this.messagesReceived,
      tasks: {
        started: this.started,
        finished: this.finished,
        failed: this.failed,
        cancelled: this.cancelled,
        aborted: this.aborted,
        active: this.active,
      },
      bytesSentByTask: new Map(this.#bytes),
      account: this.accountLimits.snapshot(),
    };
  }
}
