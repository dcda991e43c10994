/**
 * Where an HTTP generation call goes and with which key: `baseHttpApiUrl`, else the region's
 * base URL when a region is given, else `DASHSCOPE_HTTP_BASE_URL`, else Beijing; the key from
 * `apiKey`, else `DASHSCOPE_API_KEY`. Pure: no I/O.
 */
import { checkWorkspaceAndHeaders, resolveApiKey } from '../config.js';
import { InvalidOptionError } from '../errors/index.js';
import type { ApiKey } from '../secret.js';

/** Documented native-API base URLs (`/api/v1`) per deployment. */
export const HTTP_BASE_URLS = Object.freeze({
  /** China (Beijing). */
  cn: 'https://dashscope.aliyuncs.com/api/v1',
  /** International (Singapore). */
  intl: 'https://dashscope-intl.aliyuncs.com/api/v1',
  /** United States (Virginia). */
  us: 'https://dashscope-us.aliyuncs.com/api/v1',
});

/** A region of the HTTP generation endpoints: `'cn'`, `'intl'` or `'us'`. */
export type HttpRegion = keyof typeof HTTP_BASE_URLS;

/** Paths of the two endpoints, relative to a base URL ending in `/api/v1`. */
export const GENERATION_PATHS = Object.freeze({
  /** `Generation`. */
  text: '/services/aigc/text-generation/generation',
  /** `MultiModalConversation`. */
  multimodal: '/services/aigc/multimodal-generation/generation',
});

/** Target options a call may carry. */
export interface HttpTargetOptions {
  /** API key; else `DASHSCOPE_API_KEY`. */
  apiKey?: string | undefined;
  /** Base URL such as `https://dashscope.aliyuncs.com/api/v1`; else region / `DASHSCOPE_HTTP_BASE_URL`. */
  baseHttpApiUrl?: string | undefined;
  /** `'cn'` (default), `'intl'` or `'us'`. Ignored when `baseHttpApiUrl` is given. */
  region?: HttpRegion | undefined;
  /** Sent as `X-DashScope-WorkSpace`. */
  workspace?: string | undefined;
  /** Extra request headers, merged over the library's. */
  headers?: Record<string, string> | undefined;
}

/** A resolved target. */
export interface HttpTarget {
  url: URL;
  apiKey: ApiKey;
  workspace: string | undefined;
  headers: Readonly<Record<string, string>>;
}

/**
 * Resolves the URL and key of one call.
 * @throws {InvalidOptionError} for a bad URL, region, workspace or headers (naming option and value).
 * @throws {MissingApiKeyError} when there is no key.
 */
export function resolveHttpTarget(
  options: HttpTargetOptions,
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): HttpTarget {
  if (options.region !== undefined && !Object.hasOwn(HTTP_BASE_URLS, options.region)) {
    throw new InvalidOptionError(
      'region',
      `invalid region ${JSON.stringify(options.region)}: use 'cn', 'intl' or 'us'`,
    );
  }
  const base =
    options.baseHttpApiUrl ??
    (options.region === undefined ? env.DASHSCOPE_HTTP_BASE_URL : undefined) ??
    HTTP_BASE_URLS[options.region ?? 'cn'];
  const url = joinUrl(base, path);

  const apiKey = resolveApiKey(options.apiKey, env);
  checkWorkspaceAndHeaders(options);
  return {
    url,
    apiKey,
    workspace: options.workspace || undefined,
    headers: Object.freeze({ ...options.headers }),
  };
}

/** Joins like the Java SDK: one trailing slash dropped, the path not repeated when the base already ends with it. */
function joinUrl(base: unknown, path: string): URL {
  const bad = (): InvalidOptionError =>
    new InvalidOptionError(
      'baseHttpApiUrl',
      `invalid baseHttpApiUrl ${JSON.stringify(base)}: expected an http:// or https:// URL`,
    );
  if (typeof base !== 'string') throw bad();
  let parsed: URL;
  try {
    parsed = new URL(base);
  } catch {
    throw bad();
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw bad();
  if (parsed.username || parsed.password) {
    throw new InvalidOptionError(
      'baseHttpApiUrl',
      'credentials must not be put in the baseHttpApiUrl: use the apiKey option',
    );
  }
  const trimmed = base.endsWith('/') ? base.slice(0, -1) : base;
  return new URL(trimmed.endsWith(path) ? trimmed : trimmed + path);
}
