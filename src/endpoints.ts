/**
 * The documented Model Studio (DashScope) endpoints, for WebSocket and HTTP alike: each region's
 * DashScope domain, and the per-workspace hosts `{WorkspaceId}.{regionId}.maas.aliyuncs.com`
 * that the current docs recommend. Pure: no I/O.
 *
 * Sources (read 2026):
 * - Base URL overview (DashScope domains of Beijing, Singapore, US (Virginia), China (Hong Kong);
 *   workspace-dedicated domains `[workspace-id].[region].maas.aliyuncs.com`, incl. Tokyo and
 *   Frankfurt): https://www.alibabacloud.com/help/en/model-studio/base-url and
 *   https://help.aliyun.com/zh/model-studio/base-url
 * - CosyVoice WebSocket API (wss:// on the workspace hosts of cn-beijing and ap-southeast-1; the
 *   classic domains "remain fully functional"):
 *   https://www.alibabacloud.com/help/en/model-studio/cosyvoice-websocket-api
 * - US (Virginia): its DashScope domain serves HTTP, SSE and WebSocket:
 *   https://www.alibabacloud.com/help/en/model-studio/usa-virginia-global
 * - Workspace hosts of us-east-1 and cn-hongkong:
 *   https://www.alibabacloud.com/help/en/model-studio/compatibility-of-openai-with-dashscope
 * The WebSocket path `/api-ws/v1/inference` and the HTTP path `/api/v1` are the same on every host.
 */
import { InvalidOptionError } from './errors/index.js';
import { describeValue } from './util/describe-value.js';

/** What the docs name for one region. */
export interface RegionInfo {
  /** Alibaba Cloud region id, e.g. `cn-beijing`: the second label of its workspace hosts. */
  readonly id: string;
  /** The docs' name, e.g. `China (Beijing)`. */
  readonly name: string;
  /** Host of the region's shared DashScope domain, when it has one. */
  readonly dashscopeHost: string | undefined;
}

/** Short names of the regions with a DashScope domain (the library's `region` values since 0.1). */
export const REGION_ALIASES = Object.freeze({
  /** China (Beijing), the default: dashscope.aliyuncs.com. */
  cn: 'cn-beijing',
  /** Singapore (international): dashscope-intl.aliyuncs.com. */
  intl: 'ap-southeast-1',
  /** US (Virginia): dashscope-us.aliyuncs.com. */
  us: 'us-east-1',
  /** China (Hong Kong): cn-hongkong.dashscope.aliyuncs.com. */
  hk: 'cn-hongkong',
} as const);

/** Every documented region, by region id. */
export const REGIONS = Object.freeze({
  /** China (Beijing): DashScope domain dashscope.aliyuncs.com, and workspace hosts. */
  'cn-beijing': info('cn-beijing', 'China (Beijing)', 'dashscope.aliyuncs.com'),
  /** Singapore: DashScope domain dashscope-intl.aliyuncs.com, and workspace hosts. */
  'ap-southeast-1': info('ap-southeast-1', 'Singapore', 'dashscope-intl.aliyuncs.com'),
  /** US (Virginia): DashScope domain dashscope-us.aliyuncs.com, and workspace hosts. */
  'us-east-1': info('us-east-1', 'US (Virginia)', 'dashscope-us.aliyuncs.com'),
  /** China (Hong Kong): DashScope domain cn-hongkong.dashscope.aliyuncs.com, and workspace hosts. */
  'cn-hongkong': info('cn-hongkong', 'China (Hong Kong)', 'cn-hongkong.dashscope.aliyuncs.com'),
  /** Japan (Tokyo): workspace hosts only, so it needs the `workspace` option. */
  'ap-northeast-1': info('ap-northeast-1', 'Japan (Tokyo)', undefined),
  /** Germany (Frankfurt): workspace hosts only, so it needs the `workspace` option. */
  'eu-central-1': info('eu-central-1', 'Germany (Frankfurt)', undefined),
});

/** A short region name (`cn`, `intl`, `us`, `hk`): a region that has a shared DashScope domain. */
export type RegionAlias = keyof typeof REGION_ALIASES;
/** An Alibaba Cloud region id the Model Studio docs name, e.g. `cn-beijing` (a key of {@link REGIONS}). */
export type RegionId = keyof typeof REGIONS;
/**
 * A short name (`'cn'`, `'intl'`, `'us'`, `'hk'`: the region's DashScope domain) or a region id
 * (`'cn-beijing'`, `'ap-southeast-1'`, …: with a `workspace`, that workspace's dedicated host).
 */
