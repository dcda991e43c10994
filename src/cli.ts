/**
 * The `dashscope-tts` command line: `serve` runs the local DashScope-compatible server, `say`
 * synthesizes one text to a file through the library (with an embedded server unless `--url`).
 * Exit codes: 0 success, 1 failure at run time, 2 bad usage.
 */
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { AudioContainer } from './params.js';
import { createSelfSignedCertificate } from './server/self-signed.js';
import {
  patchWavSizes,
  startLocalServer,
  type LocalServer,
  type LocalServerOptions,
} from './server/index.js';
import { SpeechSynthesizer } from './synthesizer.js';

const MAIN_USAGE = `Usage: dashscope-tts <command> [options]

Commands:
  serve   run a local DashScope-compatible speech server (prints its ws URL first)
  say     synthesize a text to an audio file

Run "dashscope-tts <command> --help" for the options of a command.`;

const SERVE_USAGE = `Usage: dashscope-tts serve [options]

Runs a local DashScope-compatible speech server until SIGINT or SIGTERM. The first line on
stdout is the WebSocket URL; log lines go to stderr.

Options:
  --host H              interface to listen on (default 127.0.0.1)
  --port N              port, 0 for any free one (default 0)
  --key K               require "Authorization: Bearer K" (default: any non-empty key)
  --engine E            auto | espeak | synthetic (default auto)
  --idle-timeout-ms N   close sockets without a task after N ms (default 60000)
  --task-timeout-ms N   fail a task without client input for N ms (default 23000)
  --rtt-ms N            model a network round trip of N ms (default 0)
  --first-audio-ms N    delay before the first audio of each task (default 0)
  --rtf X               send audio no faster than X times real time (default 0 = unpaced)
  --max-concurrent-tasks N   account-wide: tasks running at once; more fail with Throttling.RateQuota
  --max-tasks-per-second N   account-wide: tasks started per second; more fail likewise
  --tls                 serve wss:// with a throw-away self-signed certificate
  --quiet               no log lines on stderr
  -h, --help            show this help`;

const SAY_USAGE = `Usage: dashscope-tts say "text" -o out.wav [options]

Synthesizes the text through the library. Without --url, an embedded local server is started
on 127.0.0.1 for the call and stopped afterwards.

Options:
  -o, --output FILE     where to write the audio (required)
  --format F            wav | mp3 | pcm | opus (default: from the file's extension)
  --sample-rate N       8000 | 16000 | 22050 | 24000 | 44100 | 48000 (default 22050; opus 24000)
  --voice V             voice (default longxiaochun for Chinese text, loongstella otherwise)
  --model M             model (default cosyvoice-v3-flash)
  --url U               a DashScope WebSocket endpoint instead of the embedded server
  --key K               API key (default DASHSCOPE_API_KEY; any value for the embedded server)
  --engine E            embedded server's engine: auto | espeak | synthetic (default auto)
  -h, --help            show this help`;

/** A usage error: reported on stderr with exit code 2. */
class UsageError extends Error {}

const ENGINES = ['auto', 'espeak', 'synthetic'] as const;
const FORMATS: readonly AudioContainer[] = ['wav', 'mp3', 'pcm', 'opus'];
const SAMPLE_RATES = [8000, 16000, 22050, 24000, 44100, 48000];
const EXTENSIONS: Record<string, AudioContainer> = {
  '.wav': 'wav',
  '.mp3': 'mp3',
  '.pcm': 'pcm',
  '.raw': 'pcm',
  '.opus': 'opus',
  '.ogg': 'opus',
};

