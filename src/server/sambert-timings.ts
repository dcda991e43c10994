/**
 * The words and phonemes of a Sambert result. Words come from the engine's timings like
 * CosyVoice's; phonemes are stand-ins, since the local server has no pronunciation lexicon: each
 * letter of a Latin word and each character of a Chinese word is one phoneme, the word's time
 * spread evenly over them, with tone `"0"`. Their shape is the service's
 * (docs/protocol.md, "Sambert"); their content only has to be consistent.
 */
import type { PhonemeTiming, SambertWordTiming, WordTiming } from './events.js';

/** Splits a word's time evenly over its stand-in phonemes (rounded to whole ms, ends joined). */
export function phonemeTimings(word: Pick<WordTiming, 'text' | 'begin_time' | 'end_time'>): PhonemeTiming[] {
  const units = Array.from(word.text.toLowerCase()).filter((ch) => /[\p{L}\p{N}]/u.test(ch));
  const span = word.end_time - word.begin_time;
  return units.map((text, i) => ({
    text,
    begin_time: word.begin_time + Math.round((span * i) / units.length),
    end_time: word.begin_time + Math.round((span * (i + 1)) / units.length),
    tone: '0',
  }));
}

/** CosyVoice-style word timings as Sambert sends them: without indexes, with phonemes if asked. */
export function sambertWords(words: readonly WordTiming[], phonemes: boolean): SambertWordTiming[] {
  return words.map((word) => ({
    text: word.text,
    begin_time: word.begin_time,
    end_time: word.end_time,
    phonemes: phonemes ? phonemeTimings(word) : [],
  }));
}
