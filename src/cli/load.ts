/**
 * `dashscope-tts load`: a load test before going live, as DashScope's production checklist asks
 * (at twice the expected peak). `--concurrency` workers borrow from one pool and synthesize one
 * text after another for `--duration`; a progress line shows how it goes; the end is a table of
 * the checklist's figures against their targets (`load-report.ts`), or JSON with `--json`.
 * Bounded in time (the duration, then at most a few seconds for running tasks) and in count.
 */
import { readFileSync } from 'node:fs';
// Through the package root, so that the command line uses the library as its users do.
import { SpeechSynthesizerObjectPool, type SpeechSynthesizer } from '../index.js';
import { validateTaskText } from '../params.js';
import { startLocalServer, type LocalServer } from '../server/index.js';
import { ENGINES, integer, oneOf, parse, str, UsageError } from './args.js';
import { countFailure, report, reportTable, type LoadCounts } from './load-report.js';
import { tlsOptions } from './say.js';

/** The command's help text. */
export const LOAD_USAGE = `Usage: dashscope-tts load --concurrency N --duration 60s [options]

Runs N workers that borrow from one pool and synthesize a text after another for the duration,
then prints DashScope's production figures against their targets: first packet < 500 ms, error
rate < 0.1 %, pool utilization 60-80 % at peak, connection reuse > 95 %, the throttling errors
seen, and a maxSize for the measured peak. Load-test at twice your expected peak. Without --url
an embedded local server on 127.0.0.1 is used: the figures then describe this machine, not the
service.

Options:
  --concurrency N     workers, each running one task at a time (1-2000, required)
  --duration D        how long to start tasks: 60s, 2m, 1500ms (1 s to 1 h, required)
  --pool-size M       the pool's maxSize (default: N)
  --max-tasks N       stop starting tasks after N of them (default 1000000)
  --text-file F       texts to synthesize, one per line (default: a few built-in sentences)
  --model M           model (default cosyvoice-v3-flash)
  --voice V           voice (default longanyang)
  --url U             a DashScope WebSocket endpoint instead of the embedded server
  --key K             API key (default DASHSCOPE_API_KEY; any value for the embedded server)
  --ca FILE           trust this PEM certificate for wss://
  --insecure          do not verify the wss:// server's certificate (local testing only)
  --engine E          embedded server's engine: auto | espeak | synthetic (default synthetic)
  --json              print one JSON object instead of the table (progress stays on stderr)
  -h, --help          show this help`;

const TEXTS = [
  'Pooled connections make the first packet arrive sooner.',
  '你好，欢迎使用语音合成服务。',
  'A load test tells you how many connections your peak needs.',
  '今天天气很好，我们一起去公园散步吧。',
];
/** After the duration, how long running tasks may take before the pool is shut down under them. */
const FINISH_GRACE_MS = 5_000;
/** A single task's limit: none may hold the run far past its duration. */
const TASK_TIMEOUT_MS = 60_000;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000 } as const;

/**
 * A duration flag: `60s`, `2m`, `1500ms` or a plain number of seconds, from 1 s to 1 h.
 * @throws {UsageError} for anything else.
 */
export function durationMs(value: string | boolean | undefined): number {
  const text = typeof value === 'string' ? value.trim() : '';
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  const unit = (match?.[2] ?? 's') as keyof typeof UNIT_MS;
  const ms = match ? Number(match[1]) * UNIT_MS[unit] : Number.NaN;
  if (!(ms >= 1_000 && ms <= 3_600_000)) {
    throw new UsageError(
      `invalid --duration ${JSON.stringify(value ?? '')}: expected 1s to 1h, e.g. 60s, 2m or 1500ms`,
    );
  }
  return ms;
}

