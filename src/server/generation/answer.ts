/**
 * Deterministic answers of the local generation endpoints: the reply text is derived from the last
 * user message ("Say hello" → "Hello", anything else is echoed), streams split it into 3-character
 * chunks, and token counts follow fixed rules. Matches the examples TV1-TV3
 * of docs/protocol.md, "HTTP generation: examples".
 */

/** What a validated request asks for. */
export interface AnswerRequest {
  kind: 'text' | 'multimodal';
  prompt: string | undefined;
  messages: { role: string; content: unknown }[] | undefined;
  parameters: Record<string, unknown>;
}

/** Characters per stream chunk. */
export const CHUNK_SIZE = 3;

/** The reply text for a request. */
export function answerText(request: AnswerRequest): string {
  const text = lastUserText(request);
  const say = /^\s*say\s+(.+?)\s*$/is.exec(text);
  if (say) return capitalize(say[1]!);
  return text;
}

/** Input tokens: words of every message plus one per message. */
export function inputTokens(request: AnswerRequest): number {
  if (request.messages) {
    return request.messages.reduce((n, m) => n + countWords(contentText(m.content)) + 1, 0);
  }
  return countWords(request.prompt ?? '') + 1;
}

/** Output tokens of a whole reply: its words (at least one for a non-empty reply). */
export function outputTokens(text: string): number {
  return text === '' ? 0 : Math.max(1, countWords(text));
}

/** The reply split into stream chunks (by code point, so no character is cut in two). */
export function chunks(text: string): string[] {
  const points = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < points.length; i += CHUNK_SIZE) out.push(points.slice(i, i + CHUNK_SIZE).join(''));
  return out;
}

function lastUserText(request: AnswerRequest): string {
  if (request.messages) {
    for (let i = request.messages.length - 1; i >= 0; i -= 1) {
      const m = request.messages[i]!;
      if (m.role === 'user') return contentText(m.content) || describeMedia(m.content);
    }
    return '';
  }
  return request.prompt ?? '';
}

/** The text of a message: the string, or the text parts of a multimodal content array. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) =>
      part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string'
        ? (part as { text: string }).text
        : '',
    )
    .filter((t) => t !== '')
    .join(' ');
}

function describeMedia(content: unknown): string {
  if (!Array.isArray(content)) return '';
  const kinds = content
    .map((part: unknown) =>
      part && typeof part === 'object'
        ? Object.keys(part).find((k) => ['image', 'audio', 'video'].includes(k))
        : undefined,
    )
    .filter((k): k is string => k !== undefined);
  return kinds.length === 0 ? '' : `Received ${kinds.join(', ')}`;
}

function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => w !== '').length;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
