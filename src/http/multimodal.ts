/**
 * `MultiModalConversation`: DashScope multimodal generation
 * (`/services/aigc/multimodal-generation/generation`) over the shared keep-alive pool.
 */
import { prepareCall, runCall, runStream } from './client.js';
import type { GenerationResult, MultiModalConversationParams } from './types.js';

/** Multimodal generation (Qwen-VL, Qwen-Audio, Qwen-Omni, ...). Content is an array of parts. */
export const MultiModalConversation = Object.freeze({
  /**
   * Sends one non-streaming call. A string `content` is sent as one `{text}` part.
   * @returns the result, once the connection is back in the pool.
   * @throws the same errors as `Generation.call`.
   */
  // async: a bad call rejects rather than throws, like every other failure of a call.
  async call(params: MultiModalConversationParams): Promise<GenerationResult> {
    return runCall(prepareCall('multimodal', params, false));
  },

  /**
   * Streams a call; see `Generation.stream`.
   * @throws {InvalidParameterError | InvalidOptionError | MissingApiKeyError} at once, for a bad call.
   */
  stream(params: MultiModalConversationParams): AsyncGenerator<GenerationResult, void, undefined> {
    return runStream(prepareCall('multimodal', params, true));
  },
});
