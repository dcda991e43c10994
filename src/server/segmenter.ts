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

/** Whether a sentence has anything to say (not just whitespace). */
export function isSpeakable(sentence: string): boolean {
  return sentence.trim() !== '';
}