function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  usage: string,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    return {
      values: parsed.values,
      positionals: parsed.positionals,
    };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${usage}`);
  }
}

function integer(
  name: string,
  value: string | boolean | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      `invalid --${name} ${JSON.stringify(value)}: expected an integer from ${min} to ${max}`,
    );
  }
  return n;
}

function oneOf<T extends string>(
  name: string,
  value: string | boolean | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined;
  if (!allowed.includes(value as T)) {
    throw new UsageError(`invalid --${name} ${JSON.stringify(value)}: expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function str(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

// ----- serve -------------------------------------------------------------------------------

async function serve(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      host: { type: 'string' },
      port: { type: 'string' },
      key: { type: 'string' },
      engine: { type: 'string' },
      'idle-timeout-ms': { type: 'string' },
      'task-timeout-ms': { type: 'string' },
      'rtt-ms': { type: 'string' },
      'first-audio-ms': { type: 'string' },
      rtf: { type: 'string' },
      'max-concurrent-tasks': { type: 'string' },
      'max-tasks-per-second': { type: 'string' },
      tls: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    SERVE_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\n\n${SERVE_USAGE}`);
  const rtfText = str(values.rtf);
  const rtf = rtfText === undefined ? undefined : Number(rtfText);
  if (rtf !== undefined && (!Number.isFinite(rtf) || rtf < 0 || rtfText!.trim() === '')) {
    throw new UsageError(`invalid --rtf ${JSON.stringify(rtfText)}: expected a number >= 0`);
  }
  const day = 86_400_000;
  const options: LocalServerOptions = {
    host: str(values.host) ?? '127.0.0.1',
    port: integer('port', values.port, 0, 65535) ?? 0,
    engine: oneOf('engine', values.engine, ENGINES) ?? 'auto',
    pacing: {
      roundTripMs: integer('rtt-ms', values['rtt-ms'], 0, day) ?? 0,
      firstAudioDelayMs: integer('first-audio-ms', values['first-audio-ms'], 0, day) ?? 0,
      realTimeFactor: rtf ?? 0,
    },
    logger: values.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  };
  const key = str(values.key);
  if (key !== undefined) options.apiKey = key;
  const idle = integer('idle-timeout-ms', values['idle-timeout-ms'], 1, day);
  if (idle !== undefined) options.idleTimeoutMs = idle;
  const taskTimeout = integer('task-timeout-ms', values['task-timeout-ms'], 1, day);
  if (taskTimeout !== undefined) options.taskInactivityTimeoutMs = taskTimeout;
  const maxConcurrentTasks = integer('max-concurrent-tasks', values['max-concurrent-tasks'], 1, 1e9);
  const maxTasksPerSecond = integer('max-tasks-per-second', values['max-tasks-per-second'], 1, 1e9);
  options.accountLimits = {
    ...(maxConcurrentTasks !== undefined ? { maxConcurrentTasks } : {}),
    ...(maxTasksPerSecond !== undefined ? { maxTasksPerSecond } : {}),
  };
  if (values.tls) options.tls = createSelfSignedCertificate();

  const server = await startLocalServer(options);
  process.stdout.write(`${server.url}\n`);
  if (!values.quiet) {
    process.stderr.write(`engine: ${server.engine}; HTTP: ${server.httpBaseUrl}; stop with Ctrl-C\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  return 0;
}

// ----- say ---------------------------------------------------------------------------------

async function say(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      output: { type: 'string', short: 'o' },
      format: { type: 'string' },
      'sample-rate': { type: 'string' },
      voice: { type: 'string' },
      model: { type: 'string' },
      url: { type: 'string' },
      key: { type: 'string' },
      engine: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    SAY_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${SAY_USAGE}\n`);
    return 0;
  }
  const text = positionals.join(' ');
  if (text.trim() === '') throw new UsageError(`missing the text to say\n\n${SAY_USAGE}`);
  const output = str(values.output);
  if (output === undefined || output === '') throw new UsageError(`missing -o/--output FILE\n\n${SAY_USAGE}`);
  const format = oneOf('format', values.format, FORMATS) ?? EXTENSIONS[extname(output).toLowerCase()];
  if (format === undefined) {
    throw new UsageError(
      `cannot tell the format from ${JSON.stringify(output)}: pass --format wav|mp3|pcm|opus`,
    );
  }
  const rateText = str(values['sample-rate']);
  const sampleRate = rateText === undefined ? (format === 'opus' ? 24000 : 22050) : Number(rateText);
  if (!SAMPLE_RATES.includes(sampleRate)) {
    throw new UsageError(
      `invalid --sample-rate ${JSON.stringify(rateText)}: expected one of ${SAMPLE_RATES.join(', ')}`,
    );
  }
  const engine = oneOf('engine', values.engine, ENGINES) ?? 'auto';
  const voice = str(values.voice) ?? (/[\u3400-\u9fff]/.test(text) ? 'longxiaochun' : 'loongstella');
  const model = str(values.model) ?? 'cosyvoice-v3-flash';
  let url = str(values.url);
  let apiKey = str(values.key) ?? process.env.DASHSCOPE_API_KEY;

  let server: LocalServer | undefined;
  if (url === undefined) {
    server = await startLocalServer({ engine });
    url = server.url;
    apiKey ??= 'local';
  }
  try {
    const synthesizer = new SpeechSynthesizer({ model, voice, format: { format, sampleRate }, url, apiKey });
    let audio: Buffer | null;
    try {
      audio = await synthesizer.call(text);
    } finally {
      await synthesizer.close();
    }
    if (!audio || audio.length === 0) throw new Error('the server returned no audio');
    // Streamed WAV carries placeholder sizes; the saved file gets the exact ones.
    if (format === 'wav') patchWavSizes(audio);
    await writeFile(output, audio);
    process.stdout.write(`wrote ${output} (${format}, ${sampleRate} Hz, ${audio.length} bytes)\n`);
    return 0;
  } finally {
    await server?.close();
  }
}

// ----- main --------------------------------------------------------------------------------

/** Runs the command line with `argv` (without `node` and the script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      case 'say':
        return await say(rest);
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(`${MAIN_USAGE}\n`);
        return 0;
      case undefined:
        throw new UsageError(MAIN_USAGE);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}\n\n${MAIN_USAGE}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`dashscope-tts: ${error.message}\n`);
      return 2;
    }
    const code = (error as { code?: unknown }).code;
    process.stderr.write(
      `dashscope-tts: ${(error as Error).message}${typeof code === 'string' ? ` (${code})` : ''}\n`,
    );
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`dashscope-tts: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
