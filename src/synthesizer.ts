/** @deprecated Temporary re-export while the pool moves to `./synthesizer/speech-synthesizer.js`. */
export { SpeechSynthesizer } from './synthesizer/speech-synthesizer.js';
