/**
 * A bounded load run of Sambert tasks through the pool, against the local server in another
 * process (synthetic engine): N tasks at concurrency C through `withSynthesizer`, then tasks/s,
 * first-packet p50/p99 (from borrow to the first audio frame, and the task's own delay), the
 * pool's connection reuse ratio, errors by code, and the client's CPU time per task.
 *
 *   node --import tsx bench/sambert-run.ts [--tasks 2000] [--concurrency 200]
 *     [--model sambert-zhichu-v1 | cosyvoice-v3-flash] [--first-audio-delay-ms 0]
 *     [--time-limit-ms 120000] [--text '欢迎使用阿里云语音合成服务。'] [--out bench/results/sambert-run.json]
 *
 * `--model cosyvoice-v3-flash` runs the same load through CosyVoice's task shape, for comparison.
 * Bounded: no task starts after `--time-limit-ms`, and the process exits at twice that at most.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isDashScopeError } from '../src/errors/index.js';
import { countCharacters } from '../src/params.js';
import {
  SpeechSynthesizerObjectPool,
  type BorrowParams,
  type SambertBorrowParams,
} from '../src/pool/object-pool.js';
import { machineInfo } from './lib/machine.js';
import { BENCH_API_KEY, startServerProcess } from './lib/server-process.js';
import { round, roundSummary, summarize } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '200' },
    model: { type: 'string', default: 'sambert-zhichu-v1' },
    'first-audio-delay-ms': { type: 'string', default: '0' },
    'time-limit-ms': { type: 'string', default: '120000' },
    text: { type: 'string', default: '欢迎使用阿里云语音合成服务。' },
    out: { type: 'string' },
  },
});
const TASKS = Number(values.tasks);
const CONCURRENCY = Number(values.concurrency);
const MODEL = values.model;
const FIRST_AUDIO_DELAY_MS = Number(values['first-audio-delay-ms']);
const TIME_LIMIT_MS = Number(values['time-limit-ms']);
for (const [name, value] of Object.entries({ TASKS, CONCURRENCY, FIRST_AUDIO_DELAY_MS, TIME_LIMIT_MS })) {
  if (!Number.isFinite(value) || value < 0) throw new Error(`bad ${name}: ${value}`);
}

/** By default one sentence of Chinese: about 1.7 s of speech from the synthetic voice, 78 KB of WAV. */
const TEXT = values.text;
const PARAMS: SambertBorrowParams | BorrowParams = MODEL.startsWith('sambert-')
  ? { model: MODEL as `sambert-${string}`, format: 'wav', sampleRate: 16000, wordTimestampEnabled: true }
  : {
      model: MODEL,
      voice: 'longanyang',
      format: { format: 'wav', sampleRate: 16000 },
      wordTimestampEnabled: true,
    };

// The hard bound: whatever happens, the run ends.
setTimeout(() => {
  console.error(`sambert-run: still running after ${2 * TIME_LIMIT_MS} ms; giving up`);
  process.exit(2);
}, 2 * TIME_LIMIT_MS).unref();

const server = await startServerProcess([
  { name: 'ws-0', tls: false, rttMs: 0, firstAudioDelayMs: FIRST_AUDIO_DELAY_MS },
]);
const url = server.endpoints['ws-0']!.url;
const pool = new SpeechSynthesizerObjectPool({
  url,
  apiKey: BENCH_API_KEY,
  maxSize: CONCURRENCY,
  connectConcurrency: 64,
  acquireTimeoutMs: 60_000,
});
try {
  await pool.ready({ timeoutMs: 60_000 });
  const firstPacket: number[] = [];
  const taskFirstPacket: number[] = [];
  const endToEnd: number[] = [];
  const errors = new Map<string, number>();
  let audioBytes = 0;
  let sentences = 0;
  let started = 0;
  const cpuBefore = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + TIME_LIMIT_MS;

  const worker = async (): Promise<void> => {
    while (started < TASKS && performance.now() < deadline) {
      started += 1;
      const begin = performance.now();
      try {
        await pool.withSynthesizer(PARAMS, async (synth) => {
          const callAt = performance.now();
          const audio = (await synth.call(TEXT))!;
          const metrics = synth.getTaskMetrics()!;
          // The task's clock starts inside call(); the borrow's wait comes before it.
          firstPacket.push(callAt - begin + metrics.firstPackageDelayMs);
          taskFirstPacket.push(metrics.firstPackageDelayMs);
          audioBytes += audio.length;
          if (MODEL.startsWith('sambert-')) sentences += synth.getTimestamps().length;
        });
        endToEnd.push(performance.now() - begin);
      } catch (error) {
        const code = isDashScopeError(error) ? error.code : String(error);
        errors.set(code, (errors.get(code) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpuBefore);
  const metrics = pool.metrics();
  const completed = endToEnd.length;
  const result = {
    machine: machineInfo(),
    setup: {
      model: MODEL,
      engine: 'synthetic (local server in a child process)',
      text: TEXT,
      billableCharacters: countCharacters(TEXT),
      format: 'wav 16 kHz, word timestamps on',
      tasks: TASKS,
      concurrency: CONCURRENCY,
      poolSize: CONCURRENCY,
      firstAudioDelayMs: FIRST_AUDIO_DELAY_MS,
      timeLimitMs: TIME_LIMIT_MS,
    },
    started,
    completed,
    errors: Object.fromEntries(errors),
    wallMs: round(wallMs),
    tasksPerSecond: round((completed * 1000) / wallMs),
    firstPacketFromBorrowMs: roundSummary(summarize(firstPacket)),
    firstPacketOfTaskMs: roundSummary(summarize(taskFirstPacket)),
    endToEndMs: roundSummary(summarize(endToEnd)),
    connectionReuseRatio: round(metrics.connectionReuseRatio),
    connections: metrics.connections,
    clientCpuMsPerTask: round((cpu.user + cpu.system) / 1000 / Math.max(1, completed)),
    audioBytesPerTask: Math.round(audioBytes / Math.max(1, completed)),
    sentencesPerTask: MODEL.startsWith('sambert-') ? round(sentences / Math.max(1, completed)) : undefined,
  };
  console.log(JSON.stringify(result, null, 2));
  if (values.out) writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await pool.shutdown({ graceMs: 1_000 });
  await server.stop();
}
