/**
 * Warm-up before the first task: espeak-ng and the encoders are WebAssembly, which V8 first
 * compiles quickly and later re-compiles optimised once it runs hot, and espeak reads each
 * language's data on first use. The first long sentence of a language therefore takes ~10×
 * longer than later ones (about 200 ms against 20 ms for English on a 2-core machine), which
 * the first tasks would see as first-packet delay. Speaking one sentence per language, and
 * encoding it, moves that cost before the server's first task.
 */
import { createEncoder } from './encoders/index.js';
import type { SpeechEngine } from './engine.js';
import { resample } from './resample.js';
import { resolveVoice } from './voices.js';

// Short, but varied on purpose: abbreviations, numbers and punctuation each run code that V8
// compiles on first use.
const ENGLISH = 'Good morning! TCP and TLS at 10:30, e.g. "Hello?" (3.5 s).';
const CHINESE = '早上好！在10点30分，例如“你好，世界？”（3.5秒）。';
/** One voice per espeak voice the server maps to (see voices.ts): each has a first-use cost. */
const SENTENCES: ReadonlyArray<[voice: string, text: string]> = [
  ['loongbella', ENGLISH], // en-us+f3
  ['loongandy', ENGLISH], // en-us
  ['loongemma', ENGLISH], // en+f3
  ['loongoliver', ENGLISH], // en
  ['longxiaochun', CHINESE], // cmn+f3
  ['longanyang', CHINESE], // cmn
];

const ENCODERS = [
  ['mp3', 22050],
  ['opus', 24000],
] as const;

/**
 * Synthesizes a sentence with each espeak voice and encodes one per language as mp3 and Opus
 * (when their optional packages are installed). Never throws: a failed warm-up only means a slower first task.
 * @returns how long it took, in ms.
 */
export async function warmUpEngine(engine: SpeechEngine): Promise<number> {
  const started = performance.now();
  for (const [name, text] of SENTENCES) {
    try {
      const result = await engine.synthesize({ text, voice: resolveVoice(name)!, rate: 1, pitch: 1 });
      // One encoder run per language is enough: the encoders do not care about the voice.
      const encoders = name === 'loongbella' || name === 'longxiaochun' ? ENCODERS : [];
      for (const [format, rate] of encoders) {
        const encoder = await createEncoder(format, rate).catch(() => undefined);
        if (!encoder) continue;
        try {
          encoder.encode(resample(result.samples, result.sampleRate, encoder.inputSampleRate), true);
        } finally {
          encoder.close();
        }
      }
    } catch {
      // Only a slower first task.
    }
  }
  return performance.now() - started;
}
