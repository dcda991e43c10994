/**
 * Connection settings: options and the environment, resolved and validated into one object.
 * Like the official SDKs, the key falls back to `DASHSCOPE_API_KEY` and the endpoint to
 * `DASHSCOPE_WEBSOCKET_BASE_URL`.
 */
import type { Agent } from 'node:http';
import { InvalidOptionError, MissingApiKeyError } from './errors/index.js';
import { ApiKey } from './secret.js';
import { USER_AGENT } from './version.js';

/** Documented WebSocket inference endpoints. */
export const WEBSOCKET_ENDPOINTS = Object.freeze({
  /** China (Beijing). */
  cn: 'wss://dashscope.aliyuncs.com/api-ws/v1/inference',
  /** International (Singapore). */
  intl: 'wss://dashscope-intl.aliyuncs.com/api-ws/v1/inference',
});

/** A deployment region: `'cn'` (Beijing) or `'intl'` (Singapore). API keys are bound to one. */
export type Region = keyof typeof WEBSOCKET_ENDPOINTS;

/** Where and how to connect. Every field is optional: the environment fills the gaps. */
export interface ConnectionOptions {
  /** WebSocket endpoint; else `DASHSCOPE_WEBSOCKET_BASE_URL`, else the region's endpoint. */
  url?: string | undefined;
  /** `'cn'` (Beijing, the default) or `'intl'` (Singapore). Ignored when a url is given. */
  region?: Region | undefined;
  /** API key; else `DASHSCOPE_API_KEY`. */
  apiKey?: string | undefined;
  /** Sent as `X-DashScope-WorkSpace`. */
  workspace?: string | undefined;
  /** Extra upgrade headers, merged last. */
  headers?: Record<string, string> | undefined;
  /** Time allowed for TCP, TLS and the WebSocket upgrade. Default 5000 ms. */
  connectTimeoutMs?: number | undefined;
  /** Certificate authorities to trust for `wss://` (e.g. a private CA), instead of Node's defaults. */
  ca?: string | Buffer | Array<string | Buffer> | undefined;
  /** An `http.Agent` for the upgrade request, e.g. an HTTPS proxy agent. */
  agent?: Agent | undefined;
}

/** Connection settings after defaults, environment and validation. */
export interface ResolvedConnectionOptions {
  url: string;
  apiKey: ApiKey;
  headers: Readonly<Record<string, string>>;
  connectTimeoutMs: number;
  ca: string | Buffer | Array<string | Buffer> | undefined;
  agent: Agent | undefined;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/**
 * Resolves connection options against the environment.
 * @throws {InvalidOptionError} naming the option and the bad value.
 * @throws {MissingApiKeyError} when there is no key at all.
 */
export function resolveConnectionOptions(
  options: ConnectionOptions,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConnectionOptions {
  if (options.region !== undefined && !(options.region in WEBSOCKET_ENDPOINTS)) {
    throw new InvalidOptionError(
      'region',
      `invalid region ${JSON.stringify(options.region)}: use 'cn' or 'intl'`,
    );
  }
  const url =
    options.url ??
    (options.region === undefined ? env.DASHSCOPE_WEBSOCKET_BASE_URL : undefined) ??
    WEBSOCKET_ENDPOINTS[options.region ?? 'cn'];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidOptionError('url', `invalid url ${JSON.stringify(url)}: expected a ws:// or wss:// URL`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new InvalidOptionError('url', `invalid url ${JSON.stringify(url)}: expected a ws:// or wss:// URL`);
  }
  if (parsed.username || parsed.password) {
    throw new InvalidOptionError('url', 'credentials must not be put in the url: use the apiKey option');
  }

  const apiKey = resolveApiKey(options.apiKey, env);
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  checkPositiveMs('connectTimeoutMs', connectTimeoutMs);
  checkWorkspaceAndHeaders(options);

  const headers: Record<string, string> = { 'user-agent': USER_AGENT };
  if (options.workspace) headers['X-DashScope-WorkSpace'] = options.workspace;
  if (options.headers) Object.assign(headers, options.headers);

  return Object.freeze({
    url,
    apiKey,
    headers: Object.freeze(headers),
    connectTimeoutMs,
    ca: options.ca,
    agent: options.agent,
  });
}

/**
 * The key from the option, else `DASHSCOPE_API_KEY`, wrapped so that it cannot leak.
 * @throws {MissingApiKeyError} when there is none; {InvalidOptionError} when it is malformed.
 */
export function resolveApiKey(option: string | undefined, env: NodeJS.ProcessEnv = process.env): ApiKey {
  const key = option ?? env.DASHSCOPE_API_KEY;
  if (key === undefined || key === '') throw new MissingApiKeyError();
  if (typeof key !== 'string' || /[\r\n]/.test(key)) {
    throw new InvalidOptionError('apiKey', 'apiKey must be a string without line breaks');
  }
  return new ApiKey(key);
}

/** Checks the optional `workspace` and `headers` options shared by every client. */
export function checkWorkspaceAndHeaders(options: { workspace?: unknown; headers?: unknown }): void {
  if (options.workspace !== undefined && typeof options.workspace !== 'string') {
    throw new InvalidOptionError(
      'workspace',
      `invalid workspace ${JSON.stringify(options.workspace)}: expected a string`,
    );
  }
  if (options.headers !== undefined && (typeof options.headers !== 'object' || options.headers === null)) {
    throw new InvalidOptionError('headers', 'headers must be an object of header names to string values');
  }
}

/**
 * Checks a duration option: a finite number of milliseconds greater than zero (or zero when
 * `allowZero`). `0` is never silently read as "use the default".
 */
export function checkPositiveMs(option: string, value: unknown, allowZero = false): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new InvalidOptionError(
      option,
      `invalid ${option} ${JSON.stringify(value)}: expected a number of milliseconds ${allowZero ? '>= 0' : '> 0'}`,
    );
  }
}

/** Checks an integer option with bounds, naming the option and value on failure. */
export function checkInteger(
  option: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(
      option,
      `invalid ${option} ${JSON.stringify(value)}: expected an integer from ${min}` +
        (max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`),
    );
  }
}
