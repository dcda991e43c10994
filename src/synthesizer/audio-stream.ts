/**
 * One task's audio as a Node.js Readable: frames are pushed as they arrive, a full buffer pauses
 * the socket until the reader catches up, destroying the stream cancels the task, and the task's
 * error arrives as the stream's 'error'.
 */
import { Readable } from 'node:stream';
import { AbortError } from '../errors/index.js';
import { asDashScopeError } from '../errors/convert.js';
import type { TaskOptions } from './options.js';
import { FINISH, type Task } from './task.js';
import type { TaskDriver } from './task-driver.js';

/**
 * Starts a task for `text` on `driver` and returns its audio stream at once (the task starts in
 * the background; a failure to start destroys the stream with the typed error).
 * @param text already validated.
 * @param highWaterMark bytes buffered before reading from the socket pauses.
 */
export function createAudioStream(
  driver: TaskDriver,
  text: string,
  highWaterMark: number,
  options: TaskOptions,
): Readable {
  let task: Task | undefined;
  const readable = new Readable({
    highWaterMark,
    read: () => task?.connection?.resume(),
    destroy: (error, callback) => {
      if (task?.isActive) driver.cancel(task, new AbortError('the audio stream was destroyed'));
      callback(error);
    },
  });
  driver.newTask(false, options).then(
    (created) => {
      task = created;
      if (readable.destroyed) return driver.cancel(created, new AbortError('the audio stream was destroyed'));
      created.setSink((chunk) => readable.push(chunk));
      created.result.promise.then(
        () => readable.push(null),
        (error: unknown) => readable.destroy(asDashScopeError(error)),
      );
      driver.append(created, { kind: 'text', text });
      driver.append(created, FINISH);
    },
    (error: unknown) => readable.destroy(asDashScopeError(error)),
  );
  return readable;
}
