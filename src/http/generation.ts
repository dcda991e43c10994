/**
 * `Generation`: DashScope text generation (`/services/aigc/text-generation/generation`) over the
 * shared keep-alive pool.
 */
import { prepareCall, runCall, runStream } from './client.js';
import type { GenerationParams, GenerationResult } from './types.js';

/** Text generation (Qwen models). */
export const Generation = Object.freeze({
  /**
   * Sends one non-streaming call.
   * @returns the result (`requestId`, `output`, `usage`, `statusCode`), once the connection is
   *   back in the pool.
   * @throws {HttpRequestError} for an HTTP error status (status, errorCode, errorMessage, requestId).
   * @throws {RequestTimeoutError | RequestQueueTimeoutError | RequestQueueFullError | HttpConnectionError | AbortError}
   * @throws {InvalidParameterError | InvalidOptionError | MissingApiKeyError} before sending anything.
   */
  // async: a bad call rejects rather than throws, like every other failure of a call.
  async call(params: GenerationParams): Promise<GenerationResult> {
    return runCall(prepareCall('text', params, false));
  },

  /**
   * Streams a call (`X-DashScope-SSE: enable`): an async iterable of results, one per event,
   * incremental by default. The request is sent on the first iteration; breaking out of the loop
   * releases the connection at once. An in-stream error event is thrown as `HttpRequestError`.
   * @throws {InvalidParameterError | InvalidOptionError | MissingApiKeyError} at once, for a bad call.
   */
  stream(params: GenerationParams): AsyncGenerator<GenerationResult, void, undefined> {
    return runStream(prepareCall('text', params, true));
  },
});
