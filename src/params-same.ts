/**
 * Whether two sets of CosyVoice parameters are the same, cheaply: every pool borrow rebinds its
 * synthesizer's parameters, almost always to the ones it had, and need not validate them and
 * build their wire form again then.
 */
import type { SynthesisParams } from './params.js';

/**
 * Every CosyVoice synthesis parameter, and how {@link sameSynthesisParams} compares it: as a
 * value, by the format's fields, or as an object the caller owns (never taken as unchanged: it
 * may have been edited inside). The type makes a new parameter impossible to leave out here; the
 * test suite then checks that the comparison notices a change of each.
 */
export const SYNTHESIS_PARAM_KINDS = {
  model: 'value',
  voice: 'value',
  format: 'format',
  volume: 'value',
  speechRate: 'value',
  pitchRate: 'value',
  seed: 'value',
  instruction: 'value',
  languageHints: 'object',
  hotFix: 'object',
  enableSsml: 'value',
  wordTimestampEnabled: 'value',
  additionalParams: 'object',
} as const satisfies Record<keyof SynthesisParams, 'value' | 'format' | 'object'>;

/**
 * True when `next` holds the same CosyVoice parameters as `current` (already validated): then a
 * rebinding may keep them, and their wire form, as they are (every pool borrow rebinds). Compares
 * values, so that a format object edited in place is noticed; a parameter holding another object
 * or array (hot fixes, language hints, extra parameters) is never taken as the same. Written out
 * parameter by parameter (named property reads are what makes it cheap); see
 * {@link SYNTHESIS_PARAM_KINDS}.
 */
export function sameSynthesisParams(current: SynthesisParams, next: SynthesisParams): boolean {
  return (
    current.model === next.model &&
    current.voice === next.voice &&
    sameFormat(current.format, next.format) &&
    current.volume === next.volume &&
    current.speechRate === next.speechRate &&
    current.pitchRate === next.pitchRate &&
    current.seed === next.seed &&
    current.instruction === next.instruction &&
    current.enableSsml === next.enableSsml &&
    current.wordTimestampEnabled === next.wordTimestampEnabled &&
    current.languageHints === undefined &&
    next.languageHints === undefined &&
    current.hotFix === undefined &&
    next.hotFix === undefined &&
    current.additionalParams === undefined &&
    next.additionalParams === undefined
  );
}

function sameFormat(a: SynthesisParams['format'], b: SynthesisParams['format']): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    typeof b === 'object' &&
    b !== null &&
    a.format === b.format &&
    a.sampleRate === b.sampleRate &&
    a.bitRate === b.bitRate
  );
}
