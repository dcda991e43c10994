/**
 * The fault one task plays, decided once: at run-task from an injection without `match` or a
 * rate draw, else at the task's first text from an injection whose `match` that text contains.
 */
import type { Faults } from './faults.js';
import { TASK_ERRORS, type TaskError } from './task-errors.js';
import type { TaskFault } from './types.js';

/** What a fault asks of its task the moment it is decided: fail it, hang it, or nothing yet. */
export type FaultOutcome = TaskError | 'hang' | 'go';

/** Faults that act on the task's first binary frame rather than when they are decided. */
const MID_STREAM_FAULTS: ReadonlySet<TaskFault> = new Set([
  'fail-mid-stream',
  'drop-mid-stream',
  'close-mid-stream',
]);

/** One task's fault decision. Create it at run-task; feed it the task's texts. */
export class TaskFaultPlan {
  readonly #faults: Faults;
  #fault: TaskFault | undefined;
  /** True while an injection with `match` may still claim this task by its first text. */
  #waitingForText: boolean;
  #outcomeTaken = false;

  constructor(faults: Faults) {
    this.#faults = faults;
    this.#fault = faults.takeAtStart();
    this.#waitingForText = this.#fault === undefined && faults.hasMatchers;
  }

  /**
   * Called at run-task (with the run-task's text, if any) and with every text that follows.
   * Decides on the first text when the decision waited for one, and returns the fault's
   * immediate outcome exactly once, on the call that sees the decision; `'go'` otherwise.
   */
  next(text: string | undefined): FaultOutcome {
    if (this.#waitingForText && text !== undefined) {
      this.#waitingForText = false;
      this.#fault = this.#faults.takeForText(text);
    }
    if (this.#waitingForText || this.#outcomeTaken) return 'go';
    this.#outcomeTaken = true;
    switch (this.#fault) {
      case 'fail-at-start':
        return TASK_ERRORS.internal;
      case 'throttle':
        return TASK_ERRORS.throttled;
      case 'hang':
        return 'hang';
      default:
        return 'go';
    }
  }

  /** The task's audio goes out no faster than real time (the `slow` fault). */
  get slow(): boolean {
    return this.#fault === 'slow';
  }

  /** The fault to play on the task's first binary frame, if the decision was one of those. */
  get midStream(): TaskFault | undefined {
    return this.#fault !== undefined && MID_STREAM_FAULTS.has(this.#fault) ? this.#fault : undefined;
  }
}
