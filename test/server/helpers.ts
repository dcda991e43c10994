/**
 * A plain `ws` test client for the local server (no library code), and frame builders shaped
 * like the official SDKs' messages.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

export type Frame = { type: 'text'; json: ServerMessage; raw: string } | { type: 'binary'; data: Buffer };

export interface ServerMessage {
  header: { task_id: string; event: string; error_code?: string; error_message?: string; attributes: object };
  payload: {
    output?: {
      type?: string;
      original_text?: string;
      sentence?: {
        index?: number;
        words: Array<Record<string, unknown>>;
        begin_time?: number;
        end_time?: number;
      };
    };
    usage?: { characters: number };
  };
}

export function taskId(): string {
  return randomUUID().replace(/-/g, '');
}

export class TestClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.frames.push({ type: 'binary', data: Buffer.from(data) });
      else {
        const raw = data.toString('utf8');
        this.frames.push({ type: 'text', json: JSON.parse(raw) as ServerMessage, raw });
      }
      this.#notify();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.#notify();
      });
    });
    ws.on('error', () => undefined);
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Text messages received so far. */
  get events(): ServerMessage[] {
    return this.frames.flatMap((f) => (f.type === 'text' ? [f.json] : []));
  }

  /** Concatenated binary frames. */
  audio(): Buffer {
    return Buffer.concat(this.frames.flatMap((f) => (f.type === 'binary' ? [f.data] : [])));
  }

  /** Waits until `predicate` holds (checked after every frame and at close). */
  async waitFor(predicate: () => boolean, what = 'condition', timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(250, Math.max(1, deadline - Date.now())));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for an event named `name` (optionally of type `type`) and returns it. */
  async waitForEvent(name: string, type?: string): Promise<ServerMessage> {
    const find = (): ServerMessage | undefined =>
      this.events.find(
        (e) => e.header.event === name && (type === undefined || e.payload.output?.type === type),
      );
    await this.waitFor(() => find() !== undefined || this.ws.readyState === WebSocket.CLOSED, name);
    const found = find();
    if (!found)
      throw new Error(
        `socket closed before ${name}; got ${JSON.stringify(this.events.map((e) => e.header.event))}`,
      );
    return found;
  }

  /** Waits for any of task-finished / task-failed for `id`. */
  async waitForEnd(id: string): Promise<ServerMessage> {
    const find = (): ServerMessage | undefined =>
      this.events.find(
        (e) =>
          e.header.task_id === id && (e.header.event === 'task-finished' || e.header.event === 'task-failed'),
      );
    await this.waitFor(() => find() !== undefined || this.ws.readyState === WebSocket.CLOSED, `end of ${id}`);
    const found = find();
    if (!found) throw new Error(`socket closed before the end of ${id}`);
    return found;
  }

  clear(): void {
    this.frames.length = 0;
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Opens a socket; rejects with the HTTP status and body when the upgrade is refused. */
export function connect(
  url: string,
  headers: Record<string, string> = { Authorization: 'Bearer sk-test' },
): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    ws.once('open', () => resolve(new TestClient(ws)));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () =>
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })),
      );
      res.on('error', () =>
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })),
      );
    });
    ws.once('error', reject);
  });
}

export interface RunOptions {
  model?: string;
  streaming?: string;
  input?: unknown;
  [parameter: string]: unknown;
}

/** A run-task like the Python SDK's (all its default parameters), overridable. */
export function runTask(
  id: string,
  parameters: Record<string, unknown> = {},
  payloadExtra: Record<string, unknown> = {},
): object {
  return {
    header: { action: 'run-task', task_id: id, streaming: 'duplex' },
    payload: {
      model: 'cosyvoice-v3-flash',
      task_group: 'audio',
      task: 'tts',
      function: 'SpeechSynthesizer',
      input: {},
      parameters: {
        voice: 'longanyang',
        volume: 50,
        text_type: 'PlainText',
        sample_rate: 16000,
        rate: 1.0,
        format: 'pcm',
        pitch: 1.0,
        seed: 0,
        type: 0,
        ...parameters,
      },
      ...payloadExtra,
    },
  };
}

export function continueTask(id: string, text: string, extraPayload: Record<string, unknown> = {}): object {
  return {
    header: { action: 'continue-task', task_id: id, streaming: 'duplex' },
    payload: { ...extraPayload, input: { text } },
  };
}

export function flushTask(id: string): object {
  return {
    header: { action: 'continue-task', task_id: id, streaming: 'duplex' },
    payload: {
      model: 'cosyvoice-v3-flash',
      task_group: 'audio',
      task: 'tts',
      function: 'SpeechSynthesizer',
      input: { flush: true },
    },
  };
}

export function finishTask(id: string): object {
  return { header: { action: 'finish-task', task_id: id, streaming: 'duplex' }, payload: { input: {} } };
}

export function cancelTask(id: string): object {
  return {
    header: { action: 'finish-task', task_id: id, streaming: 'duplex' },
    payload: { input: { directive: 'cancel' } },
  };
}

/** Runs one whole task (run, text pieces, finish) and waits for its end. */
export async function synthesize(
  client: TestClient,
  texts: string[],
  parameters: Record<string, unknown> = {},
  id = taskId(),
): Promise<{ id: string; end: ServerMessage }> {
  client.send(runTask(id, parameters));
  await client.waitFor(() => client.events.some((e) => e.header.task_id === id), 'first event');
  for (const text of texts) client.send(continueTask(id, text));
  client.send(finishTask(id));
  const end = await client.waitForEnd(id);
  return { id, end };
}

/** The event names (with result types) of one task, in order, with `#` for binary frames. */
export function transcript(client: TestClient): string[] {
  return client.frames.map((f) =>
    f.type === 'binary' ? '#' : (f.json.payload.output?.type ?? f.json.header.event),
  );
}

/** Polls until `predicate` holds (for server-side counters that settle after the client sees a close). */
export async function eventually(
  predicate: () => boolean,
  what = 'condition',
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
