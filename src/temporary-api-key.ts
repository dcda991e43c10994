/**
 * Temporary API keys: DashScope mints short-lived keys (`POST {baseHttpApiUrl}/tokens?
 * expire_in_seconds=N`, N from 1 to 1800, default 60, answer `{"token":"st-…","expires_at":<unix
 * seconds>}`) with the long-lived key, so that the long-lived key need not reach every process
 * that connects. `temporaryApiKey()` turns that into an `apiKey` function: it mints on first use,
 * hands the same key to every connection while it is fresh, and mints the next one before the
 * current one expires, with one request in flight however many connections ask at once.
 * Docs: https://www.alibabacloud.com/help/en/model-studio/generate-temporary-api-key
 */
import type { ApiKeyOption } from './api-key-source.js';
import { checkInteger, validateTimeoutMs } from './config.js';
import { InvalidOptionError, ProtocolError } from './errors/index.js';
import { checkApiKeyValue } from './headers.js';
import { callSignal, reasonOf } from './http/abort.js';
import type { HttpConnectionPool } from './http/pool.js';
import { readText, toHttpRequestError } from './http/response.js';
import { getSharedPool } from './http/shared.js';
import { resolveHttpTarget, type HttpRegion, type HttpTarget } from './http/target.js';
import { ApiKey } from './secret.js';
import { describeValue } from './util/describe-value.js';
import { USER_AGENT } from './version.js';

/** Options of {@link temporaryApiKey}. */
export interface TemporaryApiKeyOptions {
  /** The long-lived key that mints (a string or a key function); else `DASHSCOPE_API_KEY`. */
  apiKey?: ApiKeyOption | undefined;
  /** Lifetime of each temporary key in seconds, 1 to 1800. Default 60. */
  expireInSeconds?: number | undefined;
  /** e.g. `https://dashscope.aliyuncs.com/api/v1`; else the region's, else `DASHSCOPE_HTTP_BASE_URL`, else Beijing. */
  baseHttpApiUrl?: string | undefined;
  /** As for HTTP generation: a short name or a region id (with `workspace`, the workspace's host). */
  region?: HttpRegion | undefined;
  /** Sent as `X-DashScope-WorkSpace`; with a region id, also picks the workspace's host. */
  workspace?: string | undefined;
  /** Extra request headers of the mint request. */
  headers?: Record<string, string> | undefined;
  /**
   * Mint the next key when less than this remains of the current one. Default: a quarter of the
   * lifetime, at most 30 000 ms. Must be below the lifetime.
   */
  refreshBeforeExpiryMs?: number | undefined;
  /** Longest wait for one mint request. Default 10 000 ms. */
  timeoutMs?: number | undefined;
  /** The HTTP pool to mint through. Default: the shared pool of HTTP generation. */
  pool?: HttpConnectionPool | undefined;
}

const DEFAULT_EXPIRE_IN_SECONDS = 60;
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_REFRESH_MARGIN_MS = 30_000;
// Mint answers are a few dozen bytes; anything longer is not one.
const MAX_BODY_BYTES = 64 * 1024;

interface Minted {
  key: ApiKey;
  /** Local clock: the key is not used after this. */
  expiresAtMs: number;
  /** Local clock: the next call after this mints a new key. */
  refreshAtMs: number;
}

/**
 * Makes an `apiKey` function that mints temporary keys with the long-lived key. Give it to a
 * synthesizer, a pool or HTTP generation: each new connection gets the current temporary key.
 * Nothing is sent until the function is first called; no timer is kept.
 *
 * If minting fails while the current key is still valid, that key is returned (the next call
 * tries again); otherwise the error is thrown, and the connection fails with an `ApiKeyError`
 * whose `cause` is it (`HttpRequestError` for an HTTP error such as a refused long-lived key).
 * @throws {InvalidOptionError} for a bad option (naming it), {MissingApiKeyError} without a key.
 */
