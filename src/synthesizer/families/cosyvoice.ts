/**
 * CosyVoice's task shape (`streaming: "duplex"`): run-task with the parameters and no text, the
 * text in continue-task frames, a flush as a continue-task, the end as finish-task, and a cancel
 * as finish-task with the cancel directive. See docs/protocol.md, "Run-task" to "Cancel".
 */
import { UnsupportedOperationError } from '../../errors/index.js';
import {
  pickSynthesisParams,
  toWireParameters,
  validateSynthesisParams,
  type SynthesisParams,
} from '../../params.js';
import {
  buildCancelTask,
  buildContinueTask,
  buildFinishTask,
  buildFlush,
  buildRunTask,
  type WireParameters,
} from '../../protocol.js';
import type { ScriptEntry, Task } from '../task.js';
import type { ModelFamily, RunTaskParameters } from './model-family.js';

/** The CosyVoice family: every model that is not Sambert. */
export const COSYVOICE: ModelFamily = Object.freeze<ModelFamily>({
  name: 'cosyvoice',
  validate: (params) => validateSynthesisParams(params as SynthesisParams),
  pick: (params) => pickSynthesisParams(params as SynthesisParams),
  toWire: (params) => toWireParameters(params as SynthesisParams),
  runTask: (task: Task, model: string, parameters: RunTaskParameters) =>
    buildRunTask(task.id, model, parameters as WireParameters),
  frame(task: Task, entry: ScriptEntry): string {
    switch (entry.kind) {
      case 'text':
        return buildContinueTask(task.id, entry.text);
      case 'flush':
        return buildFlush(task.id);
      case 'finish':
        task.markFinishing();
        return buildFinishTask(task.id);
    }
  },
  cancelFrame: buildCancelTask,
  checkStreaming: () => undefined,
  timestamps(_task: Task | undefined, model: string): never {
    throw new UnsupportedOperationError(
      'getTimestamps',
      model,
      'CosyVoice reports word timings in its sentence-end events; read them from the event callback or listener',
    );
  },
});
