/**
 * What differs between the model families that share the synthesizer, the task driver and the
 * pool: which parameters they take, which frames a task sends (its "task shape"), how a cancel
 * reaches the server, and what is kept from their results. One object per family
 * (`cosyvoice.ts`, `sambert.ts`); `select.ts` picks it by the model's name.
 */
import type { AnySynthesisParams } from '../../params-sambert.js';
import type { WireParameters, ResultGeneratedEvent } from '../../protocol.js';
import type { SambertSentence, SambertWireParameters } from '../../protocol-sambert.js';
import type { ScriptEntry, Task } from '../task.js';

/** The run-task `parameters` object of either family. */
export type RunTaskParameters = WireParameters | SambertWireParameters;

/** One model family's rules. Stateless: the same object serves every synthesizer. */
export interface ModelFamily {
  /** `cosyvoice` (text streamed in continue-task) or `sambert` (text in run-task). */
  readonly name: 'cosyvoice' | 'sambert';
  /** @throws {InvalidParameterError} naming the first parameter at fault. */
  validate(params: AnySynthesisParams): void;
  /** The family's parameters out of a larger, validated options object, in one canonical form. */
  pick(params: AnySynthesisParams): AnySynthesisParams;
  /** The run-task `parameters` of picked parameters. */
  toWire(params: AnySynthesisParams): RunTaskParameters;
  /** The run-task frame of the task's current attempt (it may take script entries into it). */
  runTask(task: Task, model: string, parameters: RunTaskParameters): string;
  /** The frame that sends one script entry, or undefined when this family sends none for it. */
  frame(task: Task, entry: ScriptEntry): string | undefined;
  /** The cancel message, or undefined when the family has none (the socket is drained or closed). */
  cancelFrame(taskId: string): string | undefined;
  /** Keeps what a result tells of the task (Sambert: its timestamps). Absent: nothing is kept. */
  readonly onResult?: ((task: Task, event: ResultGeneratedEvent) => void) | undefined;
  /**
   * Lets `streamingCall` / `streamingFlush` / `streamingComplete` (`method`) go on.
   * @throws {UnsupportedOperationError} when the family takes no streamed text (Sambert).
   */
  checkStreaming(method: string, model: string): void;
  /**
   * The sentences, words and phonemes of `task` so far (none without a task).
   * @throws {UnsupportedOperationError} when the family reports no timestamps (CosyVoice).
   */
  timestamps(task: Task | undefined, model: string): SambertSentence[];
}
