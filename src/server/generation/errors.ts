/** The error replies of DashScope's generation endpoints (docs/protocol.md, "HTTP generation: errors"). */

/** One error reply: HTTP status, DashScope code and message. */
export interface ErrorReply {
  status: number;
  code: string;
  message: string;
}

/** The documented replies the local endpoints use. */
export const ERRORS = Object.freeze({
  noApiKey: { status: 401, code: 'InvalidApiKey', message: 'No API-key provided.' },
  invalidApiKey: { status: 401, code: 'InvalidApiKey', message: 'Invalid API-key provided.' },
  emptyModel: {
    status: 400,
    code: 'BadRequest.EmptyModel',
    message: 'Required parameter "model" missing from request.',
  },
  missingInput: {
    status: 400,
    code: 'InvalidParameter',
    message: 'Either "prompt" or "messages" must exist and cannot both be none',
  },
  invalidParameter: {
    status: 400,
    code: 'InvalidParameter',
    message: 'Required parameter(s) missing or invalid, please check the request parameters.',
  },
  dataInspection: {
    status: 400,
    code: 'DataInspectionFailed',
    message: 'Input or output data may contain inappropriate content.',
  },
  throttled: {
    status: 429,
    code: 'Throttling.RateQuota',
    message: 'Requests rate limit exceeded, please try again later.',
  },
  internal: {
    status: 500,
    code: 'InternalError',
    message: 'An internal error has occured, please try again later or contact service support.',
  },
  methodNotAllowed: { status: 405, code: 'MethodNotAllowed', message: 'Only POST is allowed on this path.' },
  tooLarge: { status: 413, code: 'RequestTooLarge', message: 'The request body is too large.' },
} satisfies Record<string, ErrorReply>);

/** The default reply for an injected status. */
export function replyForStatus(status: number): ErrorReply {
  if (status === 429) return ERRORS.throttled;
  if (status === 401) return ERRORS.invalidApiKey;
  if (status >= 500) return { ...ERRORS.internal, status };
  return { ...ERRORS.invalidParameter, status };
}

/** An HTML error page, like a gateway answers with. */
export function htmlPage(status: number): string {
  return `<html><head><title>${status} Bad Gateway</title></head><body><center><h1>${status} Bad Gateway</h1></center><hr><center>envoy</center></body></html>\n`;
}