export type Region = RegionAlias | RegionId;

/** Which protocol an endpoint is for. */
export type EndpointKind = 'ws' | 'http';

const PATHS: Readonly<Record<EndpointKind, string>> = { ws: '/api-ws/v1/inference', http: '/api/v1' };
const SCHEMES: Readonly<Record<EndpointKind, string>> = { ws: 'wss', http: 'https' };
const ACCEPTED_REGIONS = [...Object.keys(REGION_ALIASES), ...Object.keys(REGIONS)];
// A DNS label: what a workspace id must be to name a host.
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const WORKSPACE_HOST = new RegExp(
  `^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.(${Object.keys(REGIONS).join('|').replaceAll('.', '\\.')})\\.maas\\.aliyuncs\\.com$`,
);
const DASHSCOPE_HOSTS: ReadonlySet<string> = new Set(
  Object.values(REGIONS).flatMap((r: RegionInfo) => (r.dashscopeHost ? [r.dashscopeHost] : [])),
);

function info(id: string, name: string, dashscopeHost: string | undefined): RegionInfo {
  return Object.freeze({ id, name, dashscopeHost });
}

/**
 * The endpoint of a region: with a region id and a workspace, the workspace's dedicated host;
 * otherwise the region's DashScope domain.
 * @throws {InvalidOptionError} (`region`) for a region the docs do not name, listing those they
 *   do; (`workspace`) when a region has only workspace hosts and no workspace is given, or the
 *   workspace id cannot be a host name.
 */
export function regionEndpoint(kind: EndpointKind, region: unknown, workspace: string | undefined): string {
  const id = regionId(region);
  const info: RegionInfo = REGIONS[id];
  const useWorkspaceHost =
    !Object.hasOwn(REGION_ALIASES, region as string) && workspace !== undefined && workspace !== '';
  if (useWorkspaceHost) {
    if (!DNS_LABEL.test(workspace)) {
      throw new InvalidOptionError(
        'workspace',
        `invalid workspace ${describeValue(workspace)}: a workspace id names a host ` +
          `(${workspace}.${id}.maas.aliyuncs.com), so it may hold only letters, digits and inner hyphens`,
      );
    }
    return `${SCHEMES[kind]}://${workspace.toLowerCase()}.${id}.maas.aliyuncs.com${PATHS[kind]}`;
  }
  if (info.dashscopeHost === undefined) {
    throw new InvalidOptionError(
      'workspace',
      `region '${id}' (${info.name}) is served only from workspace hosts ` +
        `({WorkspaceId}.${id}.maas.aliyuncs.com): pass your workspace id as the workspace option`,
    );
  }
  return `${SCHEMES[kind]}://${info.dashscopeHost}${PATHS[kind]}`;
}

/** The region id a `region` option names. @throws {InvalidOptionError} listing the accepted values. */
export function regionId(region: unknown): RegionId {
  if (typeof region === 'string') {
    if (Object.hasOwn(REGION_ALIASES, region)) return REGION_ALIASES[region as RegionAlias];
    if (Object.hasOwn(REGIONS, region)) return region as RegionId;
  }
  throw new InvalidOptionError(
    'region',
    `invalid region ${describeValue(region)}: use one of ${ACCEPTED_REGIONS.map((r) => `'${r}'`).join(', ')} ` +
      `(the short names pick the region's DashScope domain; a region id with a workspace picks the workspace's host)`,
  );
}

/**
 * Refuses an Alibaba Cloud host that the docs do not name (a typo such as `dashscope-intI`, or a
 * region without Model Studio), so the mistake is an error now rather than a DNS failure or an
 * opaque 404 later. Hosts outside `aliyuncs.com` (a local server, a proxy, a gateway) pass.
 * @throws {InvalidOptionError} for `option`, listing the documented hosts.
 */
export function checkDocumentedHost(option: string, url: URL): void {
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (host !== 'aliyuncs.com' && !host.endsWith('.aliyuncs.com')) return;
  if (DASHSCOPE_HOSTS.has(host) || WORKSPACE_HOST.test(host)) return;
  throw new InvalidOptionError(
    option,
    `invalid ${option}: ${describeValue(host)} is not a documented Model Studio host. Use one of ` +
      `${[...DASHSCOPE_HOSTS].join(', ')}, or {WorkspaceId}.{region}.maas.aliyuncs.com with region ` +
      `${Object.keys(REGIONS).join(', ')} (or pass region and workspace instead of a url)`,
  );
}
