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
  /** Position of the call among the message's calls (streams send calls in pieces by index). */
  index?: number;
  /** The call's id, echoed by the `tool` message that answers it. */
  id?: string;
  /** `function`. */
  type?: string;
  /** The function to call. */
  function?: {
    /** The function's name. */
    name?: string;
    /** Its arguments, as a JSON string. */
    arguments?: string;
  };
  [key: string]: unknown;
}

/** A part of a multimodal message: `{text}`, `{image}`, `{audio}` or `{video}`. */
export interface MultiModalContentItem {
  /** Text. */
  text?: string;
  /** An image URL (or `file://` path, or data URL). */
  image?: string;
  /** An audio URL. */
  audio?: string;
  /** A video URL, or a list of frame image URLs. */
  video?: string | string[];
  [key: string]: unknown;
}

/** A chat message. `content` is a string for text generation, an array of parts for multimodal. */
export interface GenerationMessage {
  /** Who speaks: `system`, `user`, `assistant` or `tool`. */
  role: 'system' | 'user' | 'assistant' | 'tool' | (string & {});
  /** The text, or the parts of a multimodal message. */
  content: string | MultiModalContentItem[];
  /** The model's reasoning, from reasoning models. */
  reasoning_content?: string;
  /** Tools the assistant asks to call. */
  tool_calls?: ToolCall[];
  /** In a `tool` message: the id of the call it answers. */
  tool_call_id?: string;
  /** In a `tool` message: the tool's name. */
  name?: string;
  [key: string]: unknown;
}

/** One result choice (`result_format: "message"`, and every multimodal answer). */
export interface GenerationChoice {
  /** `stop`, `length`, `tool_calls`; the string `"null"` while streaming. */
  finish_reason?: string;
  /** The answer. */
  message: GenerationMessage;
  [key: string]: unknown;
}

/** `output` of a response. */
export interface GenerationOutput {
  /** With `result_format: "text"`. */
  text?: string;
  /** With `result_format: "text"`: `stop`, `length`, or `"null"` while streaming. */
  finish_reason?: string;
  /** With `result_format: "message"` (and every multimodal answer). */
  choices?: GenerationChoice[];
  [key: string]: unknown;
}

/** Token counts; `usage` is cumulative in streams. */
export interface GenerationUsage {
  /** Tokens of the input. */
  input_tokens?: number;
  /** Tokens of the output. */
  output_tokens?: number;
  /** Input and output together. */
  total_tokens?: number;
  [key: string]: unknown;
}

/** A successful response, or one event of a stream. */
export interface GenerationResult {
  /** The HTTP status (200). */
  statusCode: number;
  /** DashScope's request id, for support tickets. */
  requestId: string;
  /** The answer (for a stream event: its part of the answer). */
  output: GenerationOutput;
  /** Token counts (cumulative in streams). */
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
  /** The model, e.g. `qwen-plus`. */
  model: string;
  /** The conversation; or `prompt` for a single user message. */
  messages?: GenerationMessage[] | undefined;
  /** A user message: the whole input, or appended to `messages` as their last. */
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
  /** The conversation; each message's content is an array of parts. */
  messages?: GenerationMessage[] | undefined;
}
