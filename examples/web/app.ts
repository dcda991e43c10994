/**
 * The web app behind `npm run web`: one pool of pre-opened synthesizers (against the embedded
 * local server, or DashScope), one page, and a small JSON and audio API on 127.0.0.1:
 *
 *   GET  /                 the page (examples/web/public/)
 *   GET  /api/config       voices, formats and limits for the page's pickers
 *   POST /api/speak        {id, text, voice, format} → the audio, streamed while it is synthesized
 *   POST /api/stop         {id} → cancels that speech on the server, answers once it is cancelled
 *   GET  /api/speech?id=   what happened to a speech (for a stream that broke off)
 *   GET  /api/events       server-sent events: pool stats() and metrics(), server counters, speeches
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AudioFormat,
  LIMITS,
  SpeechSynthesizerObjectPool,
  countCharacters,
  type AudioFormatSpec,
} from '../../src/index.js';
import {
  knownVoices,
  startLocalServer,
  type LocalServer,
  type LocalServerOptions,
} from '../../src/server/index.js';
import { speakIntoResponse } from '../speak-into-response.js';
import { badRequest, errorInWords, textTooLong, type ErrorInWords } from './errors-in-words.js';
import { LiveEvents } from './live-events.js';
import { Speeches, type SpeechRecord } from './speeches.js';
import { serveStatic } from './static-files.js';

/** Options of {@link startWebApp}. */
export interface WebAppOptions {
  /** Port on 127.0.0.1. Default 0 (any free port). */
  port?: number | undefined;
  /** Speak through this DashScope endpoint instead of the embedded server. */
  remote?: { url: string; apiKey: string } | undefined;
  /** Options of the embedded server. Default: audio sent at twice the speed it plays. */
  local?: LocalServerOptions | undefined;
  /** Pre-opened connections. Default 4. */
  poolSize?: number | undefined;
  /** How long a page waits for a free connection before it is told the pool is exhausted. Default 5000 ms. */
  acquireTimeoutMs?: number | undefined;
  /**
   * Silence after which a task is finished although the server has not reported all text spoken
   * (see examples/cancellable-speech.ts). Default 5000 ms.
   */
  quietMs?: number | undefined;
  /** Default `cosyvoice-v3-flash`. */
  model?: string | undefined;
  /** Receives one line per speech. Default: silent. */
  log?: ((line: string) => void) | undefined;
}

/** A running web app. */
export interface WebApp {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly pool: SpeechSynthesizerObjectPool;
  /** The embedded server, unless `remote` was given. */
  readonly local: LocalServer | undefined;
  /** The speech records (running and recent). */
  readonly speeches: Speeches;
  /** Cancels running speeches, closes the page connections, the pool and the embedded server. */
  close(): Promise<void>;
}

/** The formats the page offers: mp3, because Media Source Extensions play it while it arrives. */
const FORMATS: Readonly<Record<string, { label: string; format: AudioFormatSpec }>> = {
  'mp3-22050': { label: 'MP3 · 22.05 kHz', format: AudioFormat.MP3_22050HZ_MONO_256KBPS },
  'mp3-24000': { label: 'MP3 · 24 kHz', format: AudioFormat.MP3_24000HZ_MONO_256KBPS },
  'mp3-44100': { label: 'MP3 · 44.1 kHz', format: AudioFormat.MP3_44100HZ_MONO_256KBPS },
  'mp3-48000': { label: 'MP3 · 48 kHz', format: AudioFormat.MP3_48000HZ_MONO_256KBPS },
};
const DEFAULT_VOICE = 'longanyang';
const MAX_BODY_BYTES = 1024 * 1024;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const VOICE_PATTERN = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * Starts the embedded server (unless `remote`), pre-opens the pool and serves the page.
 * @throws when the pool cannot connect (e.g. a wrong API key) or the port is taken.
 */
