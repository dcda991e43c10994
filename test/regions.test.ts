/**
 * Regions and workspace hosts: the documented endpoints for WebSocket and HTTP alike, and a clear
 * error for a region or an Alibaba Cloud host the docs do not name. Pure: no I/O.
 */
import { describe, expect, it } from 'vitest';
import { resolveConnectionOptions, WEBSOCKET_ENDPOINTS } from '../src/config.js';
import { REGIONS, REGION_ALIASES, type Region } from '../src/endpoints.js';
import { InvalidOptionError } from '../src/errors/index.js';
import { HTTP_BASE_URLS, resolveHttpTarget } from '../src/http/target.js';

const ws = (options: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): string =>
  resolveConnectionOptions({ apiKey: 'k', ...options }, env).url;
const http = (options: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): string =>
  resolveHttpTarget({ apiKey: 'k', ...options }, '/services/aigc/text-generation/generation', env).url.href;

function optionError(fn: () => unknown): InvalidOptionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError);
    return error as InvalidOptionError;
  }
  throw new Error('expected an InvalidOptionError');
}

describe('regions', () => {
  it.each([
    ['cn', 'dashscope.aliyuncs.com'],
    ['intl', 'dashscope-intl.aliyuncs.com'],
    ['us', 'dashscope-us.aliyuncs.com'],
    ['hk', 'cn-hongkong.dashscope.aliyuncs.com'],
  ])('%s picks its DashScope domain for WebSocket and HTTP', (region, host) => {
    expect(ws({ region })).toBe(`wss://${host}/api-ws/v1/inference`);
    expect(http({ region })).toBe(`https://${host}/api/v1/services/aigc/text-generation/generation`);
    expect(WEBSOCKET_ENDPOINTS[region as keyof typeof WEBSOCKET_ENDPOINTS]).toBe(
      `wss://${host}/api-ws/v1/inference`,
    );
    expect(HTTP_BASE_URLS[region as keyof typeof HTTP_BASE_URLS]).toBe(`https://${host}/api/v1`);
  });

  it('keeps Beijing as the default and the environment below an explicit region', () => {
    expect(ws({})).toBe(WEBSOCKET_ENDPOINTS.cn);
    expect(ws({}, { DASHSCOPE_WEBSOCKET_BASE_URL: 'ws://127.0.0.1:9/api-ws/v1/inference' })).toBe(
      'ws://127.0.0.1:9/api-ws/v1/inference',
    );
    expect(ws({ region: 'intl' }, { DASHSCOPE_WEBSOCKET_BASE_URL: 'ws://127.0.0.1:9/x' })).toBe(
      WEBSOCKET_ENDPOINTS.intl,
    );
    expect(http({ region: 'us' }, { DASHSCOPE_HTTP_BASE_URL: 'http://127.0.0.1:9/api/v1' })).toContain(
      'dashscope-us.aliyuncs.com',
    );
  });

  it.each(Object.keys(REGIONS))('%s with a workspace picks the workspace host', (id) => {
    expect(ws({ region: id, workspace: 'llm-abc123' })).toBe(
      `wss://llm-abc123.${id}.maas.aliyuncs.com/api-ws/v1/inference`,
    );
    expect(http({ region: id, workspace: 'llm-abc123' })).toBe(
      `https://llm-abc123.${id}.maas.aliyuncs.com/api/v1/services/aigc/text-generation/generation`,
    );
    // The workspace header goes along, as the SDKs send it.
    expect(
      resolveConnectionOptions({ apiKey: 'k', region: id as Region, workspace: 'llm-abc123' }, {}).headers,
    ).toMatchObject({ 'X-DashScope-WorkSpace': 'llm-abc123' });
  });

  it('a region id without a workspace uses its DashScope domain, when it has one', () => {
    for (const [alias, id] of Object.entries(REGION_ALIASES)) {
      expect(ws({ region: id })).toBe(ws({ region: alias }));
      expect(http({ region: id })).toBe(http({ region: alias }));
    }
    // A short name with a workspace keeps the DashScope domain (the workspace is a header only).
    expect(ws({ region: 'intl', workspace: 'llm-abc123' })).toBe(WEBSOCKET_ENDPOINTS.intl);
  });

  it.each(['ap-northeast-1', 'eu-central-1'])('%s, served only from workspace hosts, asks for one', (id) => {
    for (const resolve of [ws, http]) {
      const error = optionError(() => resolve({ region: id }));
      expect(error.option).toBe('workspace');
      expect(error.message).toContain(`{WorkspaceId}.${id}.maas.aliyuncs.com`);
    }
  });

  it.each(['mars', 'cn-shanghai', 'us-west-1', 'CN', '', 42, 10n, null, Symbol('cn'), { id: 'cn' }])(
    'refuses region %s, listing the accepted values',
    (region) => {
      for (const resolve of [ws, http]) {
        const error = optionError(() => resolve({ region }));
        expect(error.option).toBe('region');
        expect(error.message).toContain("'cn', 'intl', 'us', 'hk', 'cn-beijing', 'ap-southeast-1'");
        expect(error.message).toContain("'eu-central-1'");
      }
    },
  );

  it('refuses a workspace id that cannot name a host', () => {
    for (const workspace of ['llm_abc', 'llm.abc', '-llm', 'a'.repeat(64)]) {
      const error = optionError(() => ws({ region: 'cn-beijing', workspace }));
      expect(error.option).toBe('workspace');
    }
  });
});

