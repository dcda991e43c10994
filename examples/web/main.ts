/**
 * `npm run web`: starts the web page that speaks through the pool and prints its URL.
 *
 * By default it runs against the embedded DashScope-compatible server (no network, no key).
 * Environment:
 *   WEB_PORT            port on 127.0.0.1 (default 8090; 0 picks a free one)
 *   WEB_POOL_SIZE       pre-opened connections (default 4)
 *   WEB_REAL_TIME_FACTOR  embedded server: audio of length d is sent over at least factor × d
 *                       (default 0.5, twice as fast as it plays, like a streaming service; 0 = at once)
 *   DASHSCOPE_API_KEY and DEMO_URL (or DASHSCOPE_WEBSOCKET_BASE_URL), e.g.
 *                       wss://dashscope.aliyuncs.com/api-ws/v1/inference: use the real service
 */
import { startWebApp } from './app.js';

const port = Number(process.env.WEB_PORT ?? 8090);
const poolSize = Number(process.env.WEB_POOL_SIZE ?? 4);
const realTimeFactor = Number(process.env.WEB_REAL_TIME_FACTOR ?? 0.5);
const remoteUrl = process.env.DEMO_URL ?? process.env.DASHSCOPE_WEBSOCKET_BASE_URL;
const apiKey = process.env.DASHSCOPE_API_KEY;

const app = await startWebApp({
  port,
  poolSize,
  remote: remoteUrl && apiKey ? { url: remoteUrl, apiKey } : undefined,
  local: { pacing: { realTimeFactor } },
  log: (line) => console.log(line),
}).catch((error: unknown) => {
  const code = (error as { code?: string }).code;
  console.error(
    code === 'EADDRINUSE'
      ? `Port ${port} is taken: set WEB_PORT to another port (0 picks a free one).`
      : `Cannot start: ${(error as Error).message}`,
  );
  process.exit(1);
});

const backend = app.local ? `the embedded server (${app.local.engine} voice)` : remoteUrl;
console.log(`Speaking through ${backend} with ${poolSize} pooled connections.`);
console.log(`Open ${app.url} (Ctrl+C to stop)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log('Shutting down…');
    void app.close();
  });
}
