/**
 * Where an HTTP generation call goes and with which key: `baseHttpApiUrl`, else the region's
 * base URL when a region is given, else `DASHSCOPE_HTTP_BASE_URL`, else Beijing; the key from
 * `apiKey`, else `DASHSCOPE_API_KEY`. Pure: no I/O.
 */
import { ApiKeySource, type ApiKeyOption } from '../api-key-source.js';
import type { REGION_ALIASES } from '../endpoints.js';
import { checkDocumentedHost, regionEndpoint, regionId, type Region } from '../endpoints.js';
import { InvalidOptionError } from '../errors/index.js';
import { validateConnectionHeaders } from '../headers.js';
import { describeValue } from '../util/describe-value.js';

/** Documented native-API base URLs (`/api/v1`), by short region name (see `endpoints.ts`). */
export const HTTP_BASE_URLS = Object.freeze({
  /** China (Beijing), the default: https://dashscope.aliyuncs.com/api/v1. */
  cn: regionEndpoint('http', 'cn', undefined),
  /** Singapore (international): https://dashscope-intl.aliyuncs.com/api/v1. */
  intl: regionEndpoint('http', 'intl', undefined),
  /** US (Virginia): https://dashscope-us.aliyuncs.com/api/v1. */
  us: regionEndpoint('http', 'us', undefined),
  /** China (Hong Kong): https://cn-hongkong.dashscope.aliyuncs.com/api/v1. */
  hk: regionEndpoint('http', 'hk', undefined),
} satisfies Record<keyof typeof REGION_ALIASES, string>);

/** The same regions as the WebSocket endpoints. */
export type HttpRegion = Region;

/** Paths of the two endpoints, relative to a base URL ending in `/api/v1`. */
export const GENERATION_PATHS = Object.freeze({
  /** `Generation`. */
  text: '/services/aigc/text-generation/generation',
  /** `MultiModalConversation`. */
  multimodal: '/services/aigc/multimodal-generation/generation',
});

/** Target options a call may carry. */
export interface HttpTargetOptions {
  /**
   * API key; else `DASHSCOPE_API_KEY`. Or a function (sync or async) returning the key, called
   * once per call (see `temporaryApiKey`).
   */
  apiKey?: ApiKeyOption | undefined;
  /** Base URL such as `https://dashscope.aliyuncs.com/api/v1`; else region / `DASHSCOPE_HTTP_BASE_URL`. */
  baseHttpApiUrl?: string | undefined;
  /**
   * `'cn'` (default), `'intl'`, `'us'` or `'hk'`: the region's DashScope domain; or a region id
   * such as `'ap-southeast-1'`, which with `workspace` picks the workspace's dedicated host.
   * Ignored when `baseHttpApiUrl` is given.
   */
  region?: HttpRegion | undefined;
  /** Sent as `X-DashScope-WorkSpace`; with a region id, also picks the workspace's host. */
  workspace?: string | undefined;
  /** Extra request headers, merged over the library's. */
  headers?: Record<string, string> | undefined;
}

/** A resolved target. */
export interface HttpTarget {
  url: URL;
  /** Resolved once per call: a key function may give a new key every time. */
  apiKey: ApiKeySource;
  workspace: string | undefined;
  headers: Readonly<Record<string, string>>;
}

/**
 * Resolves the URL and key of one call. A key function is not called here.
 * @throws {InvalidOptionError} for a bad URL, region, workspace, key or headers (naming option and value).
 * @throws {MissingApiKeyError} when there is no key.
 */
export function resolveHttpTarget(
  options: HttpTargetOptions,
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): HttpTarget {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', `invalid options ${describeValue(options)}: expected an object`);
  }
  validateConnectionHeaders(options);
  if (options.region !== undefined) regionId(options.region);
  const workspace = options.workspace || undefined;
  let option = 'baseHttpApiUrl';
  // null counts as not given, as `??` has always read it.
  let base: unknown = options.baseHttpApiUrl ?? undefined;
  if (base === undefined && options.region === undefined && env.DASHSCOPE_HTTP_BASE_URL !== undefined) {
    option = 'DASHSCOPE_HTTP_BASE_URL';
    base = env.DASHSCOPE_HTTP_BASE_URL;
  }
  base ??= regionEndpoint('http', options.region ?? 'cn', workspace);
  const url = joinUrl(option, base, path);

  const apiKey = ApiKeySource.from(options.apiKey, env);
  return {
    url,
    apiKey,
    workspace,
    headers: Object.freeze({ ...options.headers }),
  };
}

/** Joins like the Java SDK: one trailing slash dropped, the path not repeated when the base already ends with it. */
function joinUrl(option: string, base: unknown, path: string): URL {
  const bad = (): InvalidOptionError =>
    new InvalidOptionError(
      option,
      `invalid ${option} ${describeValue(base)}: expected an http:// or https:// URL`,
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
      option,
      `credentials must not be put in the ${option}: use the apiKey option`,
    );
  }
  checkDocumentedHost(option, parsed);
  const trimmed = base.endsWith('/') ? base.slice(0, -1) : base;
  return new URL(trimmed.endsWith(path) ? trimmed : trimmed + path);
}
