/**
 * The demo (`npm start`): starts the local DashScope-compatible server, pre-opens a pool,
 * synthesizes a dozen English and Chinese sentences concurrently with a live progress display,
 * writes playable files into out/, prints per-task timings and the pool's metrics, and exits.
 *
 * No network and no API key are needed. To try the real service instead, set
 * DASHSCOPE_API_KEY and DEMO_URL=wss://dashscope.aliyuncs.com/api-ws/v1/inference.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AudioFormat, patchWavSizes, SpeechSynthesizerObjectPool, type TaskMetrics } from '../src/index.js';

interface Job {
  id: number;
  voice: string;
  text: string;
  format: 'wav' | 'mp3';
  bytes: number;
  state: 'waiting' | 'speaking' | 'done' | 'failed';
  metrics?: TaskMetrics;
  file?: string;
  error?: string;
}

const SENTENCES: Array<[voice: string, text: string]> = [
  ['loongbella', 'Good morning! This sentence was synthesized through a pooled WebSocket connection.'],
  ['longxiaochun', '早上好！这句话是通过连接池中预先建立的连接合成的。'],
  ['loongandy', 'Pre-opened connections skip the TCP, TLS and WebSocket handshakes on every task.'],
  ['longanyang', '今天天气不错，我们一起去公园散步吧。'],
  ['loongemma', 'A busy application can speak many sentences at once without waiting in line.'],
  ['longwan', '语音合成服务支持流式输入和流式输出。'],
  ['loongeric', 'Failed or busy connections are closed and replaced, never handed out again.'],
  ['longcheng', '连接池会在服务器关闭空闲连接之前主动更新它们。'],
  ['loongstella', 'First packet delay is measured from the start of the task to the first audio frame.'],
  ['longhua', '每个任务结束时，要么得到全部音频，要么得到一个明确的错误。'],
  ['loongbrian', 'When the pool shuts down, every socket is closed and every timer is cleared.'],
  ['longxiaoxia', '谢谢收听，再见！'],
];

const OUT_DIR = resolve('out');
const isTty = process.stdout.isTTY === true;

async function main(): Promise<void> {
  const started = performance.now();
  const externalUrl = process.env.DEMO_URL;
  let server: ServerProcess | undefined;
  if (!externalUrl) {
    const startedAt = performance.now();
    server = await startServerProcess();
    log(`Local DashScope-compatible server ready in ${ms(performance.now() - startedAt)}\n`);
  }
  const pool = new SpeechSynthesizerObjectPool({
    url: externalUrl ?? server!.url,
    apiKey: externalUrl ? undefined : 'sk-local-demo',
    maxSize: 6,
  });
  try {
    const openStarted = performance.now();
    await pool.ready();
    log(`Pre-opened ${pool.stats().size} connections in ${ms(performance.now() - openStarted)}\n`);

    mkdirSync(OUT_DIR, { recursive: true });
    const jobs: Job[] = SENTENCES.map(([voice, text], index) => ({
      id: index + 1,
      voice,
      text,
      format: index % 4 === 3 ? 'mp3' : 'wav',
      bytes: 0,
      state: 'waiting',
    }));
    const progress = new ProgressDisplay(jobs);
    progress.start();
    await Promise.all(jobs.map((job) => runJob(pool, job, () => progress.render())));
    progress.stop();

    printTable(jobs);
    printMetrics(pool);
    const failed = jobs.filter((job) => job.state === 'failed').length;
    log(`\nWrote ${jobs.length - failed} files to ${OUT_DIR} in ${ms(performance.now() - started)} in all.`);
    if (failed > 0) process.exitCode = 1;
  } finally {
    await pool.shutdown();
    await server?.close();
  }
}

interface ServerProcess {
  url: string;
  close(): Promise<void>;
}

/**
 * Runs the local server as `dashscope-tts serve` in a child process, as the real service runs
 * elsewhere: espeak-ng synthesizes on the server's thread, and in this process it would hold up
 * the client's own timing of the audio it receives.
 *
 * Its pacing makes it feel like the real service: 150 ms before the first audio of a task (the
 * service's documented range is 200–800 ms), then audio produced at 5x real time. It warms up
 * espeak-ng and the encoders before it prints its URL: their WebAssembly runs several times
 * slower until V8 has optimised it, which the first tasks would otherwise see as first-packet
 * delays of 1–2 s.
 */
