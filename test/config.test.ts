import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, MissingApiKeyError } from '../src/errors/index.js';
import { WEBSOCKET_ENDPOINTS, resolveConnectionOptions } from '../src/config.js';
import { createSelfSignedCertificate } from '../src/server/self-signed.js';

const KEY = 'sk-0123456789abcdef0123456789abcdef';
const CERT = createSelfSignedCertificate().cert;

describe('resolveConnectionOptions', () => {
  it('takes the key and the url from the environment like the SDKs', async () => {
    const resolved = resolveConnectionOptions(
      {},
      { DASHSCOPE_API_KEY: KEY, DASHSCOPE_WEBSOCKET_BASE_URL: 'ws://127.0.0.1:1/api-ws/v1/inference' },
    );
    expect(resolved.url).toBe('ws://127.0.0.1:1/api-ws/v1/inference');
    expect((await resolved.apiKey.resolve({ timeoutMs: 1000 })).reveal()).toBe(KEY);
    expect(resolved.connectTimeoutMs).toBe(5000);
  });

  it('prefers options over the environment, and region picks the documented endpoint', () => {
    expect(
      resolveConnectionOptions({ apiKey: 'k', url: 'wss://example.invalid/x' }, { DASHSCOPE_API_KEY: KEY })
        .url,
    ).toBe('wss://example.invalid/x');
    expect(resolveConnectionOptions({ apiKey: 'k' }, {}).url).toBe(WEBSOCKET_ENDPOINTS.cn);
    expect(resolveConnectionOptions({ apiKey: 'k', region: 'intl' }, {}).url).toBe(WEBSOCKET_ENDPOINTS.intl);
  });

  it('adds the workspace header and merges user headers last', () => {
    const { headers } = resolveConnectionOptions(
      { apiKey: 'k', workspace: 'ws-1', headers: { 'user-agent': 'mine' } },
      {},
    );
    expect(headers['X-DashScope-WorkSpace']).toBe('ws-1');
    expect(headers['user-agent']).toBe('mine');
  });

  it('fails without a key', () => {
    expect(() => resolveConnectionOptions({}, {})).toThrow(MissingApiKeyError);
  });

  it.each([
    ['url', { url: 'http://127.0.0.1/' }],
    ['url', { url: 'not a url' }],
    ['url', { url: 'ws://user:pass@127.0.0.1/' }],
    ['region', { region: 'mars' as 'cn' }],
    ['connectTimeoutMs', { connectTimeoutMs: 0 }],
    ['connectTimeoutMs', { connectTimeoutMs: -5 }],
    ['connectTimeoutMs', { connectTimeoutMs: Number.NaN }],
    ['ca', { ca: 'ca.pem' }],
    ['ca', { ca: '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n' }],
    ['ca', { ca: [] }],
    ['ca', { ca: [CERT, 42 as never] }],
    ['agent', { agent: {} as never }],
    ['agent', { agent: 'proxy:8080' as never }],
  ])('names the bad option %s', (option, options) => {
    let caught: unknown;
    try {
      resolveConnectionOptions({ apiKey: 'k', ...options }, {});
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidOptionError);
    expect((caught as InvalidOptionError).option).toBe(option);
  });

  it('takes a CA as PEM text, a Buffer or an array, and an http(s).Agent; null counts as not given', () => {
    for (const ca of [CERT, Buffer.from(CERT), [CERT, Buffer.from(CERT)]]) {
      expect(resolveConnectionOptions({ apiKey: 'k', ca }, {}).ca).toBe(ca);
    }
    const agent = new HttpsAgent();
    expect(resolveConnectionOptions({ apiKey: 'k', agent }, {}).agent).toBe(agent);
    const none = resolveConnectionOptions({ apiKey: 'k', ca: null as never, agent: null as never }, {});
    expect([none.ca, none.agent]).toEqual([undefined, undefined]);
  });

  it('never shows the key when the settings are printed', () => {
    const resolved = resolveConnectionOptions({ apiKey: KEY }, {});
    expect(inspect(resolved, { depth: 5 })).not.toContain(KEY);
    expect(JSON.stringify(resolved)).not.toContain(KEY);
    expect(resolved.apiKey.toString()).not.toContain(KEY);
  });
});

describe('VERSION', () => {
  it('matches package.json and goes into the user agent', async () => {
    const { VERSION, USER_AGENT } = await import('../src/version.js');
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(VERSION).toBe(pkg.version);
    expect(USER_AGENT).toContain(`dashscope-tts-pool/${pkg.version};`);
    expect(resolveConnectionOptions({ apiKey: 'k' }, {}).headers['user-agent']).toBe(USER_AGENT);
  });
});
