/**
 * Connection settings: options and the environment, resolved and validated into one object.
 * Like the official SDKs, the key falls back to `DASHSCOPE_API_KEY` and the endpoint to
 * `DASHSCOPE_WEBSOCKET_BASE_URL`.
 */
import { X509Certificate } from 'node:crypto';
import type { Agent } from 'node:http';
import { ApiKeySource, type ApiKeyOption } from './api-key-source.js';
import type { REGION_ALIASES } from './endpoints.js';
import { checkDocumentedHost, regionEndpoint, regionId, type Region } from './endpoints.js';
import { InvalidOptionError } from './errors/index.js';
import { validateConnectionHeaders } from './headers.js';
import { describeValue } from './util/describe-value.js';
import { USER_AGENT } from './version.js';

export type { Region, RegionAlias, RegionId } from './endpoints.js';

/** The documented WebSocket inference endpoints, by short region name (see `endpoints.ts`). */
export const WEBSOCKET_ENDPOINTS = Object.freeze({
  /** China (Beijing), the default: wss://dashscope.aliyuncs.com/api-ws/v1/inference. */
  cn: regionEndpoint('ws', 'cn', undefined),
  /** Singapore (international): wss://dashscope-intl.aliyuncs.com/api-ws/v1/inference. */
  intl: regionEndpoint('ws', 'intl', undefined),
  /** US (Virginia): wss://dashscope-us.aliyuncs.com/api-ws/v1/inference. */
  us: regionEndpoint('ws', 'us', undefined),
  /** China (Hong Kong): wss://cn-hongkong.dashscope.aliyuncs.com/api-ws/v1/inference. */
  hk: regionEndpoint('ws', 'hk', undefined),
} satisfies Record<keyof typeof REGION_ALIASES, string>);

/** Where and how to connect. Every field is optional: the environment fills the gaps. */
export interface ConnectionOptions {
  /** WebSocket endpoint; else `DASHSCOPE_WEBSOCKET_BASE_URL`, else the region's endpoint. */
  url?: string | undefined;
  /**
   * `'cn'` (Beijing, the default), `'intl'` (Singapore), `'us'` (Virginia) or `'hk'` (Hong Kong):
   * the region's DashScope domain. Or a region id (`'cn-beijing'`, `'ap-southeast-1'`,
   * `'us-east-1'`, `'cn-hongkong'`, `'ap-northeast-1'`, `'eu-central-1'`): with `workspace`, that
   * workspace's dedicated host `{workspace}.{region}.maas.aliyuncs.com`. Ignored when a url is given.
   */
  region?: Region | undefined;
  /**
   * API key; else `DASHSCOPE_API_KEY`. Or a function (sync or async) returning the key, called
   * for every new connection: a rotated key is used from the next connection on (see also
   * `temporaryApiKey`).
   */
  apiKey?: ApiKeyOption | undefined;
  /** Sent as `X-DashScope-WorkSpace`; with a region id, also picks the workspace's host. */
  workspace?: string | undefined;
  /** Extra upgrade headers, merged last. */
  headers?: Record<string, string> | undefined;
  /** Time allowed for TCP, TLS and the WebSocket upgrade (and, apart, for a key function). Default 5000 ms. */
  connectTimeoutMs?: number | undefined;
  /** Certificate authorities to trust for `wss://` (e.g. a private CA), instead of Node's defaults. */
  ca?: string | Buffer | Array<string | Buffer> | undefined;
  /** An `http.Agent` for the upgrade request, e.g. an HTTPS proxy agent. */
  agent?: Agent | undefined;
}

/** Connection settings after defaults, environment and validation. */
export interface ResolvedConnectionOptions {
  url: string;
  /** Resolve it for each new connection: a key function may give a new key every time. */
  apiKey: ApiKeySource;
  headers: Readonly<Record<string, string>>;
  connectTimeoutMs: number;
  ca: string | Buffer | Array<string | Buffer> | undefined;
  agent: Agent | undefined;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/**
 * Resolves connection options against the environment. A key function is not called here.
 * @throws {InvalidOptionError} naming the option and the bad value (also for `null` or a
 *   non-object in place of the options object).
 * @throws {MissingApiKeyError} when there is no key at all.
 */
export function resolveConnectionOptions(
  options: ConnectionOptions,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConnectionOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', `invalid options ${describeValue(options)}: expected an object`);
  }
  validateConnectionHeaders(options);
  if (options.region !== undefined) regionId(options.region);
  const workspace = options.workspace === '' ? undefined : options.workspace;
  let option = 'url';
  // null counts as not given, as `??` has always read it.
  let url: unknown = options.url ?? undefined;
  if (url === undefined && options.region === undefined && env.DASHSCOPE_WEBSOCKET_BASE_URL !== undefined) {
    option = 'DASHSCOPE_WEBSOCKET_BASE_URL';
    url = env.DASHSCOPE_WEBSOCKET_BASE_URL;
  }
  url ??= regionEndpoint('ws', options.region ?? 'cn', workspace);
  checkWebSocketUrl(option, url);

