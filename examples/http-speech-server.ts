/**
 * Example: an HTTP endpoint that speaks. `GET /speak?text=...&voice=...` streams WAV audio from
 * a pooled connection straight into the response; a client that hangs up cancels the task on the
 * server and the connection goes back to the pool (examples/speak-into-response.ts, which the web
 * page in examples/web/ uses too).
 *
 *   npx tsx examples/http-speech-server.ts            # against the embedded local server
 *   curl -o hello.wav 'http://127.0.0.1:8000/speak?text=Hello%20world'
 *
 * Set DASHSCOPE_API_KEY and DEMO_URL=wss://dashscope.aliyuncs.com/api-ws/v1/inference to use the
 * real service.
 */
import { createServer } from 'node:http';
import { AudioFormat, SpeechSynthesizerObjectPool } from '../src/index.js';
import { startLocalServer } from '../src/server/index.js';
import { httpStatusOf, speakIntoResponse } from './speak-into-response.js';

const local = process.env.DEMO_URL ? undefined : await startLocalServer();
const pool = new SpeechSynthesizerObjectPool({
  url: process.env.DEMO_URL ?? local!.url,
  apiKey: local ? 'sk-local' : undefined,
  maxSize: 8,
  maxWaitingClients: 100,
});
await pool.ready();

const http = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const text = url.searchParams.get('text');
  if (url.pathname !== '/speak' || !text) {
    response.writeHead(400, { 'content-type': 'text/plain' }).end('GET /speak?text=...&voice=...\n');
    return;
  }
  const params = {
    model: 'cosyvoice-v3-flash',
    voice: url.searchParams.get('voice') ?? 'longxiaochun',
    format: AudioFormat.WAV_22050HZ_MONO_16BIT,
  };
  speakIntoResponse(pool, { text, params, borrowTimeoutMs: 10_000 }, response).catch((error: unknown) => {
    if (response.headersSent) return;
    response
      .writeHead(httpStatusOf(error), { 'content-type': 'text/plain' })
      .end(`${(error as Error).message}\n`);
  });
});

http.listen(8000, '127.0.0.1', () => console.log('Listening on http://127.0.0.1:8000/speak?text=Hello'));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    http.close();
    void pool.shutdown({ graceMs: 5_000 }).then(() => local?.close());
  });
}
