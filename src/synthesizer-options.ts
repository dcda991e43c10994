/** @deprecated Temporary re-export while the pool moves to `./synthesizer/options.js`. */
export type { ResultCallback, SpeechSynthesizerOptions } from './synthesizer/options.js';
export type { SynthesizerHooks } from './synthesizer/internal.js';
