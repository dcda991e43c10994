/**
 * The speech engine seam: text in, 16-bit mono PCM and word timings out.
 */
import type { EngineName } from './types.js';
import type { VoiceProfile } from './voices.js';

/** One synthesis request: a single sentence. */
export interface SynthesisRequest {
  text: string;
  voice: VoiceProfile;
  /** Speaking rate, 0.5 to 2 (1 = normal). */
  rate: number;
  /** Pitch, 0.5 to 2 (1 = normal). */
  pitch: number;
}

/** Where a word of the request's text starts in the audio. */
export interface WordMark {
  /** Index of the word's first code point in the text. */
  charIndex: number;
  /** Length of the word in code points (0 when unknown). */
  charLength: number;
  /** Start of the word in the audio, ms. */
  timeMs: number;
}

export interface SynthesisResult {
  samples: Int16Array;
  sampleRate: number;
  words: WordMark[];
}

export interface SpeechEngine {
  readonly name: EngineName;
  /** Synthesizes one sentence. Loads heavy resources on first use. */
  synthesize(request: SynthesisRequest): Promise<SynthesisResult>;
}