describe('hosts given as a url', () => {
  it.each([
    'wss://dashscope.aliyuncs.com/api-ws/v1/inference',
    'wss://dashscope-intl.aliyuncs.com/api-ws/v1/inference/',
    'wss://dashscope-us.aliyuncs.com/api-ws/v1/inference',
    'wss://cn-hongkong.dashscope.aliyuncs.com/api-ws/v1/inference',
    'wss://llm-abc.cn-beijing.maas.aliyuncs.com/api-ws/v1/inference',
    'wss://LLM-ABC.AP-SOUTHEAST-1.MAAS.ALIYUNCS.COM/api-ws/v1/inference',
    'ws://127.0.0.1:8080/api-ws/v1/inference',
    'wss://tts-gateway.example.com/api-ws/v1/inference',
  ])('accepts %s', (url) => {
    expect(() => ws({ url })).not.toThrow();
  });

  it.each([
    ['url', 'wss://dashscope-intI.aliyuncs.com/api-ws/v1/inference'],
    ['url', 'wss://dashscope-eu.aliyuncs.com/api-ws/v1/inference'],
    ['url', 'wss://llm-abc.eu-west-1.maas.aliyuncs.com/api-ws/v1/inference'],
    ['url', 'wss://nls-gateway.cn-shanghai.aliyuncs.com/ws/v1'],
  ])('refuses %s %s, naming the documented hosts', (option, url) => {
    const error = optionError(() => ws({ url }));
    expect(error.option).toBe(option);
    expect(error.message).toContain('dashscope-intl.aliyuncs.com');
    expect(error.message).toContain('{WorkspaceId}.{region}.maas.aliyuncs.com');
  });

  it('checks the HTTP base URL and the environment variables the same way', () => {
    expect(
      optionError(() => http({ baseHttpApiUrl: 'https://dashscope-uk.aliyuncs.com/api/v1' })).option,
    ).toBe('baseHttpApiUrl');
    expect(
      optionError(() => ws({}, { DASHSCOPE_WEBSOCKET_BASE_URL: 'wss://intl.dashscope.aliyuncs.com/x' }))
        .option,
    ).toBe('DASHSCOPE_WEBSOCKET_BASE_URL');
    expect(
      optionError(() =>
        http({}, { DASHSCOPE_HTTP_BASE_URL: 'https://dashscope.cn-beijing.aliyuncs.com/api/v1' }),
      ).option,
    ).toBe('DASHSCOPE_HTTP_BASE_URL');
    expect(http({ baseHttpApiUrl: 'https://llm-abc.us-east-1.maas.aliyuncs.com/api/v1' })).toBe(
      'https://llm-abc.us-east-1.maas.aliyuncs.com/api/v1/services/aigc/text-generation/generation',
    );
  });
});
