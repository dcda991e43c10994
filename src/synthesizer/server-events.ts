/**
 * What the server sends, dispatched to the running task: JSON events move it through its
 * phases, audio frames are counted and handed on (pausing the socket for a slow reader), and a
 * closed connection ends it. See docs/protocol.md, "Server events" and "Task lifecycle".
 */
import type { Connection, ConnectionCloseInfo } from '../connection.js';
import { ConnectionError, ProtocolError, TaskFailedError } from '../errors/index.js';
import { asDashScopeError } from '../errors/convert.js';
import { parseServerEvent, type ServerEvent } from '../protocol.js';
import { voiceHint } from '../voice-hint.js';
import type { ConnectionListener } from './connection-slot.js';
import type { TaskDriver } from './task-driver.js';

export class ServerEvents implements ConnectionListener {
  readonly #driver: TaskDriver;
  #lastResponse: string | undefined;

  constructor(driver: TaskDriver) {
    this.#driver = driver;
  }

  /** The last JSON event received from the server, as received; undefined before any. */
  get lastResponse(): string | undefined {
    return this.#lastResponse;
  }

  /** Forgets the last event (see `kForgetLastTask`). */
  forget(): void {
    this.#lastResponse = undefined;
  }

  /** A JSON event: must belong to the running task; anything unparsable fails the task. */
  onText(connection: Connection, raw: string): void {
    const driver = this.#driver;
    const current = driver.current;
    const task = current?.connection === connection ? current : undefined;
    let event: ServerEvent;
    try {
      event = parseServerEvent(raw);
    } catch (error) {
      if (task?.isActive) {
        task.requestCancel(); // a confused peer: no retry
        driver.fail(task, asDashScopeError(error));
        connection.terminate();
      }
      return;
    }
    this.#lastResponse = raw;
    if (!task?.isActive) return;
    if (event.taskId !== task.id) {
      driver.fail(
        task,
        new ProtocolError(`Server sent ${event.event} for task ${event.taskId} during task ${task.id}`),
      );
      connection.terminate();
      return;
    }
    driver.notify(task, 'onEvent', raw);
    switch (event.event) {
      case 'task-started':
        task.markStarted();
        if (task.claimOpenNotification()) driver.notify(task, 'onOpen');
        break;
      case 'result-generated':
        if (event.usage) task.recordUsage(event.usage.characters);
        // What a family keeps of its results (Sambert: the timestamps); CosyVoice keeps nothing.
        driver.family.onResult?.(task, event);
        break;
      case 'task-finished':
        if (event.usage) task.recordUsage(event.usage.characters);
        driver.end(task, task.cancelRequested ? 'cancelled' : 'finished');
        break;
      case 'task-failed': {
        // The service's words for a refused voice name neither the voice nor the reason.
        const { model, voice } = driver.params;
        driver.fail(
          task,
          new TaskFailedError({
            errorCode: event.errorCode,
            errorMessage: event.errorMessage,
            taskId: event.taskId,
            audioReceived: task.audioFrames > 0,
            hint: voiceHint(event.errorCode, event.errorMessage, { model, voice }),
          }),
          connection,
        );
        break;
      }
    }
  }

  /** An audio frame of the running task. After a cancel, frames still in flight are dropped. */
  onBinary(connection: Connection, data: Buffer): void {
    const task = this.#driver.current;
    if (!task?.canSend || task.connection !== connection) return;
    if (!task.recordAudio(data)) connection.pause();
    this.#driver.notify(task, 'onData', data);
  }

  /** The connection closed: a task on it fails (its audio is incomplete), or a cancel is done. */
  onClose(connection: Connection, info: ConnectionCloseInfo): void {
    const task = this.#driver.current;
    if (!task?.isActive || task.connection !== connection) return;
    if (task.phase === 'cancelling') {
      // The cancel's goal (no more audio) is met; the connection just did not survive it.
      this.#driver.end(task, 'cancelled');
      return;
    }
    const received = task.audioFrames > 0 ? `after ${task.audioBytes} bytes of audio` : 'before any audio';
    this.#driver.fail(
      task,
      new ConnectionError(
        `Connection closed during task ${task.id} ${received} (code ${info.code}${info.reason ? `: ${info.reason}` : ''}); the audio is incomplete`,
        { closeCode: info.code, closeReason: info.reason, audioReceived: task.audioFrames > 0 },
      ),
    );
  }
}
