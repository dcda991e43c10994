/**
 * `call()`: one task with all of its text at once: checks the text and options before anything
 * is sent, starts the task, queues the text and the finish, and hands back the task's result.
 * Not an async function: with many tasks in flight, each holds its result promise and nothing
 * more (no suspended frame with its registers and await callbacks; see README, "Performance").
 */
import { validateTaskText } from '../params.js';
import { rejected } from '../util/async.js';
import { checkTaskOptions, type TaskOptions } from './options.js';
import type { TaskDriver } from './task-driver.js';
import { FINISH, Task } from './task.js';

/**
 * Runs `text` as one task on `driver`; resolves to the collected audio (null when the audio goes
 * to a callback) or rejects with the task's typed error, or with the input's, nothing sent.
 */
export function callTask(
  driver: TaskDriver,
  collectAudio: boolean,
  text: string,
  options: TaskOptions | null | undefined,
): Promise<Buffer | null> {
  try {
    const characters = validateTaskText(text);
    const started = driver.startTask(collectAudio, checkTaskOptions(options));
    if (started instanceof Task) return sendAll(driver, started, text, characters);
    return started.then((task) => sendAll(driver, task, text, characters));
  } catch (error) {
    return rejected(error);
  }
}

function sendAll(driver: TaskDriver, task: Task, text: string, characters: number): Promise<Buffer | null> {
  driver.append(task, { kind: 'text', text }, characters);
  driver.append(task, FINISH);
  return task.result.promise;
}
