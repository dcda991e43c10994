/**
 * Pooled speech streamed into an HTTP response, shared by the examples. The status line waits for
 * the first audio, so a task the service refuses still gets an error status; after that every
 * chunk is written as it arrives. A client that hangs up cancels the task on the server (see
 * cancellable-speech.ts) and the synthesizer goes back to the pool.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import {
  DashScopeError,
  TaskFailedError,
  type SpeechSynthesizer,
  type SpeechSynthesizerObjectPool,
  type SynthesisParams,
} from '../src/index.js';
import { speakCancellably, type CancellableSpeechResult } from './cancellable-speech.js';

/** What to speak, and how. */
export interface SpeechRequest {
  text: string;
  params: SynthesisParams;
  /** Aborting cancels the task on the server (a hang-up does so too). */
  signal?: AbortSignal | undefined;
  /** How long to wait for a free synthesizer (the pool's acquireTimeoutMs by default). */
  borrowTimeoutMs?: number | undefined;
  /** Silence that ends the wait for all text to be spoken (see cancellable-speech.ts). Default 5000 ms. */
  quietMs?: number | undefined;
  /** Extra headers of the 200 response, read once the first audio is there. */
  headers?: ((synth: SpeechSynthesizer) => OutgoingHttpHeaders) | undefined;
}

/** How a streamed speech ended. */
export interface StreamedSpeechResult extends CancellableSpeechResult {
  /** Audio bytes written into the response. */
  bytes: number;
}

/**
 * Speaks `request.text` into `response`: 200 with the audio as it arrives, or 204 when it was
 * cancelled before any audio. The response is ended here on success.
 * @returns how the speech ended and how many audio bytes were written.
 * @throws {DashScopeError} before any audio, with the response untouched (answer it with
 *   {@link httpStatusOf}); after audio was sent, the response is destroyed and the error rethrown.
 */
export async function speakIntoResponse(
  pool: SpeechSynthesizerObjectPool,
  request: SpeechRequest,
  response: ServerResponse,
): Promise<StreamedSpeechResult> {
  const hangUp = new AbortController();
  const onClose = (): void => {
    if (!response.writableFinished) hangUp.abort(new Error('the client hung up'));
  };
  response.once('close', onClose);
  const signal = request.signal ? AbortSignal.any([request.signal, hangUp.signal]) : hangUp.signal;
  let bytes = 0;
  try {
    const result = await speakCancellably(pool, request.params, request.text, {
      signal,
      borrowTimeoutMs: request.borrowTimeoutMs,
      quietMs: request.quietMs,
      onAudio: (chunk, synth) => {
        if (response.destroyed) return;
        if (!response.headersSent) {
          response.writeHead(200, {
            'content-type': contentTypeOf(request.params),
            'cache-control': 'no-store',
            'x-task-id': synth.getLastRequestId() ?? '',
            ...request.headers?.(synth),
          });
        }
        bytes += chunk.length;
        // No pause here: a task's audio is at most a few megabytes, which Node buffers for a
        // slow reader (synth.stream() would apply backpressure, but could not cancel; see above).
        response.write(chunk);
      },
    });
    if (!response.headersSent) response.writeHead(result.outcome === 'cancelled' ? 204 : 200);
    response.end();
    return { ...result, bytes };
  } catch (error) {
    if (response.headersSent) response.destroy();
    throw error;
  } finally {
    response.off('close', onClose);
  }
}

/** The HTTP status that answers a speech error: 400 for the caller's mistakes, 503 when busy. */
export function httpStatusOf(error: unknown): number {
  if (!(error instanceof DashScopeError)) return 500;
  if (error.code === 'DS_ERR_INVALID_PARAMETER') return 400;
  if (error instanceof TaskFailedError) {
    if (error.errorCode === 'InvalidParameter') return 400;
    if (error.retryable) return 429;
    return 502;
  }
  switch (error.code) {
    case 'DS_ERR_POOL_ACQUIRE_TIMEOUT':
    case 'DS_ERR_POOL_QUEUE_FULL':
    case 'DS_ERR_POOL_CLOSED':
    case 'DS_ERR_POOL_UNAVAILABLE':
      return 503;
    default:
      return 502;
  }
}

/** The media type of a format. */
export function contentTypeOf(params: SynthesisParams): string {
  switch (params.format?.format) {
    case 'wav':
      return 'audio/wav';
    case 'pcm':
      return 'application/octet-stream';
    case 'opus':
      return 'audio/ogg';
    default:
      // mp3, also the server's default format.
      return 'audio/mpeg';
  }
}
