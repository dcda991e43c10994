/**
 * The service's task-failed codes and messages (docs/protocol.md, "Errors"), verbatim where
 * known. A task that fails is answered with task-failed carrying these in the header, then the
 * socket closes.
 */

export interface TaskError {
  code: string;
  message: string;
}

const invalid = (message: string): TaskError => ({ code: 'InvalidParameter', message });

export const TASK_ERRORS = Object.freeze({
  unknownVoice: invalid('[tts:]Engine return error code: 418'),
  missingInput: invalid("Missing required parameter 'payload.input'! Please follow the protocol!"),
  missingModel: invalid("Missing required parameter 'payload.model'! Please follow the protocol!"),
  malformedTask: invalid('task can not be null'),
  noVoice: invalid('Request voice is invalid!'),
  emptyText: invalid('Parameter invalid: text is null'),
  noText: invalid('Ensure input text is valid.'),
  ssmlSingleMessage: invalid('Text request limit violated, expected 1.'),
  runTaskWhileBusy: invalid("Invalid action('run-task')! Please follow the protocol!"),
  throttled: {
    code: 'Throttling.RateQuota',
    message: 'Requests rate limit exceeded, please try again later.',
  },
  internal: { code: 'InternalError', message: 'Internal server error, please try again later.' },
} satisfies Record<string, TaskError>);

/** `Invalid action('<action>')!`, for unknown actions and (in strict mode) early ones. */
export function invalidAction(action: string): TaskError {
  return invalid(`Invalid action('${action}')! Please follow the protocol!`);
}

/** A continue/finish whose task id is not the running task's (docs/protocol.md, "Task lifecycle"). */
export function unknownTask(taskId: string): TaskError {
  return invalid(
    `Invalid task_id('${taskId}'): no such task on this connection! Please follow the protocol!`,
  );
}

/** Text over the per-message or per-task limit (CJK counted twice). */
export function textTooLong(scope: 'message' | 'task', limit: number, actual: number): TaskError {
  return invalid(
    `Parameter invalid: text is too long, ${actual} characters in this ${scope} (CJK counted twice), at most ${limit} allowed.`,
  );
}

/** An unsupported `format` or `sample_rate`. */
export function unsupported(parameter: string, value: unknown): TaskError {
  return invalid(`Parameter invalid: ${parameter} ${JSON.stringify(value)} is not supported.`);
}

/** The in-task inactivity rule (docs/protocol.md, "Inactivity"). */
export function inactivity(ms: number): TaskError {
  return { code: 'CLIENT_ERROR', message: `request timeout after ${ms / 1000} seconds.` };
}

/** Opus or mp3 asked for while its optional package is missing. */
export function encoderUnavailable(format: string, reason: string): TaskError {
  return {
    code: 'InternalError',
    message: `Audio format ${format} is not available on this server: ${reason}`,
  };
}
