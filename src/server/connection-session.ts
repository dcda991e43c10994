/**
 * The socket side of one client connection: the per-connection state machine of docs/protocol.md,
 * "Task lifecycle". Messages are processed strictly in order through a work queue
 * (so continue/finish that arrive before task-started are simply handled after the run-task); a
 * cancel pre-empts the queue; any error answers task-failed and closes the socket. The run of
 * the task itself is a {@link TaskRun}.
 */
import { WebSocket, type RawData } from 'ws';
import { isCancel, parseClientMessage, type ClientMessage } from './client-messages.js';
import * as events from './events.js';
import { DelayLine } from './delay-line.js';
import type { Outbound, SessionContext } from './session-context.js';
import { inactivity, invalidAction, TASK_ERRORS, unknownTask, type TaskError } from './task-errors.js';
import { openTaskRun, type TaskRun, type TaskSocket } from './task-run.js';

export type { SessionContext } from './session-context.js';

type Work = ClientMessage & { early?: boolean };

/** Drives one WebSocket. Created by the server for every accepted upgrade. */
export class ConnectionSession {
  readonly id: string;
  readonly #ws: WebSocket;
  readonly #ctx: SessionContext;
  readonly #out: DelayLine<Outbound>;
  readonly #in: DelayLine<string>;
  /** The session as its task runs see it. */
  readonly #socket: TaskSocket;
  #queue: Work[] = [];
  #pumping = false;
  #closing = false;
  #disposed = false;
  #task: TaskRun | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #idleSince = Date.now();
  #inactivityTimer: NodeJS.Timeout | undefined;

