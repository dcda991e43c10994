/**
 * The limit: the same task exchange as the library, by hand on a persistent `ws` socket, with no
 * library code at all. run-task, continue-task and finish-task go out back to back (the library's
 * default eager start), then it keeps the binary frames until task-finished and joins them into
 * one Buffer: the same result as the library's `call()`, which returns the task's whole audio.
 * (Until 2026-12-02 it only counted the bytes, which charged the library alone for that copy.)
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

export interface BareTaskResult {
  /** From sending run-task to the first binary frame. */
  firstPacketMs: number;
  bytes: number;
}

interface Pending {
  taskId: string;
  startedAt: number;
  firstAt: number | undefined;
  bytes: number;
  chunks: Buffer[];
  resolve(result: BareTaskResult): void;
  reject(error: Error): void;
}

export class BareConnection {
  readonly #socket: WebSocket;
  #pending: Pending | undefined;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on('message', (data: Buffer, isBinary) => this.#onMessage(data, isBinary));
    socket.on('error', () => undefined);
    socket.on('close', (code) => this.#pending?.reject(new Error(`bare socket closed (${code})`)));
  }

  static open(url: string, apiKey: string): Promise<BareConnection> {
    return new Promise((resolve, reject) => {
      // Same socket options as the library's Connection, so that only the code differs.
      const socket = new WebSocket(url, {
        perMessageDeflate: false,
        maxPayload: 16 * 1024 * 1024,
        headers: { Authorization: `Bearer ${apiKey}` },
      });
      socket.once('open', () => resolve(new BareConnection(socket)));
      socket.once('error', reject);
    });
  }

  runTask(model: string, parameters: Record<string, unknown>, text: string): Promise<BareTaskResult> {
    const taskId = randomUUID().replaceAll('-', '');
    const header = (action: string): Record<string, string> => ({
      action,
      task_id: taskId,
      streaming: 'duplex',
    });
    return new Promise<BareTaskResult>((resolve, reject) => {
      this.#pending = {
        taskId,
        startedAt: performance.now(),
        firstAt: undefined,
        bytes: 0,
        chunks: [],
        resolve,
        reject,
      };
      const payload = {
        model,
        task_group: 'audio',
        task: 'tts',
        function: 'SpeechSynthesizer',
        input: {},
        parameters,
      };
      this.#socket.send(JSON.stringify({ header: header('run-task'), payload }));
      this.#socket.send(JSON.stringify({ header: header('continue-task'), payload: { input: { text } } }));
      this.#socket.send(JSON.stringify({ header: header('finish-task'), payload: { input: {} } }));
    }).finally(() => (this.#pending = undefined));
  }

  close(): void {
    this.#socket.close();
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    const task = this.#pending;
    if (!task) return;
    if (isBinary) {
      task.firstAt ??= performance.now();
      task.bytes += data.length;
      task.chunks.push(data);
      return;
    }
    const event = JSON.parse(data.toString('utf8')) as {
      header: { event: string; task_id: string; error_code?: string };
    };
    if (event.header.task_id !== task.taskId) return;
    if (event.header.event === 'task-finished') {
      // The task's audio as one Buffer, as the library's call() gives it.
      const audio = Buffer.concat(task.chunks, task.bytes);
      task.resolve({ firstPacketMs: (task.firstAt ?? Number.NaN) - task.startedAt, bytes: audio.length });
    } else if (event.header.event === 'task-failed') {
      task.reject(new Error(`task-failed ${event.header.error_code ?? ''}`));
    }
  }
}

/** Opens `count` connections, `parallel` at a time. */
export async function openBareConnections(
  url: string,
  apiKey: string,
  count: number,
  parallel = 64,
): Promise<BareConnection[]> {
  const out: BareConnection[] = [];
  for (let i = 0; i < count; i += parallel) {
    const batch = Math.min(parallel, count - i);
    out.push(...(await Promise.all(Array.from({ length: batch }, () => BareConnection.open(url, apiKey)))));
  }
  return out;
}
