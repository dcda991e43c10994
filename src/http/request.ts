/**
 * Builds the body and headers of a generation request from a call's parameters, as the official
 * SDKs do (docs/protocol.md, "HTTP generation: requests"), including the incremental-output
 * rewrite for streams. Pure: no I/O.
 */
import { InvalidOptionError, InvalidParameterError } from '../errors/index.js';
import type { HttpTarget } from './target.js';
import type { GenerationMessage, GenerationParams } from './types.js';
import { USER_AGENT } from '../version.js';

/** Keys of the call parameters that are not model parameters. */
const CLIENT_KEYS = new Set([
  'apiKey',
  'baseHttpApiUrl',
  'region',
  'workspace',
  'headers',
  'signal',
  'timeout',
  'agent',
  'pool',
  'retry',
  'model',
  'messages',
  'prompt',
  'input',
  'parameters',
  'resultFormat',
  'incrementalOutput',
  'stream',
]);

/** The request to send, and how to read the answer. */
export interface BuiltRequest {
  body: Buffer;
  headers: Record<string, string>;
  /** The caller asked for cumulative stream events; the client rebuilds them from increments. */
  rebuildCumulative: boolean;
}

/**
 * Validates the parameters and builds the request.
 * @throws {InvalidParameterError} when the model or the input is missing or malformed.
 */
export function buildGenerationRequest(
  kind: 'text' | 'multimodal',
  params: GenerationParams,
  target: HttpTarget,
  stream: boolean,
): BuiltRequest {
  if (typeof params !== 'object' || params === null) {
    throw new InvalidParameterError('params', 'the call parameters must be an object');
  }
  if (typeof params.model !== 'string' || params.model.trim() === '') {
    throw new InvalidParameterError('model', 'model must be a non-empty string, e.g. "qwen-plus"');
  }
  if (!stream && params.stream === true) {
    throw new InvalidOptionError(
      'stream',
      'use Generation.stream() / MultiModalConversation.stream() to stream',
    );
  }
  const input = buildInput(kind, params);

  const parameters: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    if (CLIENT_KEYS.has(key) || value === undefined) continue;
    parameters[snakeCase(key)] = value;
  }
  if (params.resultFormat !== undefined) parameters.result_format = params.resultFormat;
  if (params.parameters !== undefined) {
    if (typeof params.parameters !== 'object' || params.parameters === null) {
      throw new InvalidParameterError('parameters', 'parameters must be an object');
    }
    Object.assign(parameters, params.parameters);
  }

  let rebuildCumulative = false;
  const incremental = params.incrementalOutput ?? (parameters.incremental_output as boolean | undefined);
  if (stream) {
    // Like both SDKs: ask for increments and rebuild cumulative text here, except for the models
    // whose cumulative output the server must produce itself.
    const serverSide = /tts|omni|qwen-deep-research/.test(params.model);
    rebuildCumulative = incremental === false && !serverSide;
    parameters.incremental_output = incremental === false && serverSide ? false : true;
  } else if (incremental !== undefined) {
    parameters.incremental_output = incremental;
  }

  const body: Record<string, unknown> = { model: params.model, input };
  if (Object.keys(parameters).length > 0) body.parameters = parameters;

  // No Authorization here: the key is resolved when the call is sent (a key function may be slow).
  const headers: Record<string, string> = {
    'Content-Type': 'application/json; charset=utf-8',
    Accept: stream ? 'text/event-stream' : 'application/json; charset=utf-8',
    'User-Agent': `${USER_AGENT}; incremental_to_full/${rebuildCumulative ? 1 : 0}`,
  };
  if (stream) {
    headers['X-DashScope-SSE'] = 'enable';
    headers['X-Accel-Buffering'] = 'no';
    headers['Cache-Control'] = 'no-cache';
  }
  if (target.workspace) headers['X-DashScope-WorkSpace'] = target.workspace;
  if (usesOssResources(input)) headers['X-DashScope-OssResourceResolve'] = 'enable';
  Object.assign(headers, target.headers);

  return { body: Buffer.from(serialize(body), 'utf8'), headers, rebuildCumulative };
}

/** The request body as JSON; a BigInt or a cycle anywhere in it is the caller's parameter error. */
function serialize(body: Record<string, unknown>): string {
  try {
    return JSON.stringify(body);
  } catch (error) {
    throw new InvalidParameterError(
      'parameters',
      `the call cannot be sent as JSON (${error instanceof Error ? error.message.split('\n')[0] : 'unknown error'}): ` +
        'use plain strings, numbers, booleans, arrays and objects without cycles',
    );
  }
}

function buildInput(kind: 'text' | 'multimodal', params: GenerationParams): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  if (params.input !== undefined) {
    if (typeof params.input !== 'object' || params.input === null) {
      throw new InvalidParameterError('input', 'input must be an object');
    }
    Object.assign(input, params.input);
  }
  let messages: GenerationMessage[] | undefined;
  if (params.messages !== undefined) {
    if (!Array.isArray(params.messages)) {
      throw new InvalidParameterError('messages', 'messages must be an array of {role, content}');
    }
    messages = params.messages.map((m, i) => checkMessage(kind, m, i));
  }
  if (params.prompt !== undefined && typeof params.prompt !== 'string') {
    throw new InvalidParameterError('prompt', 'prompt must be a string');
  }
  if (messages !== undefined && params.prompt !== undefined) {
    // Both SDKs send the prompt as a last user message when both are given.
    messages.push(checkMessage(kind, { role: 'user', content: params.prompt }, messages.length));
  } else if (params.prompt !== undefined) {
    if (kind === 'multimodal') messages = [checkMessage(kind, { role: 'user', content: params.prompt }, 0)];
    else input.prompt = params.prompt;
  }
  if (messages !== undefined) input.messages = messages;
  const hasMessages = Array.isArray(input.messages) && input.messages.length > 0;
  if (!hasMessages && typeof input.prompt !== 'string' && input.text === undefined) {
    throw new InvalidParameterError('messages', 'either prompt or a non-empty messages array is required');
  }
  return input;
}

function checkMessage(kind: 'text' | 'multimodal', message: unknown, index: number): GenerationMessage {
  if (
    typeof message !== 'object' ||
    message === null ||
    typeof (message as GenerationMessage).role !== 'string'
  ) {
    throw new InvalidParameterError('messages', `messages[${index}] must be an object with a string role`);
  }
  const m = message as GenerationMessage;
  // Multimodal content is an array of parts; a plain string is taken as one text part.
  if (kind === 'multimodal' && typeof m.content === 'string') return { ...m, content: [{ text: m.content }] };
  return m;
}

function usesOssResources(input: Record<string, unknown>): boolean {
  const messages = input.messages;
  if (!Array.isArray(messages)) return false;
  return messages.some(
    (m: GenerationMessage) =>
      Array.isArray(m.content) &&
      m.content.some((part) =>
        Object.values(part).some((v) => typeof v === 'string' && v.startsWith('oss://')),
      ),
  );
}

/** `maxTokens` → `max_tokens`; snake_case keys stay as they are. */
export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
