/**
 * What the local generation endpoints accept: the request body (bounded) and its validation,
 * per the checklist in docs/protocol.md, "HTTP generation: local endpoints".
 */
import type { IncomingMessage } from 'node:http';
import type { AnswerRequest } from './answer.js';
import { ERRORS, type ErrorReply } from './errors.js';

/** The body, or undefined when it is over `limit` bytes (the rest is discarded). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.once('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.once('error', () => resolve(undefined));
  });
}

/** A JSON object with a model, a prompt or non-empty messages, and content arrays for multimodal. */
export function validateRequest(kind: 'text' | 'multimodal', body: unknown): AnswerRequest | ErrorReply {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return ERRORS.invalidParameter;
  const b = body as { model?: unknown; input?: unknown; parameters?: unknown };
  if (typeof b.model !== 'string' || b.model === '') return ERRORS.emptyModel;
  const input = (typeof b.input === 'object' && b.input !== null ? b.input : {}) as {
    prompt?: unknown;
    messages?: unknown;
  };
  const prompt = typeof input.prompt === 'string' ? input.prompt : undefined;
  const messages = Array.isArray(input.messages) && input.messages.length > 0 ? input.messages : undefined;
  if (prompt === undefined && messages === undefined) return ERRORS.missingInput;
  if (messages) {
    for (const m of messages as unknown[]) {
      if (typeof m !== 'object' || m === null || typeof (m as { role?: unknown }).role !== 'string') {
        return ERRORS.invalidParameter;
      }
      if (kind === 'multimodal' && !Array.isArray((m as { content?: unknown }).content))
        return ERRORS.invalidParameter;
    }
  }
  const parameters =
    typeof b.parameters === 'object' && b.parameters !== null
      ? (b.parameters as Record<string, unknown>)
      : {};
  const all = messages as { role: string; content: unknown }[] | undefined;
  // The SDKs append a prompt given with messages as a last user message.
  const withPrompt = all && prompt !== undefined ? [...all, { role: 'user', content: prompt }] : all;
  return { kind, prompt, messages: withPrompt, parameters };
}
