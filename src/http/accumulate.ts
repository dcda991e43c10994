/**
 * Rebuilds cumulative stream events from incremental ones, as the official SDKs do when a caller
 * asks for `incremental_output: false`: text, reasoning text, multimodal text parts and tool-call
 * arguments are concatenated per choice. Pure: no I/O.
 */
import type { GenerationChoice, GenerationResult, MultiModalContentItem, ToolCall } from './types.js';

interface ChoiceState {
  content: string;
  reasoning: string;
  multimodal: boolean;
  toolCalls: ToolCall[];
}

/** Turns each incremental event into the cumulative one. One instance per stream. */
export class CumulativeText {
  #text = '';
  readonly #choices = new Map<number, ChoiceState>();

  /** Returns a copy of `event` whose text holds everything so far. */
  apply(event: GenerationResult): GenerationResult {
    const output = { ...event.output };
    if (typeof output.text === 'string') {
      this.#text += output.text;
      output.text = this.#text;
    }
    if (Array.isArray(output.choices)) {
      output.choices = output.choices.map((choice, i) => this.#choice(choice, i));
    }
    return { ...event, output };
  }

  #choice(choice: GenerationChoice, position: number): GenerationChoice {
    const index = typeof choice.index === 'number' ? choice.index : position;
    let state = this.#choices.get(index);
    if (!state) {
      state = { content: '', reasoning: '', multimodal: false, toolCalls: [] };
      this.#choices.set(index, state);
    }
    const message = { ...choice.message };
    if (typeof message.content === 'string') {
      state.content += message.content;
      message.content = state.content;
    } else if (Array.isArray(message.content)) {
      state.multimodal = true;
      state.content += message.content.map((part: MultiModalContentItem) => part.text ?? '').join('');
      const others = message.content.filter((part) => part.text === undefined);
      message.content = [{ text: state.content }, ...others];
    }
    if (typeof message.reasoning_content === 'string') {
      state.reasoning += message.reasoning_content;
      message.reasoning_content = state.reasoning;
    }
    if (Array.isArray(message.tool_calls)) {
      message.tool_calls.forEach((call, i) => mergeToolCall(state.toolCalls, call, i));
      message.tool_calls = state.toolCalls.map((c) => ({ ...c, function: { ...c.function } }));
    }
    return { ...choice, message };
  }
}

function mergeToolCall(calls: ToolCall[], delta: ToolCall, position: number): void {
  const index = typeof delta.index === 'number' ? delta.index : position;
  const known = calls[index];
  if (!known) {
    calls[index] = { ...delta, function: { ...delta.function } };
    return;
  }
  if (delta.id) known.id = delta.id;
  if (delta.type) known.type = delta.type;
  const fn = (known.function ??= {});
  if (delta.function?.name)
    fn.name = (fn.name ?? '') === delta.function.name ? fn.name : (fn.name ?? '') + delta.function.name;
  if (delta.function?.arguments) fn.arguments = (fn.arguments ?? '') + delta.function.arguments;
}
