/**
 * The upgrade's credential check (spec 1.3–1.4): `Authorization: Bearer <key>`, with the scheme
 * matched case-insensitively because the Python v1 SDK sends `bearer`.
 */
import { timingSafeEqual } from 'node:crypto';

/**
 * Whether an Authorization header value is acceptable. With no key configured, any non-empty
 * value is; otherwise it must be `Bearer <apiKey>` exactly.
 */
export function isAuthorized(header: string | undefined, apiKey: string | undefined): boolean {
  if (header === undefined || header.trim() === '') return false;
  if (apiKey === undefined) return true;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) return false;
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(apiKey);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
