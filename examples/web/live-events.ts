/**
 * Server-sent events for the pages: a `snapshot` (pool stats and metrics, server counters, recent
 * speeches) every second while any page listens, and at once when something changes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Pushes snapshots to every connected page. */
export class LiveEvents {
  readonly #clients = new Set<ServerResponse>();
  readonly #snapshot: () => unknown;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #pending: NodeJS.Immediate | undefined;

  /**
   * @param snapshot builds the data of one `snapshot` event.
   * @param intervalMs how often pages get a fresh snapshot while nothing happens.
   */
  constructor(snapshot: () => unknown, intervalMs = 1_000) {
    this.#snapshot = snapshot;
    this.#intervalMs = intervalMs;
  }

  /** Answers `GET /api/events`: keeps the response open as an event stream. */
  accept(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    // Tells EventSource how soon to reconnect after the server went away.
    response.write('retry: 2000\n\n');
    this.#clients.add(response);
    this.#send(response, this.#snapshot());
    request.once('close', () => {
      this.#clients.delete(response);
      if (this.#clients.size === 0) this.#stopTimer();
    });
    this.#timer ??= setInterval(() => this.#broadcast(), this.#intervalMs);
  }

  /** Sends a snapshot soon (changes in the same tick are sent once). */
  changed(): void {
    if (this.#clients.size === 0 || this.#pending) return;
    this.#pending = setImmediate(() => {
      this.#pending = undefined;
      this.#broadcast();
    });
  }

  /** Ends every event stream and stops the timers. */
  close(): void {
    this.#stopTimer();
    if (this.#pending) clearImmediate(this.#pending);
    this.#pending = undefined;
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }

  #broadcast(): void {
    if (this.#clients.size === 0) return;
    const data = this.#snapshot();
    for (const client of this.#clients) this.#send(client, data);
  }

  #send(client: ServerResponse, data: unknown): void {
    client.write(`event: snapshot\ndata: ${JSON.stringify(data)}\n\n`);
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
