/**
 * The three ways of running a task that the benchmarks compare: the pooled library, the library
 * with a fresh connection per task, and the bare `ws` exchange on persistent sockets.
 */
import { SpeechSynthesizerObjectPool } from '../../src/pool/object-pool.js';
import type { PoolOptions } from '../../src/pool/options.js';
import { SpeechSynthesizer } from '../../src/synthesizer/speech-synthesizer.js';
import type { SynthesisParams } from '../../src/params.js';
import { openBareConnections, type BareConnection } from './bare-client.js';
import type { TaskResult } from './load.js';
import { BENCH_API_KEY } from './server-process.js';

/** Short text: the point is the transport, not synthesis (~0.4 s of 16 kHz PCM, ~12 KB, 2 frames). */
export const TEXT = 'Hello.';
export const PARAMS: SynthesisParams = {
  model: 'cosyvoice-v3-flash',
  voice: 'longanyang',
  format: { format: 'pcm', sampleRate: 16000 },
};
/** What the library puts on the wire for PARAMS (checked once against toWireParameters). */
export const WIRE_PARAMETERS = {
  voice: 'longanyang',
  text_type: 'PlainText',
  format: 'pcm',
  sample_rate: 16000,
  volume: 50,
  rate: 1,
  pitch: 1,
};

export interface Contender {
  name: string;
  /** Prepares for `concurrency` workers (opens connections where the contender keeps them). */
  setup(concurrency: number): Promise<void>;
  run(worker: number): Promise<TaskResult>;
  teardown(): Promise<void>;
}

export function pooled(url: string, name = 'pooled', extra: Partial<PoolOptions> = {}): Contender {
  let pool: SpeechSynthesizerObjectPool | undefined;
  return {
    name,
    async setup(concurrency) {
      pool = new SpeechSynthesizerObjectPool({
        url,
        apiKey: BENCH_API_KEY,
        maxSize: concurrency,
        connectConcurrency: 64,
        ...extra,
      });
      await pool.ready({ timeoutMs: 120_000 });
    },
    async run() {
      const t0 = performance.now();
      return pool!.withSynthesizer(PARAMS, async (synth) => {
        const tCall = performance.now();
        const audio = await synth.call(TEXT);
        // The task's own clock starts inside call(); add the borrow time before it.
        const firstPacketMs = tCall - t0 + synth.getTaskMetrics()!.firstPackageDelayMs;
        return { firstPacketMs, bytes: audio?.length ?? 0 };
      });
    },
    async teardown() {
      await pool?.shutdown({ graceMs: 1_000 });
      pool = undefined;
    },
  };
}

export function fresh(url: string): Contender {
  let closing: Array<Promise<void>> = [];
  return {
    name: 'fresh',
    setup() {
      closing = [];
      return Promise.resolve();
    },
    async run() {
      const t0 = performance.now();
      const synth = new SpeechSynthesizer({ url, apiKey: BENCH_API_KEY, ...PARAMS });
      try {
        const tCall = performance.now();
        const audio = await synth.call(TEXT);
        // The task's clock starts inside call() and includes the connect.
        const firstPacketMs = tCall - t0 + synth.getFirstPackageDelay();
        return { firstPacketMs, bytes: audio?.length ?? 0 };
      } finally {
        // Like a caller that closes after each task without waiting for the closing handshake.
        closing.push(synth.close());
      }
    },
    async teardown() {
      await Promise.all(closing);
      closing = [];
    },
  };
}

export function bare(url: string): Contender {
  let connections: BareConnection[] = [];
  return {
    name: 'bare',
    async setup(concurrency) {
      connections = await openBareConnections(url, BENCH_API_KEY, concurrency);
    },
    run(worker) {
      return connections[worker]!.runTask(PARAMS.model, WIRE_PARAMETERS, TEXT);
    },
    teardown() {
      for (const connection of connections) connection.close();
      connections = [];
      return Promise.resolve();
    },
  };
}
