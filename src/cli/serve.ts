/**
 * `dashscope-tts serve`: runs the local DashScope-compatible server until SIGINT or SIGTERM.
 * The first line on stdout is the WebSocket URL; log lines go to stderr.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSelfSignedCertificate } from '../server/self-signed.js';
import { startLocalServer, type LocalServerOptions } from '../server/index.js';
import { ENGINES, integer, oneOf, parse, str, UsageError } from './args.js';
import { engineLabel, formatsLine, probeEncoders } from './optional.js';

/** The command's help text. */
export const SERVE_USAGE = `Usage: dashscope-tts serve [options]

Runs a local DashScope-compatible speech server until SIGINT or SIGTERM. The first line on
stdout is the WebSocket URL; log lines (engine, formats, warnings) go to stderr.

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
  --no-warm-up          skip speaking a few sentences before serving (faster start, slower
                        first tasks)
  --tls                 serve wss:// with a throw-away self-signed certificate; its PEM is
                        written to a file that clients trust (say --ca FILE, or the ca option)
  --cert-out FILE       with --tls: where to write that certificate (default: a temporary file,
                        removed on exit)
  --quiet               no log lines on stderr
  -h, --help            show this help`;

/** Runs `serve` and returns the exit code. */
export async function serve(args: string[]): Promise<number> {
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
      'no-warm-up': { type: 'boolean' },
      tls: { type: 'boolean' },
      'cert-out': { type: 'string' },
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
  const certOut = str(values['cert-out']);
  if (certOut !== undefined && !values.tls) throw new UsageError('--cert-out needs --tls');
  const log = values.quiet
    ? (): void => undefined
    : (line: string): void => void process.stderr.write(`${line}\n`);
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
    warmUp: !values['no-warm-up'],
    logger: log,
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

  let tempDir: string | undefined;
  let certFile: string | undefined;
  if (values.tls) {
    options.tls = createSelfSignedCertificate();
    if (certOut === undefined) tempDir = mkdtempSync(join(tmpdir(), 'dashscope-tts-cert-'));
    certFile = certOut ?? join(tempDir!, 'localhost.pem');
    writeFileSync(certFile, options.tls.cert);
  }
  try {
    const server = await startLocalServer(options);
    process.stdout.write(`${server.url}\n`);
    log(`engine: ${engineLabel(server.engine)}`);
    log(`formats: ${formatsLine(await probeEncoders())}`);
    if (certFile !== undefined) {
      log(
        `certificate: ${certFile} (clients trust it with: dashscope-tts say --url ${server.url} --ca ${certFile})`,
      );
    }
    log(`HTTP generation: ${server.httpBaseUrl} (DASHSCOPE_HTTP_BASE_URL); stop with Ctrl-C`);
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
  } finally {
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  }
}
