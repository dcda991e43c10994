/**
 * Shapes of HTTP generation requests and responses. `output` and `usage` keep DashScope's wire
 * names (snake_case), so the documentation of the service applies to them as written.
 */
import type http from 'node:http';
import type { HttpConnectionPool } from './pool.js';
import type { RetryOptions } from './retry.js';
import type { HttpTargetOptions } from './target.js';

/** A tool call of an assistant message. */
export interface ToolCall {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
  [key: string]: unknown;
}

/** A part of a multimodal message: `{text}`, `{image}`, `{audio}` or `{video}`. */
export interface MultiModalContentItem {
  text?: string;
  image?: string;
  audio?: string;
  video?: string | string[];
  [key: string]: unknown;
}

/** A chat message. `content` is a string for text generation, an array of parts for multimodal. */
export interface GenerationMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | (string & {});
  content: string | MultiModalContentItem[];
  reasoning_content?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  name?: string;
  [key: string]: unknown;
}

/** One result choice (`result_format: "message"`, and every multimodal answer). */
export interface GenerationChoice {
  /** `stop`, `length`, `tool_calls`; the string `"null"` while streaming. */
  finish_reason?: string;
  message: GenerationMessage;
  [key: string]: unknown;
}

/** `output` of a response. */
export interface GenerationOutput {
  /** With `result_format: "text"`. */
  text?: string;
  finish_reason?: string;
  choices?: GenerationChoice[];
  [key: string]: unknown;
}

/** Token counts; `usage` is cumulative in streams. */
export interface GenerationUsage {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
  [key: string]: unknown;
}

/** A successful response, or one event of a stream. */
export interface GenerationResult {
  /** The HTTP status (200). */
  statusCode: number;
  requestId: string;
  output: GenerationOutput;
  usage: GenerationUsage;
}

/** Options every HTTP generation call accepts besides the model parameters. */
export interface HttpCallOptions extends HttpTargetOptions {
  /** Aborts the call; it then rejects with `AbortError`. */
  signal?: AbortSignal | undefined;
  /** Deadline for the whole call (queueing, retries and a stream's last event included), ms. */
  timeout?: number | undefined;
  /** A caller-owned agent to send through; the library never closes it. */
  agent?: http.Agent | undefined;
  /** A pool to send through in place of the shared one. */
  pool?: HttpConnectionPool | undefined;
  /** Opt-in retries for 429 and 5xx (`true` for the defaults). Off by default. */
  retry?: boolean | RetryOptions | undefined;
}

/**
 * Parameters of a call: the model, the input, client options, and any model parameter. Model
 * parameters may be given in camelCase (`maxTokens`) or DashScope's snake_case (`max_tokens`);
 * they are sent in snake_case. `parameters` is merged in as it is.
 */
export interface GenerationParams extends HttpCallOptions {
  model: string;
  messages?: GenerationMessage[] | undefined;
  prompt?: string | undefined;
  /** `'text'` or `'message'`. */
  resultFormat?: 'text' | 'message' | undefined;
  /**
   * Streams only. `true` (default): each event carries the new text only. `false`: each event
   * carries all text so far; rebuilt on the client, as the official SDKs do.
   */
  incrementalOutput?: boolean | undefined;
  /** Raw parameters, sent as they are. */
  parameters?: Record<string, unknown> | undefined;
  [parameter: string]: unknown;
}

/** Parameters of a multimodal call; `messages` content is an array of parts. */
export interface MultiModalConversationParams extends GenerationParams {
  messages?: GenerationMessage[] | undefined;
}
