/** Which model family a model belongs to: the name decides (`sambert-*` is Sambert). */
import { isSambertModel } from '../../params-sambert.js';
import { COSYVOICE } from './cosyvoice.js';
import type { ModelFamily } from './model-family.js';
import { SAMBERT } from './sambert.js';

/** The family of `model`: Sambert for `sambert-*`, CosyVoice for anything else. */
export function familyOf(model: unknown): ModelFamily {
  return isSambertModel(model) ? SAMBERT : COSYVOICE;
}