  constructor(id: string, ws: WebSocket, ctx: SessionContext) {
    this.id = id;
    this.#ws = ws;
    this.#ctx = ctx;
    const halfTrip = ctx.roundTripMs / 2;
    this.#out = new DelayLine(halfTrip, (item) => this.#write(item));
    this.#in = new DelayLine(halfTrip, (raw) => this.#receive(raw));
    this.#socket = this.#taskSocket();
    ws.on('message', (data: RawData, isBinary: boolean) => {
      // Client binary frames mean nothing in TTS (docs/protocol.md, "Framing"): ignored.
      if (isBinary || this.#closing) return;
      ctx.counters.messagesReceived++;
      this.#in.push(rawText(data));
    });
    ws.on('error', (error) => ctx.log(`connection ${id}: ${error.message}`));
    ws.on('close', (code) => this.#dispose(code));
    this.#armIdle();
  }

  /** Terminates the socket at once (no close frame). */
  kill(): void {
    this.#ws.terminate();
  }

  /** Closes the socket as the idle close does, if no task runs on it. Returns whether it did. */
  closeIfIdle(): boolean {
    if (this.#closing || this.#disposed || this.#task || this.#pumping || this.#queue.length > 0)
      return false;
    this.#ctx.log(`connection ${this.id}: idle, closing (storm)`);
    this.#close(1000, 'idle timeout');
    return true;
  }

  /** Re-schedules the idle close after the idle timeout changed. */
  rescheduleIdle(): void {
    if (this.#idleTimer) this.#armIdle(this.#idleSince);
  }

  // ----- inbound -----------------------------------------------------------------------------

  #receive(raw: string): void {
    if (this.#closing) return;
    const message: Work = parseClientMessage(raw);
    if (message.kind !== 'malformed') {
      this.#ctx.events.emit('client-message', {
        connectionId: this.id,
        action:
          message.kind === 'invalid' ? message.action : (message.message.header as { action: string }).action,
        taskId: message.taskId,
        message: message.message,
      });
    }
    this.#clearInactivity();
    if (message.kind === 'run-task') this.#clearIdle();
    const task = this.#task;
    const forRunningTask =
      task !== undefined && !task.ended && 'taskId' in message && message.taskId === task.spec.taskId;
    if (message.kind === 'continue-task' || message.kind === 'finish-task') {
      message.early = this.#ctx.strictTaskStarted && !(forRunningTask && task.startedWritten);
      if (
        message.kind === 'finish-task' &&
        isCancel(message.input) &&
        forRunningTask &&
        !task.hung &&
        !message.early
      ) {
        // Cancel takes effect at once: whatever was queued before it is moot.
        this.#queue = [];
        this.#cancel(task);
        return;
      }
    }
    this.#queue.push(message);
    void this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0 && !this.#closing) {
        const message = this.#queue.shift()!;
        try {
          await this.#handle(message);
        } catch (error) {
          this.#ctx.log(`connection ${this.id}: internal error: ${(error as Error).stack ?? String(error)}`);
          const taskId = this.#task?.spec.taskId ?? ('taskId' in message ? message.taskId : undefined);
          if (taskId !== undefined) this.#fail(taskId, TASK_ERRORS.internal);
          else this.#close(1011, 'Internal error');
        }
      }
    } finally {
      this.#pumping = false;
    }
    if (!this.#closing) {
      this.#armInactivity();
      if (!this.#task) this.#armIdle();
    }
  }

  async #handle(message: Work): Promise<void> {
    const task = this.#task;
    switch (message.kind) {
      case 'malformed':
        this.#close(1007, 'Invalid frame payload data');
        return;
      case 'invalid':
        this.#fail(message.taskId, TASK_ERRORS.malformedTask);
        return;
      case 'unknown-action':
        this.#fail(message.taskId, invalidAction(message.action));
        return;
      case 'run-task': {
        if (task) return this.#fail(message.taskId, TASK_ERRORS.runTaskWhileBusy);
        const run = await openTaskRun(message, this.#ctx, this.#socket);
        if (!run) return;
        this.#task = run;
        await run.start();
        return;
      }
      case 'continue-task':
      case 'finish-task': {
        if (!task || task.spec.taskId !== message.taskId) {
          this.#fail(message.taskId, unknownTask(message.taskId));
          return;
        }
        if (task.hung) return;
        if (message.early) {
          this.#fail(message.taskId, invalidAction(message.kind));
          return;
        }
        if (message.kind === 'continue-task') await task.continue(message.input);
        else if (isCancel(message.input)) this.#cancel(task);
        else await task.finish();
        return;
      }
    }
  }

  #cancel(task: TaskRun): void {
    task.cancel();
    this.#clearInactivity();
    if (!this.#pumping) this.#armIdle();
  }

  /** Answers task-failed, ends the running task and closes the socket (docs/protocol.md, "Errors"). */
  #fail(taskId: string, error: TaskError): void {
    if (this.#closing) return;
    const task = this.#task;
    if (task && task.spec.taskId !== taskId) {
      // The running task dies with the socket (e.g. run-task while busy).
      this.#ctx.counters.aborted++;
    }
    task?.end();
    this.#send({ kind: 'text', data: events.taskFailed(taskId, error.code, error.message) });
    this.#ctx.counters.failed++;
    this.#emitTask('task-failed', taskId, error.code);
    this.#close(1000, 'task failed');
  }

  /** The session as a task run sees it: sending, failing and breaking off go through the session. */
  #taskSocket(): TaskSocket {
    return {
      isClosing: () => this.#closing,
      send: (item) => this.#send(item),
      dropAudio: (taskId) =>
        this.#out.remove(
          (item) =>
            (item.kind === 'binary' || item.kind === 'text') &&
            item.taskId === taskId &&
            (item.kind === 'binary' || item.audio === true),
        ),
      fail: (taskId, error) => this.#fail(taskId, error),
      breakOff: (how) => {
        this.#stopAll();
        this.#send(
          how === 'terminate'
            ? { kind: 'terminate' }
            : { kind: 'close', code: 1011, reason: 'Internal error' },
        );
      },
      ended: (run) => {
        if (this.#task === run) this.#task = undefined;
      },
      emitTask: (name, taskId, errorCode) => this.#emitTask(name, taskId, errorCode),
    };
  }

  // ----- outbound ----------------------------------------------------------------------------

  #send(item: Outbound): void {
    this.#out.push(item);
  }

  #write(item: Outbound): void {
    const ws = this.#ws;
    if (item.kind === 'terminate') {
      ws.terminate();
      return;
    }
    if (ws.readyState !== WebSocket.OPEN) return;
    switch (item.kind) {
      case 'text':
        ws.send(item.data);
        item.onWritten?.();
        return;
      case 'binary':
        ws.send(item.data);
        this.#ctx.counters.addBytes(item.taskId, item.data.length);
        return;
      case 'close':
        ws.close(item.code, item.reason);
        return;
    }
  }

  /** Closes the socket after everything already queued has been sent. */
  #close(code: number, reason: string): void {
    if (this.#closing) return;
    this.#stopAll();
    this.#send({ kind: 'close', code, reason });
  }

  /** From now on the session takes no more work: queued messages are dropped, timers stopped. */
  #stopAll(): void {
    this.#closing = true;
    this.#queue = [];
    this.#clearTimers();
  }

  // ----- timers (docs/protocol.md, "Idle close" and "Inactivity") ---------------------------

  #armIdle(since = Date.now()): void {
    this.#clearIdle();
    if (this.#closing || this.#disposed) return;
    this.#idleSince = since;
    const wait = Math.max(0, since + this.#ctx.idleTimeoutMs() - Date.now());
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#task || this.#pumping || this.#queue.length > 0) return;
      this.#ctx.log(`connection ${this.id}: idle, closing`);
      this.#close(1000, 'idle timeout');
    }, wait);
  }

  #clearIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  #armInactivity(): void {
    this.#clearInactivity();
    const task = this.#task;
    if (!task || task.hung || task.ended || this.#closing) return;
    const ms = this.#ctx.taskInactivityTimeoutMs;
    this.#inactivityTimer = setTimeout(() => {
      this.#inactivityTimer = undefined;
      if (this.#task === task && !task.ended && !this.#pumping) this.#fail(task.spec.taskId, inactivity(ms));
    }, ms);
  }

  #clearInactivity(): void {
    if (this.#inactivityTimer) clearTimeout(this.#inactivityTimer);
    this.#inactivityTimer = undefined;
  }

  #clearTimers(): void {
    this.#clearIdle();
    this.#clearInactivity();
  }

  #emitTask(name: string, taskId: string, errorCode?: string): void {
    this.#ctx.events.emit(name, { connectionId: this.id, taskId, ...(errorCode ? { errorCode } : {}) });
  }

  #dispose(code: number): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#stopAll();
    this.#out.clear();
    this.#in.clear();
    const task = this.#task;
    if (task && !task.ended) {
      // The client went away mid-task (docs/protocol.md, "Task lifecycle"): stop, send nothing.
      this.#ctx.counters.aborted++;
      task.end();
    }
    this.#ctx.counters.openConnections--;
    this.#ctx.events.emit('disconnect', { connectionId: this.id, code });
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