export async function startWebApp(options: WebAppOptions = {}): Promise<WebApp> {
  const log = options.log ?? ((): void => undefined);
  const poolSize = options.poolSize ?? 4;
  const model = options.model ?? 'cosyvoice-v3-flash';
  const local = options.remote
    ? undefined
    : await startLocalServer(options.local ?? { pacing: { realTimeFactor: 0.5 } });
  const pool = new SpeechSynthesizerObjectPool({
    url: options.remote?.url ?? local!.url,
    apiKey: options.remote?.apiKey ?? 'sk-local',
    maxSize: poolSize,
    acquireTimeoutMs: options.acquireTimeoutMs ?? 5_000,
    maxWaitingClients: 4 * poolSize,
  });
  const closeBackend = async (): Promise<void> => {
    await pool.shutdown({ graceMs: 2_000 });
    await local?.close();
  };
  try {
    await pool.ready();
  } catch (error) {
    await closeBackend();
    throw error;
  }

  const live = new LiveEvents(() => snapshot());
  const speeches = new Speeches(() => live.changed());
  const snapshot = (): unknown => ({
    backend: local ? `embedded server (${local.engine})` : 'DashScope',
    stats: pool.stats(),
    metrics: pool.metrics(),
    server: local ? serverSummary(local) : undefined,
    speeches: speeches.recent(30),
  });
  const config = {
    backend: local ? 'embedded' : 'dashscope',
    engine: local?.engine,
    model,
    voices: knownVoices(),
    defaultVoice: DEFAULT_VOICE,
    formats: Object.entries(FORMATS).map(([id, { label }]) => ({ id, label })),
    maxCharacters: LIMITS.maxCharactersPerMessage,
    poolSize,
  };

  const speak = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readJson(request);
    const id = body.id;
    const text = body.text;
    const voice = body.voice;
    const formatId = body.format;
    if (typeof id !== 'string' || !ID_PATTERN.test(id))
      return sendError(response, badRequest('Bad speech id.'));
    if (typeof text !== 'string' || text.trim() === '') {
      return sendError(response, badRequest('Type something to say first.'));
    }
    if (typeof voice !== 'string' || !VOICE_PATTERN.test(voice)) {
      return sendError(response, badRequest('A voice name has letters, digits, "_", "-" or "." only.'));
    }
    const format = typeof formatId === 'string' ? FORMATS[formatId]?.format : undefined;
    if (!format) return sendError(response, badRequest(`Unknown format ${JSON.stringify(formatId)}.`));
    if (speeches.isRunning(id)) return sendError(response, badRequest('This speech is already running.'));
    const characters = countCharacters(text);
    if (characters > LIMITS.maxCharactersPerMessage) {
      return sendError(response, textTooLong(characters, LIMITS.maxCharactersPerMessage));
    }
    const record: SpeechRecord = {
      id,
      voice,
      format: formatId as string,
      characters,
      state: 'waiting',
      bytes: 0,
    };
    await speeches.run(record, async (signal) => {
      try {
        const result = await speakIntoResponse(
          pool,
          {
            text,
            params: { model, voice, format },
            signal,
            quietMs: options.quietMs,
            headers: (synth) => {
              const metrics = synth.getTaskMetrics();
              record.taskId = synth.getLastRequestId();
              record.firstPacketMs = synth.getFirstPackageDelay();
              record.reusedConnection = metrics?.reusedConnection;
              speeches.started(record);
              return {
                'x-first-packet-ms': String(Math.round(record.firstPacketMs)),
                'x-connection-reused': String(record.reusedConnection ?? false),
              };
            },
          },
          response,
        );
        record.state = result.outcome;
        record.bytes = result.bytes;
        record.taskId = result.taskId ?? record.taskId;
        record.totalMs = result.metrics?.totalMs;
        log(
          `speech ${id} (task ${record.taskId ?? '-'}): ${result.outcome}, first packet ` +
            `${record.firstPacketMs ?? '-'} ms, ${result.bytes} bytes`,
        );
      } catch (error) {
        const words = errorInWords(error, { voice, poolSize });
        record.state = 'failed';
        record.error = words.message;
        log(`speech ${id} (task ${record.taskId ?? '-'}): failed: ${(error as Error).message}`);
        if (!response.headersSent) sendError(response, words);
      }
    });
  };

  const stop = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readJson(request);
    const record = typeof body.id === 'string' ? await speeches.stop(body.id) : undefined;
    if (!record)
      return sendJson(response, 404, { error: { kind: 'bad-request', message: 'No such speech.' } });
    sendJson(response, 200, { speech: record });
  };

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (request.method === 'GET') {
      if (path === '/api/config') return sendJson(response, 200, config);
      if (path === '/api/events') return live.accept(request, response);
      if (path === '/api/speech') {
        const record = speeches.get(url.searchParams.get('id') ?? '');
        return record
          ? sendJson(response, 200, { speech: record })
          : sendJson(response, 404, { error: { kind: 'bad-request', message: 'No such speech.' } });
      }
      if (path === '/favicon.ico') return void response.writeHead(204).end();
      if (await serveStatic(path, response)) return;
    } else if (request.method === 'POST') {
      if (path === '/api/speak') return speak(request, response);
      if (path === '/api/stop') return stop(request, response);
    }
    sendJson(response, 404, {
      error: { kind: 'bad-request', message: `No route ${request.method} ${path}` },
    });
  };

  const http: Server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      if (error instanceof BadBodyError) return sendError(response, badRequest(error.message));
      log(`internal error: ${(error as Error).stack ?? String(error)}`);
      if (!response.headersSent) {
        sendJson(response, 500, { error: { kind: 'service-failed', message: 'Internal server error.' } });
      } else response.destroy();
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port ?? 0, '127.0.0.1', () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await closeBackend();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/`,
    pool,
    local,
    speeches,
    close: () =>
      (closing ??= (async () => {
        live.close();
        await speeches.stopAll();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
        await closeBackend();
      })()),
  };
}

/** The embedded server's counters without the per-task byte map. */
function serverSummary(local: LocalServer): unknown {
  const { bytesSentByTask: _bytes, ...rest } = local.stats();
  return rest;
}

class BadBodyError extends Error {}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BadBodyError('The request is too large.');
    chunks.push(chunk);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (typeof body === 'object' && body !== null) return body as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new BadBodyError('The request body must be a JSON object.');
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

function sendError(response: ServerResponse, error: ErrorInWords): void {
  sendJson(response, error.status, { error: { kind: error.kind, message: error.message } });
}
