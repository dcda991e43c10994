/**
 * Builders for the server's four events (docs/protocol.md, "Server events"): every event carries
 * `"attributes":{}` in its header and a `payload` object.
 */

export interface WordTiming {
  text: string;
  begin_index: number;
  end_index: number;
  begin_time: number;
  end_time: number;
}

function event(taskId: string, name: string, payload: object, extraHeader: object = {}): string {
  return JSON.stringify({
    header: { task_id: taskId, event: name, ...extraHeader, attributes: {} },
    payload,
  });
}

/** `task-started` with `payload:{}`. */
export function taskStarted(taskId: string): string {
  return event(taskId, 'task-started', {});
}

/** `result-generated` of type `sentence-begin`. */
export function sentenceBegin(taskId: string, index: number, originalText: string): string {
  return event(taskId, 'result-generated', {
    output: { type: 'sentence-begin', sentence: { index, words: [] }, original_text: originalText },
  });
}

/** `result-generated` of type `sentence-synthesis`: exactly one binary frame follows it. */
export function sentenceSynthesis(taskId: string, index: number): string {
  return event(taskId, 'result-generated', {
    output: { type: 'sentence-synthesis', sentence: { index, words: [] } },
  });
}

/** `result-generated` of type `sentence-end`, with the task's cumulative billable characters. */
export function sentenceEnd(
  taskId: string,
  index: number,
  originalText: string,
  words: WordTiming[],
  characters: number,
): string {
  return event(taskId, 'result-generated', {
    output: { type: 'sentence-end', sentence: { index, words }, original_text: originalText },
    usage: { characters },
  });
}

/** A phoneme of a Sambert word, as sent (times in ms from the task's start). */
export interface PhonemeTiming {
  text: string;
  begin_time: number;
  end_time: number;
  tone: string;
}

/** A word of a Sambert sentence, as sent: no indexes, and its phonemes (empty unless asked for). */
export interface SambertWordTiming {
  text: string;
  begin_time: number;
  end_time: number;
  phonemes: PhonemeTiming[];
}

/**
 * Sambert's result: a sentence with begin/end times (ms from the task's start) and its words.
 * `characters` (the task's billable count so far) is left out of the sentence's first sending,
 * which carries no words yet (docs/protocol.md, "Sambert").
 */
export function sambertResult(
  taskId: string,
  beginTime: number,
  endTime: number,
  words: SambertWordTiming[],
  characters: number | undefined,
): string {
  const output = { sentence: { begin_time: beginTime, end_time: endTime, words } };
  return event(
    taskId,
    'result-generated',
    characters === undefined ? { output } : { output, usage: { characters } },
  );
}

/**
 * `task-finished`; CosyVoice sends `{output:{}, usage}`, Sambert an empty payload
 * (docs/protocol.md, "Sambert").
 */
export function taskFinished(taskId: string, characters: number | undefined): string {
  return event(
    taskId,
    'task-finished',
    characters === undefined ? {} : { output: {}, usage: { characters } },
  );
}

/** `task-failed` with the error in the header and `payload:{}`. */
export function taskFailed(taskId: string, code: string, message: string): string {
  return event(taskId, 'task-failed', {}, { error_code: code, error_message: message });
}
