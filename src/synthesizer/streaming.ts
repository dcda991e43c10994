/**
 * What the streaming methods (`streamingCall`, `streamingFlush`, `streamingComplete`) check before
 * they touch a task: the model takes text in pieces, and a task is running and still open.
 */
import { InvalidStateError } from '../errors/index.js';
import type { DriverSettings, TaskDriver } from './task-driver.js';
import type { Task } from './task.js';

/** Why more text (or a flush) is refused once `streamingComplete()` was called. */
export const FINISHING =
  'The task is finishing: streamingComplete() was already called; await it, then start the next task with streamingCall()';

/**
 * The running streaming task.
 * @throws {UnsupportedOperationError} on a model that takes its text in one message (Sambert);
 *   {InvalidStateError} when no task runs that can still take text.
 */
export function requireStreamingTask(driver: TaskDriver, settings: DriverSettings, method: string): Task {
  settings.family.checkStreaming(method, settings.params.model);
  const task = driver.current;
  if (!task?.canSend) {
    throw new InvalidStateError(`${method}() needs a running task: call streamingCall(text) first`);
  }
  return task;
}