/** Runs `load` and returns the exit code. */
export async function load(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      concurrency: { type: 'string' },
      duration: { type: 'string' },
      'pool-size': { type: 'string' },
      'max-tasks': { type: 'string' },
      'text-file': { type: 'string' },
      model: { type: 'string' },
      voice: { type: 'string' },
      url: { type: 'string' },
      key: { type: 'string' },
      ca: { type: 'string' },
      insecure: { type: 'boolean' },
      engine: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    LOAD_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${LOAD_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0)
    throw new UsageError(`unexpected ${JSON.stringify(positionals[0])}\n\n${LOAD_USAGE}`);
  const concurrency = integer('concurrency', values.concurrency, 1, 2_000);
  if (concurrency === undefined) throw new UsageError(`missing --concurrency N\n\n${LOAD_USAGE}`);
  if (values.duration === undefined) throw new UsageError(`missing --duration D\n\n${LOAD_USAGE}`);
  const duration = durationMs(values.duration);
  const poolSize = integer('pool-size', values['pool-size'], 1, 10_000) ?? concurrency;
  const maxTasks = integer('max-tasks', values['max-tasks'], 1, 10_000_000) ?? 1_000_000;
  const texts = readTexts(str(values['text-file']));
  const engine = oneOf('engine', values.engine, ENGINES) ?? 'synthetic';
  const params = {
    model: str(values.model) ?? 'cosyvoice-v3-flash',
    voice: str(values.voice) ?? 'longanyang',
    format: { format: 'pcm', sampleRate: 16000 },
  } as const;
  let url = str(values.url);
  let apiKey = str(values.key) ?? process.env.DASHSCOPE_API_KEY;
  if (url !== undefined && (apiKey === undefined || apiKey === '')) {
    throw new UsageError(
      'no API key for --url: pass --key K or set the DASHSCOPE_API_KEY environment variable',
    );
  }
  const tls = tlsOptions(str(values.ca), values.insecure === true);

  let server: LocalServer | undefined;
  if (url === undefined) {
    server = await startLocalServer({ engine });
    url = server.url;
    apiKey ??= 'local';
  }
  const endpoint = server ? `${url} (embedded local server, engine ${server.engine})` : url;
  process.stderr.write(
    `load: ${concurrency} workers on a pool of ${poolSize} for ${duration / 1000} s against ${endpoint}\n`,
  );
  const pool = new SpeechSynthesizerObjectPool({
    url,
    apiKey,
    ...tls,
    maxSize: poolSize,
    acquireTimeoutMs: Math.min(30_000, duration + FINISH_GRACE_MS),
  });
  try {
    await pool.ready({ timeoutMs: 60_000 });
    const counts = await run(pool, { concurrency, duration, maxTasks, texts, params });
    const result = report(counts, { endpoint, concurrency, poolSize, durationMs: duration });
    process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${reportTable(result)}\n`);
    return 0;
  } finally {
    await pool.shutdown({ graceMs: 0 });
    await server?.close();
  }
}

interface RunSettings {
  concurrency: number;
  duration: number;
  maxTasks: number;
  texts: string[];
  params: { model: string; voice: string; format: { format: 'pcm'; sampleRate: number } };
}

/** The run itself: workers until the duration or the task count is reached, with a progress line. */
async function run(pool: SpeechSynthesizerObjectPool, settings: RunSettings): Promise<LoadCounts> {
  const counts: LoadCounts = {
    tasks: 0,
    failed: 0,
    cutOff: 0,
    throttled: 0,
    errorsByCode: {},
    firstPacketMs: [],
    peakDemand: 0,
    utilizationPeak: 0,
    connectionReuse: 0,
    elapsedMs: 0,
  };
  const startedAt = performance.now();
  const deadline = startedAt + settings.duration;
  let started = 0;
  let stopped = false;
  const progress = startProgress(pool, counts, startedAt, settings.duration);

  const task = async (synth: SpeechSynthesizer, requestedAt: number, text: string): Promise<void> => {
    const callAt = performance.now();
    await synth.call(text, { timeoutMs: TASK_TIMEOUT_MS });
    const first = synth.getTaskMetrics()?.firstPackageDelayMs ?? -1;
    // The task's clock starts inside call(); the borrow before it is part of what a user waits.
    if (first >= 0) counts.firstPacketMs.push(callAt - requestedAt + first);
  };
  const worker = async (): Promise<void> => {
    while (!stopped && performance.now() < deadline && started < settings.maxTasks) {
      const text = settings.texts[started % settings.texts.length]!;
      started += 1;
      const requestedAt = performance.now();
      try {
        await pool.withSynthesizer(settings.params, (synth) => task(synth, requestedAt, text));
        if (stopped) return; // reported already: counted as cut off
        counts.tasks += 1;
      } catch (error) {
        if (stopped) return;
        counts.tasks += 1;
        countFailure(counts, error);
      }
    }
  };
  const workers = Promise.all(Array.from({ length: settings.concurrency }, () => worker()));
  // Running tasks get a few seconds after the duration; then the caller's shutdown ends them.
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>(
    (resolve) => (timer = setTimeout(resolve, settings.duration + FINISH_GRACE_MS)),
  );
  await Promise.race([workers, limit]);
  clearTimeout(timer);
  stopped = true;
  counts.elapsedMs = performance.now() - startedAt;
  counts.cutOff = started - counts.tasks;
  progress.stop();
  const metrics = pool.metrics();
  counts.utilizationPeak = metrics.utilization.peak;
  counts.connectionReuse = metrics.connectionReuseRatio;
  void workers.catch(() => undefined);
  return counts;
}

/**
 * The live progress line on stderr (rewritten in place on a terminal, else a line every 5 s),
 * and the sampling of peak demand (borrowers lent out or waiting).
 */
function startProgress(
  pool: SpeechSynthesizerObjectPool,
  counts: LoadCounts,
  startedAt: number,
  duration: number,
): { stop(): void } {
  const tty = process.stderr.isTTY === true;
  let lastLine = 0;
  const sample = (): void => {
    const stats = pool.stats();
    counts.peakDemand = Math.max(counts.peakDemand, stats.borrowed + stats.pending);
  };
  const line = (): string => {
    const seconds = (performance.now() - startedAt) / 1000;
    const stats = pool.stats();
    return (
      `load ${seconds.toFixed(0)}/${(duration / 1000).toFixed(0)} s: ${counts.tasks} tasks ` +
      `(${(counts.tasks / Math.max(seconds, 0.001)).toFixed(1)}/s), ${counts.failed} failed, ` +
      `${stats.borrowed}/${stats.maxSize} borrowed, ${stats.pending} waiting`
    );
  };
  const sampler = setInterval(() => {
    sample();
    const now = performance.now();
    if (tty) process.stderr.write(`\r${line()}\u001b[K`);
    else if (now - lastLine >= 5_000) {
      lastLine = now;
      process.stderr.write(`${line()}\n`);
    }
  }, 250);
  return {
    stop(): void {
      clearInterval(sampler);
      sample();
      if (tty) process.stderr.write(`\r${line()}\u001b[K\n`);
    },
  };
}

/** The texts of --text-file (one per line, blank lines skipped), or the built-in ones. */
function readTexts(file: string | undefined): string[] {
  if (file === undefined) return TEXTS;
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --text-file ${JSON.stringify(file)}: ${(error as Error).message}`);
  }
  const texts = content.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (texts.length === 0)
    throw new UsageError(`--text-file ${JSON.stringify(file)} has no text: one text per line`);
  texts.forEach((text, index) => {
    try {
      validateTaskText(text);
    } catch (error) {
      throw new UsageError(
        `--text-file ${JSON.stringify(file)}, line ${index + 1}: ${(error as Error).message}`,
      );
    }
  });
  return texts;
}