  const apiKey = ApiKeySource.from(options.apiKey, env);
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  validateTimeoutMs('connectTimeoutMs', connectTimeoutMs);

  checkCa(options.ca);
  checkAgent(options.agent);

  const headers: Record<string, string> = { 'user-agent': USER_AGENT };
  if (workspace) headers['X-DashScope-WorkSpace'] = workspace;
  if (options.headers) Object.assign(headers, options.headers);

  return Object.freeze({
    url,
    apiKey,
    headers: Object.freeze(headers),
    connectTimeoutMs,
    // null counts as not given, as for the url.
    ca: options.ca ?? undefined,
    agent: options.agent ?? undefined,
  });
}

/**
 * `ca` (null: not given): certificates in PEM (a string or Buffer, one or many) or DER, or an array of them. Each
 * must parse: OpenSSL would otherwise skip a bad one silently, and the handshake would fail later
 * with a certificate error that does not name the option.
 */
function checkCa(ca: unknown): void {
  if (ca === undefined || ca === null) return;
  const entries: unknown[] = Array.isArray(ca) ? ca : [ca];
  const fix = "pass the CA certificate file's contents, e.g. readFileSync('ca.pem')";
  if (entries.length === 0) throw new InvalidOptionError('ca', `invalid ca: an empty array; ${fix}`);
  for (const entry of entries) {
    if (typeof entry !== 'string' && !(entry instanceof Uint8Array)) {
      throw new InvalidOptionError('ca', `invalid ca ${describeValue(entry)}: ${fix}`);
    }
    try {
      new X509Certificate(entry);
    } catch {
      throw new InvalidOptionError('ca', `invalid ca: not a PEM or DER certificate; ${fix}`);
    }
  }
}

/** `agent` (null: not given): an `http.Agent` (or a subclass, such as a proxy agent). */
function checkAgent(agent: unknown): void {
  if (agent === undefined || agent === null) return;
  if (
    typeof agent !== 'object' ||
    agent === null ||
    typeof (agent as { addRequest?: unknown }).addRequest !== 'function'
  ) {
    throw new InvalidOptionError(
      'agent',
      `invalid agent ${describeValue(agent)}: expected an http.Agent or https.Agent (e.g. a proxy agent)`,
    );
  }
}

function checkWebSocketUrl(option: string, url: unknown): asserts url is string {
  const bad = (): InvalidOptionError =>
    new InvalidOptionError(option, `invalid ${option} ${describeValue(url)}: expected a ws:// or wss:// URL`);
  if (typeof url !== 'string') throw bad();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad();
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw bad();
  if (parsed.username || parsed.password) {
    throw new InvalidOptionError(
      option,
      `credentials must not be put in the ${option}: use the apiKey option`,
    );
  }
  checkDocumentedHost(option, parsed);
}

/** setTimeout cannot wait longer: a larger delay fires after about 1 ms (Node's timer overflow). */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Checks a duration option: a finite number of milliseconds greater than zero (or zero when
 * `allowZero`) and at most {@link MAX_TIMEOUT_MS}, so a timer armed with it waits as long as it
 * says. `0` is never silently read as "use the default".
 * @throws {InvalidOptionError} naming the option and the bad value.
 */
export function validateTimeoutMs(
  option: string,
  value: unknown,
  options: { allowZero?: boolean } = {},
): void {
  const allowZero = options.allowZero ?? false;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (!allowZero && value === 0) ||
    value > MAX_TIMEOUT_MS
  ) {
    throw new InvalidOptionError(
      option,
      `invalid ${option} ${describeValue(value)}: expected a number of milliseconds ` +
        `${allowZero ? 'from 0' : 'above 0'} up to ${MAX_TIMEOUT_MS} (about 24.8 days)`,
    );
  }
}

/** Same as {@link validateTimeoutMs}, under its earlier name. */
export function checkPositiveMs(option: string, value: unknown, allowZero = false): void {
  validateTimeoutMs(option, value, { allowZero });
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
      `invalid ${option} ${describeValue(value)}: expected an integer from ${min}` +
        (max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`),
    );
  }
}
