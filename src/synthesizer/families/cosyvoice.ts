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
  runTaskPayload,
  type WireParameters,
} from '../../protocol.js';
import type { ScriptEntry, Task } from '../task.js';
import type { ModelFamily, RunTaskParameters } from './model-family.js';

// run-task's payload JSON, per wire object: a synthesizer keeps its wire object while its
// parameters stay the same (every pool borrow rebinds the same ones), so the JSON is written once.
// Parameters that hold objects the caller owns (hints, hot fixes, extras) are written anew each task.
const payloads = new WeakMap<WireParameters, { model: string; json: string }>();

function payloadOf(model: string, parameters: WireParameters): string {
  const cached = payloads.get(parameters);
  if (cached?.model === model) return cached.json;
  const json = runTaskPayload(model, parameters);
  if (!Object.values(parameters).some((v) => typeof v === 'object' && v !== null)) {
    payloads.set(parameters, { model, json });
  }
  return json;
}

/** The CosyVoice family: every model that is not Sambert. */
export const COSYVOICE: ModelFamily = Object.freeze<ModelFamily>({
  name: 'cosyvoice',
  validate: (params) => validateSynthesisParams(params as SynthesisParams),
  pick: (params) => pickSynthesisParams(params as SynthesisParams),
  toWire: (params) => toWireParameters(params as SynthesisParams),
  runTask: (task: Task, model: string, parameters: RunTaskParameters) =>
    buildRunTask(
      task.id,
      model,
      parameters as WireParameters,
      payloadOf(model, parameters as WireParameters),
    ),
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
