/**
 * Merging Sambert's sentences as they arrive. The service re-sends a sentence while it grows,
 * with the same `begin_time` and a rising `end_time`; the Python SDK keeps one entry per
 * sentence by replacing the last entry when a result has its `begin_time` and another
 * `end_time`, and ignoring an exact repeat. This does the same, so both report the same list.
 */
import type { SambertSentence } from '../../protocol-sambert.js';

/**
 * Adds `sentence` to `sentences` the way the Python SDK does: it replaces the last entry when
 * both begin at the same time and their ends differ, is dropped when it repeats the last entry's
 * times, and is appended otherwise.
 */
export function mergeSentence(sentences: SambertSentence[], sentence: SambertSentence): void {
  const last = sentences.length > 0 ? sentences[sentences.length - 1] : undefined;
  if (last !== undefined && last.beginTime === sentence.beginTime) {
    if (last.endTime !== sentence.endTime) sentences[sentences.length - 1] = sentence;
    return;
  }
  sentences.push(sentence);
}
