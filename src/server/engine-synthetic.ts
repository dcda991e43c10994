/**
 * The built-in synthetic voice: a deterministic, clearly voiced signal (harmonics of a gliding
 * fundamental under per-syllable envelopes) whose length follows the text. It stands in for real
 * speech when espeak-ng is not installed, and is fast enough for load tests.
 */
import type { SpeechEngine, SynthesisRequest, SynthesisResult, WordMark } from './engine.js';

const SAMPLE_RATE = 22050;
/** Per spoken character; CJK characters are syllables and last longer. */
const LATIN_MS = 60;
const CJK_MS = 180;
const PAUSE_MS = 90;
const CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/u;
const WORD_CHAR = /[\p{L}\p{N}]/u;
const HARMONICS = [1, 0.55, 0.35, 0.22, 0.14, 0.08];

function characterMs(ch: string): number {
  if (CJK.test(ch)) return CJK_MS;
  if (WORD_CHAR.test(ch)) return LATIN_MS;
  if (/\s/.test(ch)) return LATIN_MS / 2;
  return PAUSE_MS;
}

/** Generates the signal; exported for the engine and for tests. */
export function synthesizeSynthetic(request: SynthesisRequest): SynthesisResult {
  const chars = Array.from(request.text);
  const rate = clamp(request.rate, 0.5, 2);
  const pitch = clamp(request.pitch, 0.5, 2);
  const base = (request.voice.gender === 'female' ? 210 : 120) * pitch;
  const spans = chars.map((ch) => Math.round(((characterMs(ch) / rate) * SAMPLE_RATE) / 1000));
  const total = spans.reduce((a, b) => a + b, 0);
  const samples = new Int16Array(total);
  const words: WordMark[] = [];
  let offset = 0;
  let phase = 0;
  let inWord = false;
  for (let c = 0; c < chars.length; c++) {
    const ch = chars[c]!;
    const span = spans[c]!;
    const voiced = WORD_CHAR.test(ch);
    if (voiced && (!inWord || CJK.test(ch))) {
      words.push({ charIndex: c, charLength: 0, timeMs: Math.round((offset * 1000) / SAMPLE_RATE) });
    }
    if (voiced && words.length > 0)
      words[words.length - 1]!.charLength = c + 1 - words[words.length - 1]!.charIndex;
    inWord = voiced && !CJK.test(ch);
    if (voiced) {
      // A small deterministic pitch contour per character keeps the signal speech-like.
      const code = ch.codePointAt(0) ?? 0;
      const f0Start = base * (1 + ((code % 7) - 3) * 0.03);
      const f0End = f0Start * (1 + ((code % 5) - 2) * 0.04);
      for (let i = 0; i < span; i++) {
        const t = i / span;
        const f0 = f0Start + (f0End - f0Start) * t;
        phase += (2 * Math.PI * f0) / SAMPLE_RATE;
        let value = 0;
        for (let h = 0; h < HARMONICS.length; h++) value += HARMONICS[h]! * Math.sin(phase * (h + 1));
        const envelope = Math.min(1, t * 8) * Math.min(1, (1 - t) * 6);
        samples[offset + i] = Math.round(value * envelope * 6000);
      }
      if (phase > 1e6) phase %= 2 * Math.PI;
    }
    offset += span;
  }
  return { samples, sampleRate: SAMPLE_RATE, words };
}

function clamp(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : 1;
}

/** Creates the synthetic engine. */
export function createSyntheticEngine(): SpeechEngine {
  return {
    name: 'synthetic',
    synthesize: (request) => Promise.resolve(synthesizeSynthetic(request)),
  };
}
