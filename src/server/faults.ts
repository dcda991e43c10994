/**
 * Fault injection: per-task faults (injected one-off or at a rate) and server-wide refusals.
 */
import { InvalidOptionError } from '../errors/index.js';
import type { FaultController, RefusalStatus, TaskFault } from './types.js';

export const TASK_FAULTS: readonly TaskFault[] = [
  'fail-at-start',
  'fail-mid-stream',
  'drop-mid-stream',
  'close-mid-stream',
  'hang',
  'throttle',
  'slow',
];
const REFUSAL_STATUSES: ReadonlySet<number> = new Set([401, 403, 429, 503]);

interface Injection {
  fault: TaskFault;
  remaining: number;
  match: string | undefined;
}

/** What the server must provide for the server-wide operations. */
export interface FaultHooks {
  killAllConnections(): number;
  closeIdleConnections(): number;
  setIdleTimeout(ms: number): void;
}

function checkFault(fault: unknown): asserts fault is TaskFault {
  if (!TASK_FAULTS.includes(fault as TaskFault)) {
    throw new InvalidOptionError(
      'fault',
      `invalid fault ${JSON.stringify(fault)}: expected one of ${TASK_FAULTS.join(', ')}`,
    );
  }
}

/** The server's {@link FaultController}, plus the queries the sessions make. */
export class Faults implements FaultController {
  readonly #hooks: FaultHooks;
  #injections: Injection[] = [];
  #rates = new Map<TaskFault, number>();
  #refusal: RefusalStatus | null = null;
  #refuseUntil = 0;

  constructor(hooks: FaultHooks) {
    this.#hooks = hooks;
  }

  injectTaskFault(fault: TaskFault, options: { count?: number; match?: string } = {}): void {
    checkFault(fault);
    const count = options.count ?? 1;
    if (!Number.isInteger(count) || count < 1) {
      throw new InvalidOptionError(
        'count',
        `invalid count ${JSON.stringify(count)}: expected an integer >= 1`,
      );
    }
    if (options.match !== undefined && (typeof options.match !== 'string' || options.match === '')) {
      throw new InvalidOptionError(
        'match',
        `invalid match ${JSON.stringify(options.match)}: expected a non-empty string`,
      );
    }
    this.#injections.push({ fault, remaining: count, match: options.match });
  }

  setTaskFaultRate(fault: TaskFault, probability: number): void {
    checkFault(fault);
    if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1)) {
      throw new InvalidOptionError(
        'probability',
        `invalid probability ${JSON.stringify(probability)}: expected a number from 0 to 1`,
      );
    }
    if (probability === 0) this.#rates.delete(fault);
    else this.#rates.set(fault, probability);
  }

  refuseUpgrades(status: RefusalStatus | null): void {
    if (status !== null && !REFUSAL_STATUSES.has(status)) {
      throw new InvalidOptionError(
        'status',
        `invalid status ${JSON.stringify(status)}: expected 401, 403, 429, 503 or null`,
      );
    }
    this.#refusal = status;
  }

  refuseConnections(durationMs: number): void {
    if (typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs < 0) {
      throw new InvalidOptionError(
        'durationMs',
        `invalid durationMs ${JSON.stringify(durationMs)}: expected ms >= 0`,
      );
    }
    this.#refuseUntil = Date.now() + durationMs;
  }

  killAllConnections(): number {
    return this.#hooks.killAllConnections();
  }

  closeIdleConnections(): number {
    return this.#hooks.closeIdleConnections();
  }

  setIdleTimeout(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
      throw new InvalidOptionError('ms', `invalid idle timeout ${JSON.stringify(ms)}: expected ms > 0`);
    }
    this.#hooks.setIdleTimeout(ms);
  }

  clearFaults(): void {
    this.#injections = [];
    this.#rates.clear();
    this.#refusal = null;
    this.#refuseUntil = 0;
  }

  /** The status to refuse upgrades with, or null. */
  get upgradeRefusal(): RefusalStatus | null {
    return this.#refusal;
  }

  /** Whether new TCP connections are being destroyed right now. */
  get refusingConnections(): boolean {
    return Date.now() < this.#refuseUntil;
  }

  /** Whether some injection waits for a task whose text matches. */
  get hasMatchers(): boolean {
    return this.#injections.some((i) => i.match !== undefined);
  }

  /** The fault of a task that is starting: an unconditional injection, else a rate draw. */
  takeAtStart(): TaskFault | undefined {
    const injected = this.#consume((i) => i.match === undefined);
    if (injected) return injected;
    for (const [fault, probability] of this.#rates) {
      if (Math.random() < probability) return fault;
    }
    return undefined;
  }

  /** The fault for a task whose first text is `text` (injections with `match`). */
  takeForText(text: string): TaskFault | undefined {
    return this.#consume((i) => i.match !== undefined && text.includes(i.match));
  }

  #consume(predicate: (injection: Injection) => boolean): TaskFault | undefined {
    const index = this.#injections.findIndex(predicate);
    if (index < 0) return undefined;
    const injection = this.#injections[index]!;
    if (--injection.remaining === 0) this.#injections.splice(index, 1);
    return injection.fault;
  }
}
