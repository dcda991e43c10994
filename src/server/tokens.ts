/**
 * Temporary API keys, as DashScope mints them: `POST /api/v1/tokens?expire_in_seconds=N` with the
 * long-lived key answers `{"token":"st-…","expires_at":<unix seconds>}` (N from 1 to 1800,
 * default 60). The server accepts a token until `expires_at`, then refuses it with 401.
 * Docs: https://www.alibabacloud.com/help/en/model-studio/generate-temporary-api-key
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { credentialStatus } from './auth.js';
import { sendJson } from './http-responses.js';
import type { ServerCounters } from './stats.js';

/** The endpoint's path (the SDKs add no trailing slash). */
export const TOKENS_PATH = '/api/v1/tokens';
export const DEFAULT_TOKEN_SECONDS = 60;
export const MAX_TOKEN_SECONDS = 1800;
/** Expired tokens are remembered this long (so they are refused as expired, not as unknown), and at most this many. */
const FORGET_AFTER_MS = 10 * 60_000;
const MAX_REMEMBERED = 100_000;

/** The temporary keys this server minted and when each expires. */
export class TokenRegistry {
  readonly #expiresAt = new Map<string, number>();

  /** Mints a key valid for at least `seconds`; `expiresAt` is in unix seconds. */
  mint(seconds: number, now = Date.now()): { token: string; expiresAt: number } {
    this.#prune(now);
    const token = `st-${randomBytes(16).toString('hex')}`;
    // Rounded up to a whole second, so a key never expires before the lifetime asked for.
    const expiresAt = Math.ceil(now / 1000) + seconds;
    this.#expiresAt.set(token, expiresAt * 1000);
    return { token, expiresAt };
  }

  /** Whether this server minted `token` (expired or not). */
  isMinted(token: string): boolean {
    return this.#expiresAt.has(token);
  }

  /** Whether `token` was minted here and its `expires_at` has not passed. */
  isValid(token: string, now = Date.now()): boolean {
    const expiresAt = this.#expiresAt.get(token);
    return expiresAt !== undefined && now < expiresAt;
  }

  #prune(now: number): void {
    for (const [token, expiresAt] of this.#expiresAt) {
      if (expiresAt + FORGET_AFTER_MS <= now || this.#expiresAt.size >= MAX_REMEMBERED) {
        this.#expiresAt.delete(token);
      }
    }
  }
}

/**
 * Serves `POST /api/v1/tokens`. Returns false for other paths. Only the long-lived key may mint
 * (with no key configured, any credential that is not a temporary key may).
 */
export function handleTokens(
  req: IncomingMessage,
  res: ServerResponse,
  deps: { apiKey: string | undefined; tokens: TokenRegistry; counters: ServerCounters },
): boolean {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== TOKENS_PATH) return false;
  req.resume();
  const requestId = randomUUID();
  const fail = (status: number, code: string, message: string): void =>
    sendJson(res, status, { code, message, request_id: requestId });
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    fail(405, 'MethodNotAllowed', 'Only POST is allowed on this path.');
    return true;
  }
  const header = req.headers.authorization;
  const bearer = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
  // A temporary key cannot mint another one (it would outlive its own expiry).
  const status =
    bearer !== undefined && deps.tokens.isMinted(bearer) ? 'invalid' : credentialStatus(header, deps.apiKey);
  if (status !== 'ok') {
    fail(401, 'InvalidApiKey', status === 'missing' ? 'No API-key provided.' : 'Invalid API-key provided.');
    return true;
  }
  const raw = url.searchParams.get('expire_in_seconds');
  const seconds = raw === null ? DEFAULT_TOKEN_SECONDS : /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(seconds >= 1 && seconds <= MAX_TOKEN_SECONDS)) {
    fail(400, 'InvalidParameter', `expire_in_seconds must be an integer from 1 to ${MAX_TOKEN_SECONDS}.`);
    return true;
  }
  const { token, expiresAt } = deps.tokens.mint(seconds);
  deps.counters.tokensMinted++;
  sendJson(res, 200, { token, expires_at: expiresAt });
  return true;
}
