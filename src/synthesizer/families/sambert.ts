/**
 * Sambert's task shape (`streaming: "out"`): one run-task that carries the whole text; no
 * continue-task, no finish-task, the server ends the task by itself. There is no documented
 * cancel, so a cancelled task drains (its audio dropped) and the socket is closed if the server
 * does not end the task soon. Its results carry sentences with word and phoneme timings, kept
 * per task for `getTimestamps()`. See docs/protocol.md, "Sambert".
 */
import { InvalidStateError, UnsupportedOperationError } from '../../errors/index.js';
import {
  pickSambertParams,
  toSambertWireParameters,
  validateSambertParams,
  type ResolvedSambertParams,
  type SambertParams,
} from '../../params-sambert.js';
import {
  buildSambertRunTask,
  readSambertSentence,
  type SambertSentence,
  type SambertWireParameters,
} from '../../protocol-sambert.js';
import type { ScriptEntry, Task } from '../task.js';
import type { ModelFamily, RunTaskParameters } from './model-family.js';
import { mergeSentence } from './sambert-timestamps.js';

/** Each task's sentences, under the id of the attempt they came from (a retry starts afresh). */
const timestampsByTask = new WeakMap<Task, { taskId: string; sentences: SambertSentence[] }>();

function sentencesOf(task: Task): SambertSentence[] {
  let entry = timestampsByTask.get(task);
  if (entry?.taskId !== task.id) {
    entry = { taskId: task.id, sentences: [] };
    timestampsByTask.set(task, entry);
  }
  return entry.sentences;
}

/** The Sambert family: models named `sambert-*`. */
export const SAMBERT: ModelFamily = Object.freeze<ModelFamily>({
  name: 'sambert',
  validate: (params) => validateSambertParams(params as SambertParams),
  pick: (params) => pickSambertParams(params as SambertParams),
  toWire: (params) => toSambertWireParameters(params as ResolvedSambertParams),
  runTask(task: Task, model: string, parameters: RunTaskParameters): string {
    // The text travels in run-task: it is taken out of the script here, so the pump never sends
    // it again (a retry's replay takes it afresh).
    const entry = task.takeNext();
    if (entry?.kind !== 'text') {
      throw new InvalidStateError('internal: a Sambert task must start with its text');
    }
    return buildSambertRunTask(task.id, model, entry.text, parameters as SambertWireParameters);
  },
  frame(task: Task, entry: ScriptEntry): undefined {
    // Nothing follows run-task; the client's finish only means "now wait for task-finished".
    if (entry.kind === 'finish') task.markFinishing();
    return undefined;
  },
  cancelFrame: () => undefined,
  onResult(task, event) {
    const sentence = readSambertSentence(event.sentence);
    if (sentence) mergeSentence(sentencesOf(task), sentence);
  },
  checkStreaming(method: string, model: string): never {
    throw new UnsupportedOperationError(
      method,
      model,
      'Sambert takes the whole text in one message (run-task) and has no continue-task or ' +
        'finish-task; use call(text) or stream(text)',
    );
  },
  timestamps: (task) => (task ? [...(timestampsByTask.get(task)?.sentences ?? [])] : []),
});
