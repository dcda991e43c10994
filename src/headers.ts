/**
 * What goes into request headers: the key, the workspace and the caller's extra headers, checked
 * before anything is sent. Node (and `ws`) refuse a bad header name or value only when the
 * request is made, with an untyped error, and a pool would keep retrying; checked here, the
 * mistake is one `InvalidOptionError` in the constructor. Messages never show the key.
 */
import { InvalidOptionError } from './errors/index.js';
import { describeValue, typeLabel } from './util/describe-value.js';

// RFC 9110, section 5.6.2, token characters: a header name with a space, a colon or a non-ASCII letter is not one.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110, section 5.5, field value: visible ASCII, space, tab and obs-text (Latin-1); no CR, LF or NUL.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
// A key or token: printable ASCII or Latin-1, no whitespace (the scheme is `Bearer <key>`).
const KEY_VALUE = /^[\x21-\x7e\x80-\xff]+$/;

/** What {@link validateConnectionHeaders} looks at; anything else in the object is ignored. */
export interface HeaderOptions {
  apiKey?: unknown;
  workspace?: unknown;
  headers?: unknown;
}

/**
 * Checks the `apiKey` (when it is a string; a function is checked when it is called), the
 * `workspace` and the `headers` options: names must be header tokens, values strings without
 * CR, LF, NUL or characters beyond Latin-1; no `Authorization` header (use `apiKey`). `null` and
 * `undefined` options objects pass (there is nothing to check). Used by every client that sends
 * these headers, so a pool and a synthesizer refuse the same input the same way.
 * @throws {InvalidOptionError} naming the option (`apiKey`, `workspace` or `headers`; the
 *   message names the header); the key itself is never shown.
 */
export function validateConnectionHeaders(options: HeaderOptions | null | undefined): void {
  if (typeof options !== 'object' || options === null) return;
  const { apiKey, workspace, headers } = options;
  // No key at all ('' included) is a MissingApiKeyError, raised where the key is resolved.
  if (apiKey !== undefined && apiKey !== null && apiKey !== '' && typeof apiKey !== 'function') {
    checkApiKeyValue(apiKey, 'apiKey');
  }
  if (workspace !== undefined) checkWorkspace(workspace);
  if (headers !== undefined) checkHeaders(headers);
}

/**
 * Checks a key (given, from the environment, or returned by a key function): a non-empty string
 * of printable characters without spaces. The message says what is wrong, never what the key is.
 * @throws {InvalidOptionError} for `option`.
 */
export function checkApiKeyValue(key: unknown, option: string): asserts key is string {
  if (typeof key !== 'string') {
    throw new InvalidOptionError(
      option,
      `${option} must be a string or a function returning one, got ${typeLabel(key)}`,
    );
  }
  if (!KEY_VALUE.test(key)) {
    throw new InvalidOptionError(
      option,
      `${option} must be a non-empty string of printable characters without spaces, line breaks ` +
        '(CR/LF), NUL or characters beyond Latin-1 (check for a stray newline from a file or variable)',
    );
  }
}

/** The workspace id: sent as a header, and part of the host name of a workspace endpoint. */
function checkWorkspace(workspace: unknown): void {
  if (typeof workspace !== 'string') {
    throw new InvalidOptionError(
      'workspace',
      `invalid workspace ${describeValue(workspace)}: expected a workspace id string such as "llm-xxxxxxxx"`,
    );
  }
  if (workspace !== '' && !KEY_VALUE.test(workspace)) {
    throw new InvalidOptionError(
      'workspace',
      `invalid workspace ${describeValue(workspace)}: a workspace id has no spaces, line breaks (CR/LF), ` +
        'NUL or characters beyond Latin-1',
    );
  }
}

function checkHeaders(headers: unknown): void {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new InvalidOptionError(
      'headers',
      `invalid headers ${describeValue(headers)}: expected an object of header names to string values`,
    );
  }
  for (const name of Reflect.ownKeys(headers)) {
    if (typeof name === 'symbol') {
      throw new InvalidOptionError(
        'headers',
        `invalid header name ${describeValue(name)}: header names are strings`,
      );
    }
    if (!HEADER_NAME.test(name)) {
      throw new InvalidOptionError(
        'headers',
        `invalid header name ${describeValue(name)}: use letters, digits and !#$%&'*+-.^_\`|~ only ` +
          '(no spaces, colons, line breaks or non-ASCII characters)',
      );
    }
    if (name.toLowerCase() === 'authorization') {
      throw new InvalidOptionError(
        'headers',
        'an Authorization header must not be set through headers: pass the key as the apiKey option',
      );
    }
    const value: unknown = (headers as Record<string, unknown>)[name];
    if (typeof value !== 'string') {
      throw new InvalidOptionError(
        'headers',
        `invalid value of header ${name}: expected a string, got ${typeLabel(value)}`,
      );
    }
    if (!HEADER_VALUE.test(value)) {
      throw new InvalidOptionError(
        'headers',
        // The value is not shown: a header may carry a credential of its own.
        `invalid value of header ${name}: it contains a line break (CR/LF), NUL, another control ` +
          'character or a character beyond Latin-1',
      );
    }
  }
}
