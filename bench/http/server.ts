/**
 * The benchmark's server process: plain HTTP and HTTPS servers around the local generation
 * endpoint, driven over the IPC channel of `child_process.fork`. Running it in its own process
 * keeps the server's work off the client's event loop.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createGenerationEndpoint } from '../../src/server/generation/index.js';

/** Messages from the benchmark to the server process. */
export type ToServer = { type: 'start'; key: string; cert: string } | { type: 'stats' } | { type: 'stop' };
/** Messages back. */
export type FromServer =
  | { type: 'ready'; httpPort: number; httpsPort: number }
  | { type: 'stats'; httpConnections: number; httpsConnections: number };

/** Serves until told to stop. */
export function serveOverIpc(): void {
  const send = (m: FromServer): void => void process.send!(m);
  let servers: { plain: http.Server; tls: https.Server } | undefined;
  let httpConnections = 0;
  let httpsConnections = 0;

  process.on('message', (m: ToServer) => {
    if (m.type === 'start') {
      const endpoint = createGenerationEndpoint({});
      const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
        if (!endpoint.handle(req, res)) {
          res.writeHead(404);
          res.end();
        }
      };
      const plain = http.createServer(handler);
      const tls = https.createServer({ key: m.key, cert: m.cert }, handler);
      for (const s of [plain, tls]) {
        s.keepAliveTimeout = 60_000;
        s.maxHeadersCount = 100;
      }
      plain.on('connection', () => (httpConnections += 1));
      tls.on('secureConnection', () => (httpsConnections += 1));
      servers = { plain, tls };
      let listening = 0;
      const ready = (): void => {
        listening += 1;
        if (listening < 2) return;
        send({
          type: 'ready',
          httpPort: (plain.address() as AddressInfo).port,
          httpsPort: (tls.address() as AddressInfo).port,
        });
      };
      plain.listen(0, '127.0.0.1', ready);
      tls.listen(0, '127.0.0.1', ready);
    } else if (m.type === 'stats') {
      send({ type: 'stats', httpConnections, httpsConnections });
    } else {
      for (const s of servers ? [servers.plain, servers.tls] : []) {
        s.closeAllConnections();
        s.close();
      }
      process.disconnect?.();
    }
  });
}
