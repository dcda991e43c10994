/**
 * Real speech through espeak-ng compiled to WebAssembly (`@echogarden/espeak-ng-emscripten`, an
 * optional peer dependency: GPL-3.0, so never bundled). The module is loaded once per process
 * and initialised lazily on the first sentence (~200 ms); each sentence then takes ~15 ms.
 */
import type { ESpeakModule, ESpeakNGWorker } from '@echogarden/espeak-ng-emscripten';
import type { SpeechEngine, SynthesisResult, WordMark } from './engine.js';
import { espeakVoiceFor } from './voices.js';

const DEFAULT_WPM = 175;
const DEFAULT_PITCH = 50;

let modulePromise: Promise<() => Promise<ESpeakModule>> | undefined;
let workerPromise: Promise<ESpeakNGWorker> | undefined;

/** Imports the package (without initialising it). Rejects when it is not installed. */
export function importEspeak(): Promise<() => Promise<ESpeakModule>> {
  modulePromise ??= import('@echogarden/espeak-ng-emscripten').then((mod) => mod.default);
  // A failed import must not be cached forever: the next call may try again.
  modulePromise.catch(() => (modulePromise = undefined));
  return modulePromise;
}

function worker(): Promise<ESpeakNGWorker> {
  workerPromise ??= importEspeak()
    .then((init) => init())
    .then((mod) => new mod.eSpeakNGWorker());
  workerPromise.catch(() => (workerPromise = undefined));
  return workerPromise;
}

/** Creates the espeak engine (the heavy part loads on the first synthesis). */
export function createEspeakEngine(): SpeechEngine {
  return {
    name: 'espeak',
    async synthesize(request): Promise<SynthesisResult> {
      const w = await worker();
      const chars = Array.from(request.text);
      w.set_voice(espeakVoiceFor(request.voice, request.text));
      w.set_rate(Math.round(DEFAULT_WPM * clamp(request.rate)));
      w.set_pitch(Math.round(Math.min(99, DEFAULT_PITCH * clamp(request.pitch))));
      const chunks: Int16Array[] = [];
      const words: WordMark[] = [];
      let length = 0;
      // espeak reads digits and letters; a text of only punctuation still yields a short pause.
      w.synthesize(request.text, (samples, events) => {
        chunks.push(samples);
        length += samples.length;
        for (const event of events) {
          if (event.type !== 'word') continue;
          // text_position is 1-based in code points.
          const charIndex = Math.min(chars.length - 1, Math.max(0, event.text_position - 1));
          words.push({ charIndex, charLength: event.word_length, timeMs: event.audio_position });
        }
        return 0;
      });
      const pcm = new Int16Array(length);
      let offset = 0;
      for (const chunk of chunks) {
        pcm.set(chunk, offset);
        offset += chunk.length;
      }
      return { samples: pcm, sampleRate: w.samplerate, words };
    },
  };
}

function clamp(value: number): number {
  return Number.isFinite(value) ? Math.min(2, Math.max(0.5, value)) : 1;
}