async function startServerProcess(): Promise<ServerProcess> {
  const here = fileURLToPath(import.meta.url);
  // Built: dist/demo.js next to dist/cli.js. From source (tsx examples/demo.ts): src/cli.ts.
  const cli = here.endsWith('.ts')
    ? ['--import', import.meta.resolve('tsx'), join(dirname(here), '..', 'src', 'cli.ts')]
    : [join(dirname(here), 'cli.js')];
  const child = spawn(
    process.execPath,
    [...cli, 'serve', '--first-audio-ms', '150', '--rtf', '0.2', '--key', 'sk-local-demo'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const killOnExit = (): boolean => child.kill();
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  // Ready once it has printed its URL (stdout) and its last start-up line (stderr).
  const startedUp = new Promise<void>((resolveStarted) => {
    createInterface({ input: child.stderr }).on('line', (line) => {
      log(`  [server] ${line}`);
      if (/stop with Ctrl-C/.test(line)) resolveStarted();
    });
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    createInterface({ input: child.stdout }).once(
      'line',
      (line) => void startedUp.then(() => resolveUrl(line)),
    );
    child.once('exit', (code) => reject(new Error(`the local server exited with code ${code}`)));
  });
  return {
    url,
    async close() {
      process.off('exit', killOnExit);
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function runJob(pool: SpeechSynthesizerObjectPool, job: Job, onProgress: () => void): Promise<void> {
  const format =
    job.format === 'wav' ? AudioFormat.WAV_22050HZ_MONO_16BIT : AudioFormat.MP3_22050HZ_MONO_256KBPS;
  const chunks: Buffer[] = [];
  try {
    await pool.withSynthesizer({ model: 'cosyvoice-v3-flash', voice: job.voice, format }, async (synth) => {
      job.state = 'speaking';
      onProgress();
      synth.on('data', (chunk) => {
        chunks.push(chunk);
        job.bytes += chunk.length;
        onProgress();
      });
      await synth.call(job.text, { timeoutMs: 60_000 });
      job.metrics = synth.getTaskMetrics();
    });
    let audio = Buffer.concat(chunks);
    // A streamed WAV carries "unknown length" sizes; a file gets the real ones.
    if (job.format === 'wav') audio = patchWavSizes(audio);
    job.file = join(OUT_DIR, `${String(job.id).padStart(2, '0')}-${job.voice}.${job.format}`);
    writeFileSync(job.file, audio);
    job.state = 'done';
  } catch (error) {
    job.state = 'failed';
    job.error =
      error instanceof Error
        ? `${(error as { code?: string }).code ?? error.name}: ${error.message}`
        : String(error);
  }
  onProgress();
}

/** One line per task, redrawn in place on a terminal; one line per finished task otherwise. */
class ProgressDisplay {
  #drawn = 0;
  #reported = new Set<number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly jobs: Job[]) {}

  start(): void {
    if (isTty) this.#timer = setInterval(() => this.render(), 100);
    this.render();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.render();
    if (isTty) process.stdout.write('\n');
  }

  render(): void {
    if (!isTty) {
      for (const job of this.jobs) {
        if ((job.state === 'done' || job.state === 'failed') && !this.#reported.has(job.id)) {
          this.#reported.add(job.id);
          // Fixed widths keep the lines aligned in a log file or a CI transcript.
          const first = job.metrics ? ms(job.metrics.firstPackageDelayMs) : '-';
          log(
            `  ${job.state === 'done' ? 'done' : 'FAIL'}  #${String(job.id).padStart(2)}  ` +
              `${job.voice.padEnd(13)} ${job.format.padEnd(4)} ${kb(job.bytes).padStart(10)}  ` +
              `first packet ${first.padStart(8)}`,
          );
        }
      }
      return;
    }
    const lines = this.jobs.map((job) => {
      const mark = { waiting: '·', speaking: '>', done: '✓', failed: '✗' }[job.state];
      const bar = '█'.repeat(Math.min(20, Math.round(job.bytes / 4096))).padEnd(20, '░');
      return `  ${mark} #${String(job.id).padStart(2)} ${job.voice.padEnd(13)} ${bar} ${kb(job.bytes).padStart(8)}  ${truncate(job.text, 40)}`;
    });
    if (this.#drawn > 0) process.stdout.write(`\x1b[${this.#drawn}F`);
    process.stdout.write(`${lines.map((line) => `\x1b[2K${line}`).join('\n')}\n`);
    this.#drawn = lines.length;
  }
}

function printTable(jobs: Job[]): void {
  const rows = jobs.map((job) => {
    const m = job.metrics;
    return [
      String(job.id),
      job.voice,
      job.format,
      m ? ms(m.firstPackageDelayMs) : '-',
      m?.totalMs !== undefined ? ms(m.totalMs) : '-',
      kb(job.bytes),
      job.state === 'done' ? `out/${job.file!.split('/').pop()}` : (job.error ?? 'failed'),
    ];
  });
  log('');
  for (const line of table(
    ['#', 'voice', 'format', 'first packet', 'end to end', 'audio', 'file'],
    rows,
    'rllrrrl',
  )) {
    log(`  ${line}`);
  }
  log(
    '\n  First packet: from the start of the task to its first audio. From the local server that is\n' +
      "  its pacing's 150 ms, plus espeak-ng synthesizing the first sentence, plus the first sentences of\n" +
      '  the tasks that started just before: the local server synthesizes one sentence at a time.',
  );
}

/** Lines of a table whose columns are as wide as their widest cell (`r`: right-aligned). */
function table(headers: string[], rows: string[][], align: string): string[] {
  const widths = headers.map((header, c) => Math.max(header.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => (align[c] === 'r' ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

function printMetrics(pool: SpeechSynthesizerObjectPool): void {
  const m = pool.metrics();
  log('\nPool metrics');
  log(`  tasks                 ${m.tasks.total} (finished ${m.tasks.finished}, failed ${m.tasks.failed})`);
  log(`  first packet delay    p50 ${ms(m.firstPacketDelayMs.p50)}  p99 ${ms(m.firstPacketDelayMs.p99)}`);
  log(`  end to end            p50 ${ms(m.endToEndMs.p50)}  p99 ${ms(m.endToEndMs.p99)}`);
  log(`  borrow wait           p50 ${ms(m.borrowWaitMs.p50)}  p99 ${ms(m.borrowWaitMs.p99)}`);
  log(`  utilization           peak ${(m.utilization.peak * 100).toFixed(0)} %`);
  log(
    `  connection reuse      ${(m.connectionReuseRatio * 100).toFixed(0)} % of tasks found an open connection`,
  );
  log(`  connections           created ${m.connections.created}, renewed ${m.connections.renewed}`);
  log(`  error rate            ${(m.errorRate * 100).toFixed(1)} %`);
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function ms(value: number): string {
  return `${value.toFixed(value < 10 ? 1 : 0)} ms`;
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function truncate(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
