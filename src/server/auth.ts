/**
 * The credential check of the upgrade and of the HTTP endpoints (spec 1.3–1.4):
 * `Authorization: Bearer <key>`, with the scheme matched case-insensitively because the Python v1
 * SDK sends `bearer`. A temporary key this server minted (`/api/v1/tokens`) is accepted until it
 * expires, then refused like a bad key.
 */
import { timingSafeEqual } from 'node:crypto';
import type { TokenRegistry } from './tokens.js';

/** `missing`: no usable Authorization header; `invalid`: a key or token that is not accepted. */
export type CredentialStatus = 'ok' | 'missing' | 'invalid';

/**
 * Checks an Authorization header value. With no key configured, any non-empty value is accepted
 * except a temporary key of this server that has expired; otherwise it must be
 * `Bearer <apiKey>` exactly, or `Bearer <temporary key>` before its `expires_at`.
 */
export function credentialStatus(
  header: string | undefined,
  apiKey: string | undefined,
  tokens?: TokenRegistry,
): CredentialStatus {
  if (header === undefined || header.trim() === '') return 'missing';
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  const given = match?.[1];
  if (given !== undefined && tokens?.isMinted(given)) return tokens.isValid(given) ? 'ok' : 'invalid';
  if (apiKey === undefined) return 'ok';
  if (given === undefined) return 'missing';
  return sameSecret(given, apiKey) ? 'ok' : 'invalid';
}

/** Whether an Authorization header value is acceptable (see {@link credentialStatus}). */
export function isAuthorized(
  header: string | undefined,
  apiKey: string | undefined,
  tokens?: TokenRegistry,
): boolean {
  return credentialStatus(header, apiKey, tokens) === 'ok';
}

/** Compares in constant time, so the answer's timing does not tell how much of a key was right. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
