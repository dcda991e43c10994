/**
 * What a synthesizer's parameters bind it to: the model family (the model decides it, so that one
 * connection serves CosyVoice and Sambert in turn), the family's picked parameters and their
 * run-task wire form. Rebinding the same CosyVoice parameters again, as every pool borrow does,
 * keeps the binding as it is: compared by value (`params-same.ts`), not validated and built anew.
 */
import type { SynthesisParams } from '../params.js';
import type { AnySynthesisParams } from '../params-sambert.js';
import { sameSynthesisParams } from '../params-same.js';
import { COSYVOICE } from './families/cosyvoice.js';
import type { ModelFamily, RunTaskParameters } from './families/model-family.js';
import { familyOf } from './families/select.js';

/** A synthesizer's binding. */
export interface Binding {
  family: ModelFamily;
  params: AnySynthesisParams;
  wire: RunTaskParameters;
}

/**
 * The binding of `params`, validated; undefined when they are the same CosyVoice parameters as
 * `current`'s (the current binding stands).
 * @throws {InvalidParameterError} naming the first parameter at fault.
 */
export function resolveBinding(current: Binding, params: AnySynthesisParams): Binding | undefined {
  const family = familyOf((params as { model?: unknown } | null)?.model);
  if (
    family === COSYVOICE &&
    current.family === COSYVOICE &&
    sameSynthesisParams(current.params as SynthesisParams, params as SynthesisParams)
  ) {
    return undefined;
  }
  family.validate(params);
  return bindingOf(family, params);
}

/** The binding of `params`, already validated, for `family`. */
export function bindingOf(family: ModelFamily, params: AnySynthesisParams): Binding {
  const picked = family.pick(params);
  return { family, params: picked, wire: family.toWire(picked) };
}
