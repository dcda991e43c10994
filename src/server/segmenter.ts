/**
 * Splits streamed text into sentences the way the service does: a sentence ends at terminal
 * punctuation or a newline; an incomplete tail waits for more text, a flush or the finish.
 */

const TERMINALS = new Set(['。', '！', '？', '!', '?', '.', ';', '；', '\n', '…']);
// Closing quotes and brackets that belong to the sentence they close.
const CLOSERS = new Set(['"', "'", '”', '’', '」', '』', ')', '）', ']', '】', '》']);

/** Accumulates text and hands out complete sentences. */
export class SentenceSegmenter {
  #buffer = '';

  /** Text waiting for a sentence end. */
  get pending(): string {
    return this.#buffer;
  }

  /** Adds text and returns the sentences it completed (possibly none). */
  push(text: string): string[] {
    this.#buffer += text;
    const sentences: string[] = [];
    let start = 0;
    const chars = this.#buffer;
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]!;
      if (!TERMINALS.has(ch)) continue;
      // A period between digits ("3.14") does not end a sentence.
      if (ch === '.' && i + 1 < chars.length && /\d/.test(chars[i + 1]!) && /\d/.test(chars[i - 1] ?? '')) {
        continue;
      }
      let end = i + 1;
      while (end < chars.length && (TERMINALS.has(chars[end]!) || CLOSERS.has(chars[end]!))) end++;
      sentences.push(chars.slice(start, end));
      start = end;
      i = end - 1;
    }
    this.#buffer = chars.slice(start);
    return sentences;
  }

  /** Returns the buffered tail as a sentence (if any) and empties the buffer. */
  flush(): string[] {
    const tail = this.#buffer;
    this.#buffer = '';
    return tail === '' ? [] : [tail];
  }
}

/** Longest piece synthesized at once, in code points. */
export const MAX_SENTENCE_LENGTH = 300;
const SOFT_BREAKS = new Set(['，', ',', '、', '：', ':', ' ', '\t']);

/**
 * Cuts a sentence longer than `max` code points into pieces, preferring a comma or a space, so
 * that one unpunctuated 20 000-character message neither blocks the server for seconds nor
 * delays its first audio until the whole text is synthesized.
 */
export function splitLongSentence(sentence: string, max = MAX_SENTENCE_LENGTH): string[] {
  const chars = Array.from(sentence);
  if (chars.length <= max) return [sentence];
  const pieces: string[] = [];
  let start = 0;
  while (chars.length - start > max) {
    let cut = start + max;
    for (let i = start + max - 1; i > start + max / 2; i--) {
      if (SOFT_BREAKS.has(chars[i]!)) {
        cut = i + 1;
        break;
      }
    }
    pieces.push(chars.slice(start, cut).join(''));
    start = cut;
  }
  pieces.push(chars.slice(start).join(''));
  return pieces;
}

/** Whether a sentence has anything to say (not just whitespace). */
export function isSpeakable(sentence: string): boolean {
  return sentence.trim() !== '';
}
