/**
 * Word timings for sentence-end: the sentence is split into words (each CJK ideograph is a word,
 * other words are runs of letters and digits), each word takes its start from the engine's word
 * events where one falls inside it, and words without one are spread evenly between neighbours.
 */
import type { WordMark } from './engine.js';
import type { WordTiming } from './events.js';

const CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/u;
const WORD_CHAR = /[\p{L}\p{N}'’]/u;

interface Token {
  text: string;
  begin: number;
  end: number;
}

function tokenize(chars: readonly string[]): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < chars.length) {
    const ch = chars[i]!;
    if (CJK.test(ch)) {
      tokens.push({ text: ch, begin: i, end: i + 1 });
      i++;
    } else if (WORD_CHAR.test(ch)) {
      let j = i + 1;
      while (j < chars.length && WORD_CHAR.test(chars[j]!) && !CJK.test(chars[j]!)) j++;
      tokens.push({ text: chars.slice(i, j).join(''), begin: i, end: j });
      i = j;
    } else {
      i++;
    }
  }
  return tokens;
}

/**
 * Computes the words of one sentence.
 * @param text the text given to the engine
 * @param marks the engine's word events for that text
 * @param durationMs the sentence's audio duration
 * @param offsetMs where the sentence starts in the task's audio (times are task-relative)
 * @param indexOffset code points of the sentence's original text before `text` starts
 */
export function wordTimings(
  text: string,
  marks: readonly WordMark[],
  durationMs: number,
  offsetMs: number,
  indexOffset = 0,
): WordTiming[] {
  const tokens = tokenize(Array.from(text));
  if (tokens.length === 0) return [];
  const starts: Array<number | undefined> = tokens.map((token) => {
    const mark = marks.find((m) => m.charIndex >= token.begin && m.charIndex < token.end);
    return mark && mark.timeMs <= durationMs ? mark.timeMs : undefined;
  });
  if (starts[0] === undefined) starts[0] = 0;
  // Fill gaps by spreading evenly between the known starts (or the sentence's end).
  for (let i = 1; i < tokens.length; i++) {
    if (starts[i] !== undefined) continue;
    let j = i;
    while (j < tokens.length && starts[j] === undefined) j++;
    const from = starts[i - 1]!;
    const to = j < tokens.length ? starts[j]! : durationMs;
    const step = Math.max(0, to - from) / (j - i + 1);
    for (let k = i; k < j; k++) starts[k] = from + step * (k - i + 1);
    i = j - 1;
  }
  return tokens.map((token, i) => {
    const begin = Math.round(starts[i]!);
    const next = i + 1 < tokens.length ? starts[i + 1]! : durationMs;
    const end = Math.max(begin, Math.round(next));
    return {
      text: token.text,
      begin_index: token.begin + indexOffset,
      end_index: token.end + indexOffset,
      begin_time: begin + offsetMs,
      end_time: end + offsetMs,
    };
  });
}