export function temporaryApiKey(options: TemporaryApiKeyOptions = {}): () => Promise<string> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', `invalid options ${describeValue(options)}: expected an object`);
  }
  const seconds = options.expireInSeconds ?? DEFAULT_EXPIRE_IN_SECONDS;
  checkInteger('expireInSeconds', seconds, 1, 1800);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  validateTimeoutMs('timeoutMs', timeoutMs);
  const lifetimeMs = seconds * 1000;
  const marginMs = options.refreshBeforeExpiryMs ?? Math.min(MAX_REFRESH_MARGIN_MS, lifetimeMs / 4);
  validateTimeoutMs('refreshBeforeExpiryMs', marginMs, { allowZero: true });
  if (marginMs >= lifetimeMs) {
    throw new InvalidOptionError(
      'refreshBeforeExpiryMs',
      `invalid refreshBeforeExpiryMs ${marginMs}: it must be below the lifetime (${lifetimeMs} ms)`,
    );
  }
  const { apiKey, baseHttpApiUrl, region, workspace, headers } = options;
  const target = resolveHttpTarget({ apiKey, baseHttpApiUrl, region, workspace, headers }, '/tokens');
  const pool = options.pool;

  let current: Minted | undefined;
  let inFlight: Promise<Minted> | undefined;

  return async function temporaryApiKeyProvider(): Promise<string> {
    if (current && Date.now() < current.refreshAtMs) return current.key.reveal();
    inFlight ??= mint(target, seconds, marginMs, timeoutMs, pool ?? getSharedPool()).finally(() => {
      inFlight = undefined;
    });
    try {
      current = await inFlight;
    } catch (error) {
      // The current key still works: better to use it than to fail the connection.
      if (current && Date.now() < current.expiresAtMs) return current.key.reveal();
      throw error;
    }
    return current.key.reveal();
  };
}

/** One mint request. */
async function mint(
  target: HttpTarget,
  seconds: number,
  marginMs: number,
  timeoutMs: number,
  pool: HttpConnectionPool,
): Promise<Minted> {
  const startedAt = Date.now();
  const { signal, dispose } = callSignal(undefined, timeoutMs);
  try {
    let longLived: ApiKey;
    try {
      longLived = await target.apiKey.resolve({ timeoutMs, signal });
    } catch (error) {
      if (signal.aborted) throw reasonOf(signal);
      throw error;
    }
    const url = new URL(target.url);
    url.searchParams.set('expire_in_seconds', String(seconds));
    const requestHeaders: Record<string, string> = {
      Authorization: `Bearer ${longLived.reveal()}`,
      Accept: 'application/json; charset=utf-8',
      'User-Agent': USER_AGENT,
    };
    if (target.workspace) requestHeaders['X-DashScope-WorkSpace'] = target.workspace;
    Object.assign(requestHeaders, target.headers);
    const exchange = await pool.dispatch({ url, headers: requestHeaders, body: Buffer.alloc(0), signal });
    const res = exchange.response;
    const text = await readText(res, pool.config.readTimeout, signal, MAX_BODY_BYTES);
    await exchange.closed;
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw toHttpRequestError(status, text, res.headers, longLived);
    const { token, expiresAt } = parseAnswer(text, longLived);
    // Never trust the server's clock further than the lifetime asked for, measured on ours.
    const expiresAtMs = Math.min(expiresAt * 1000, startedAt + seconds * 1000);
    return { key: token, expiresAtMs, refreshAtMs: expiresAtMs - marginMs };
  } finally {
    dispose();
  }
}

function parseAnswer(text: string, longLived: ApiKey): { token: ApiKey; expiresAt: number } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const { token, expires_at: expiresAt } = (typeof body === 'object' && body !== null ? body : {}) as {
    token?: unknown;
    expires_at?: unknown;
  };
  try {
    checkApiKeyValue(token, 'token');
  } catch {
    throw new ProtocolError('The tokens endpoint answered without a usable "token"');
  }
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
    throw new ProtocolError(
      `The tokens endpoint answered without a numeric "expires_at" (${longLived.redact(describeValue(expiresAt))})`,
    );
  }
  return { token: new ApiKey(token), expiresAt };
}
