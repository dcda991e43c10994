/**
 * Speech that a Stop can really stop, shared by the examples that stream pooled speech to a client.
 *
 * `synth.stream(text)` sends finish-task right after the text. Once finish-task is out, the
 * protocol has no safe way to cancel: a cancel directive could reach the server after the task
 * ended, so the synthesizer can only drop the remaining audio and wait (or close the socket)
 * while the server goes on synthesizing. Here the text goes out with a flush (the server speaks
 * every sentence at once) and finish-task is held back until the server has reported every
 * sentence spoken (`sentence-end` events whose `original_text` covers the text). Until then a
 * cancel is the documented cancel directive: the server stops at once and the connection is kept.
 */
import {
  DashScopeError,
  type ResultCallback,
  type SpeechSynthesizer,
  type SpeechSynthesizerObjectPool,
  type SynthesisParams,
  type TaskMetrics,
} from '../src/index.js';

/** Options of {@link speakCancellably}. */
export interface CancellableSpeechOptions {
  /** Receives every audio chunk, in order, as it arrives. */
  onAudio: (chunk: Buffer, synth: SpeechSynthesizer) => void;
  /** Aborting gives up waiting for a synthesizer, or cancels the task on the server. */
  signal?: AbortSignal | undefined;
  /** How long to wait for a free synthesizer (the pool's acquireTimeoutMs by default). */
  borrowTimeoutMs?: number | undefined;
  /**
   * Silence after which finish-task goes out although not all text was reported spoken (a
   * server whose `original_text` differs from the text sent). Default 5000 ms.
   */
  quietMs?: number | undefined;
}

/** How a {@link speakCancellably} call ended. */
export interface CancellableSpeechResult {
  outcome: 'finished' | 'cancelled';
  /** The server's task id; undefined when the call was cancelled before a task started. */
  taskId: string | undefined;
  /** The task's timings and sizes; undefined when no task started. */
  metrics: TaskMetrics | undefined;
}

/**
 * Borrows a synthesizer, speaks `text` on it and hands the audio to `onAudio` as it arrives.
 * An abort through `signal` cancels the task on the server and returns the synthesizer.
 * @returns how the speech ended (`cancelled` only through `signal`).
 * @throws {DashScopeError} when no synthesizer could be borrowed or the task failed.
 */
export async function speakCancellably(
  pool: SpeechSynthesizerObjectPool,
  params: SynthesisParams,
  text: string,
  options: CancellableSpeechOptions,
): Promise<CancellableSpeechResult> {
  const { signal } = options;
  const quietMs = options.quietMs ?? 5_000;
  const wanted = squeeze(text).length;
  let spoken = 0;
  let failure: DashScopeError | undefined;
  let ended = false;
  let synth: SpeechSynthesizer | undefined;
  // While finish-task is held back, silence for quietMs ends the wait.
  let holding = false;
  let quietTimer: NodeJS.Timeout | undefined;
  let wake = (): void => undefined;
  const woken = new Promise<void>((resolve) => (wake = resolve));
  const rearmQuiet = (): void => {
    if (!holding) return;
    clearTimeout(quietTimer);
    quietTimer = setTimeout(wake, quietMs);
  };
  const callback: ResultCallback = {
    onData: (chunk) => {
      rearmQuiet();
      options.onAudio(chunk, synth!);
    },
    onEvent: (message) => {
      rearmQuiet();
      const said = sentenceEndText(message);
      if (said === undefined) return;
      spoken += squeeze(said).length;
      if (spoken >= wanted) wake();
    },
    onError: (error) => {
      failure = error;
      wake();
    },
    onClose: () => {
      ended = true;
      wake();
    },
  };
  signal?.addEventListener('abort', wake, { once: true });
  try {
    return await pool.withSynthesizer(
      { ...params, callback },
      async (borrowed): Promise<CancellableSpeechResult> => {
        synth = borrowed;
        const result = (outcome: CancellableSpeechResult['outcome']): CancellableSpeechResult => ({
          outcome,
          taskId: borrowed.getLastRequestId(),
          metrics: borrowed.getTaskMetrics(),
        });
        try {
          await borrowed.streamingCall(text);
          await borrowed.streamingFlush();
          holding = true;
          rearmQuiet();
          if (wanted === 0) wake();
          await woken;
          holding = false;
          clearTimeout(quietTimer);
          if (failure) throw failure;
          if (signal?.aborted) throw signal.reason;
          if (ended) return result(borrowed.lastTaskOutcome === 'finished' ? 'finished' : 'cancelled');
          await borrowed.streamingComplete({ signal });
          return result('finished');
        } catch (error) {
          if (!signal?.aborted) throw error;
          // Whatever the abort interrupted, the task is cancelled before the synthesizer goes back
          // (a synthesizer returned mid-task would be closed instead of kept).
          await borrowed.streamingCancel();
          return result('cancelled');
        }
      },
      { signal, timeoutMs: options.borrowTimeoutMs },
    );
  } catch (error) {
    // Aborted while still waiting for a synthesizer: nothing was started.
    if (signal?.aborted && error instanceof DashScopeError && error.code === 'DS_ERR_ABORTED') {
      return { outcome: 'cancelled', taskId: undefined, metrics: undefined };
    }
    throw error;
  } finally {
    clearTimeout(quietTimer);
    signal?.removeEventListener('abort', wake);
  }
}

/** The text without white space: what `original_text` of the sentences adds up to. */
function squeeze(text: string): string {
  return text.replace(/\s+/g, '');
}

/** The `original_text` of a `sentence-end` result, else undefined. */
function sentenceEndText(message: string): string | undefined {
  try {
    const event = JSON.parse(message) as {
      header?: { event?: string };
      payload?: { output?: { type?: string; original_text?: unknown } };
    };
    const output = event.payload?.output;
    if (event.header?.event !== 'result-generated' || output?.type !== 'sentence-end') return undefined;
    return typeof output.original_text === 'string' ? output.original_text : undefined;
  } catch {
    return undefined;
  }
}
