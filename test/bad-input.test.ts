/**
 * A fuzz-style table of bad values against every option the shared validation owns (connection
 * options, HTTP call targets, synthesis parameters, texts, temporary keys): each bad value gives
 * a typed error with a `code` (never a plain TypeError), a short message, and nothing is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TIMEOUT_MS, resolveConnectionOptions, validateTimeoutMs } from '../src/config.js';
import {
  DashScopeError,
  HttpRequestError,
  InvalidOptionError,
  InvalidParameterError,
} from '../src/errors/index.js';
import { validateConnectionHeaders } from '../src/headers.js';
import { Generation } from '../src/http/generation.js';
import { countCharacters, validateSynthesisParams, validateTaskText, validateText } from '../src/params.js';
import { SpeechSynthesizerObjectPool } from '../src/index.js';
import { SpeechSynthesizer } from '../src/index.js';
import { startLocalServer, type LocalServer } from '../src/server/index.js';
import { temporaryApiKey } from '../src/temporary-api-key.js';
import { describeValue } from '../src/util/describe-value.js';
import { startServer, type TestServer } from './http/helpers.js';

const KEY = 'sk-bad-input-0123456789abcdef';
const HUGE = 'x'.repeat(100_000);
/** The codes of errors raised before anything is sent. */
const PRE_SEND_CODES = /^DS_ERR_(INVALID_OPTION|INVALID_PARAMETER|MISSING_API_KEY|API_KEY)$/;
const circular: Record<string, unknown> = { name: 'loop' };
circular.self = circular;

/** Bad for every option below: each must be refused. */
const ALWAYS_BAD: Array<[string, unknown]> = [
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['2^31', 2 ** 31],
  ['BigInt', 10n],
  ['symbol', Symbol('bad')],
  ['circular object', circular],
  ['CR/LF', 'a\r\nX-Injected: 1'],
  ['NUL', 'a\u0000b'],
];
/** Odd values that some options accept: whatever happens must be typed and short. */
const SOMETIMES_BAD: Array<[string, unknown]> = [
  ['huge string', HUGE],
  ['lone surrogate', '\ud800'],
  ['non-Latin-1', 'ключ'],
  ['negative', -1],
  ['huge number', 1e300],
  ['empty string', ''],
  ['whitespace', '  \n\t'],
  ['array', [1, 2]],
  ['empty object', {}],
  ['function', () => 1],
  ['null', null],
  ['boolean', true],
];
// Strings are fine where they end up JSON-escaped inside a frame, not in a header or a URL.
const STRINGS_ALLOWED = new Set(['model', 'voice', 'instruction', 'text']);

/** Runs `fn`; returns the error it threw (or undefined) after checking it is typed and short. */
function typedFailure(fn: () => unknown, label: string): DashScopeError | undefined {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  if (caught === undefined) return undefined;
  expect(caught, `${label}: ${caught instanceof Error ? caught.message : typeof caught}`).toBeInstanceOf(
    DashScopeError,
  );
  const error = caught as DashScopeError;
  expect(error.code, label).toMatch(/^DS_ERR_[A-Z_]+$/);
  expect(error.message.length, label).toBeLessThan(600);
  expect(error.message, label).not.toContain('x'.repeat(200));
  expect(error.message, label).not.toContain(KEY);
  return error;
}

function checkTable(options: string[], attempt: (option: string, value: unknown) => unknown): number {
  let refused = 0;
  for (const option of options) {
    for (const [name, value] of ALWAYS_BAD) {
      if (STRINGS_ALLOWED.has(option) && typeof value === 'string') continue;
      const error = typedFailure(() => attempt(option, value), `${option} = ${name}`);
      expect(error, `${option} = ${name} must be refused`).toBeDefined();
      refused += 1;
    }
    for (const [name, value] of SOMETIMES_BAD)
      typedFailure(() => attempt(option, value), `${option} = ${name}`);
  }
  return refused;
}

let server: LocalServer;
let http: TestServer;
beforeAll(async () => {
  server = await startLocalServer({ apiKey: KEY, engine: 'synthetic' });
  http = await startServer({ apiKey: KEY });
});
afterAll(async () => {
  await http.close();
  await server.close();
});

const CONNECTION_OPTIONS = [
  'url',
  'region',
  'apiKey',
  'workspace',
  'headers',
  'connectTimeoutMs',
  'ca',
  'agent',
];
const PARAMS = { model: 'cosyvoice-v3-flash', voice: 'longanyang' };

describe('bad input × options', () => {
  it('connection options, through the synthesizer and the pool constructors: typed, nothing sent', () => {
    const before = server.stats();
    const base = { ...PARAMS, url: server.url, apiKey: KEY };
    checkTable(CONNECTION_OPTIONS, (option, value) =>
      resolveConnectionOptions({ ...base, [option]: value }, {}),
    );
    checkTable(CONNECTION_OPTIONS, (option, value) => new SpeechSynthesizer({ ...base, [option]: value }));
    checkTable(
      CONNECTION_OPTIONS,
      (option, value) => new SpeechSynthesizerObjectPool({ ...base, preOpen: false, [option]: value }),
    );
    // Header values one by one, and names that are not header tokens.
    checkTable(['value'], (_part, value) => validateConnectionHeaders({ headers: { 'X-A': value } }));
    for (const name of ['a\r\nb', 'a\u0000b', 'with space', 'ключ', '', 'a:b', 'Authorization']) {
      expect(
        typedFailure(() => validateConnectionHeaders({ headers: { [name]: 'v' } }), name),
      ).toBeInstanceOf(InvalidOptionError);
    }
    expect(
      typedFailure(() => validateConnectionHeaders({ headers: { [Symbol('h')]: 'v' } }), 'symbol name'),
    ).toBeInstanceOf(InvalidOptionError);
    const after = server.stats();
    expect(after.connectionsAccepted).toBe(before.connectionsAccepted);
    expect(after.upgradesRejected).toBe(before.upgradesRejected);
  });

  it('HTTP call options: typed rejections, nothing sent', async () => {
    const before = http.endpoint.stats().requests;
    const base = { model: 'qwen-plus', prompt: 'hi', apiKey: KEY, baseHttpApiUrl: http.baseUrl };
    const options = [
      'baseHttpApiUrl',
      'region',
      'apiKey',
      'workspace',
      'headers',
      'timeout',
      'retry',
      'model',
    ];
    const values = [...ALWAYS_BAD, ...SOMETIMES_BAD];
    let refused = 0;
    let sent = 0;
    for (const option of options) {
      for (const [name, value] of values) {
        const label = `${option} = ${name}`;
        // No base URL means the real service: never from a test.
        if (option === 'baseHttpApiUrl' && value === null) continue;
        let caught: unknown;
        try {
          await Generation.call({ ...base, [option]: value });
        } catch (error) {
          caught = error;
        }
        // A string model goes JSON-escaped into the body; retry takes any object (unknown fields are ignored).
        const acceptable =
          (option === 'model' && typeof value === 'string') || (option === 'retry' && value === circular);
        if (ALWAYS_BAD.some(([, bad]) => bad === value) && !acceptable) {
          expect(caught, `${label} must be refused`).toBeDefined();
        }
        // Accepted odd values reach the server, which may refuse them (a wrong key); Node's HTTP
        // server answers 431 itself to a 100 000-character header, before the endpoint sees it.
        if (caught === undefined || caught instanceof HttpRequestError) {
          if (!(caught instanceof HttpRequestError && caught.status === 431)) sent += 1;
          continue;
        }
        refused += 1;
        expect(caught, label).toBeInstanceOf(DashScopeError);
        expect((caught as DashScopeError).code, label).toMatch(PRE_SEND_CODES);
        expect((caught as DashScopeError).message.length, label).toBeLessThan(600);
      }
    }
    // Every refusal happened before anything was sent.
    expect(http.endpoint.stats().requests - before).toBe(sent);
    expect(refused).toBeGreaterThan(options.length * ALWAYS_BAD.length - ALWAYS_BAD.length);
    // A BigInt or a cycle among the model parameters cannot be sent either.
    await expect(Generation.call({ ...base, temperature: 10n })).rejects.toBeInstanceOf(
      InvalidParameterError,
    );
    await expect(Generation.call({ ...base, parameters: circular })).rejects.toBeInstanceOf(
      InvalidParameterError,
    );
    await expect(Generation.call(null as never)).rejects.toBeInstanceOf(InvalidParameterError);
    expect(http.endpoint.stats().requests - before).toBe(sent);
  });

  it('synthesis parameters and texts', () => {
    const params = [
      'model',
      'voice',
      'format',
      'volume',
      'speechRate',
      'pitchRate',
      'seed',
      'instruction',
      'languageHints',
      'hotFix',
      'enableSsml',
      'wordTimestampEnabled',
      'additionalParams',
    ];
    const refused = checkTable(params, (option, value) =>
      validateSynthesisParams({ ...PARAMS, [option]: value }),
    );
    expect(refused).toBeGreaterThan(90);
    checkTable(['text'], (_option, value) => validateText(value));
    checkTable(['text'], (_option, value) => validateTaskText(value));
    expect(typedFailure(() => validateSynthesisParams(null as never), 'null params')).toBeInstanceOf(
      InvalidParameterError,
    );
  });

  it('temporary key options', () => {
    const before = server.stats().tokensMinted;
    const options = [
      'expireInSeconds',
      'timeoutMs',
      'refreshBeforeExpiryMs',
      'baseHttpApiUrl',
      'region',
      'workspace',
      'headers',
      'apiKey',
    ];
    checkTable(options, (option, value) =>
      temporaryApiKey({ apiKey: KEY, baseHttpApiUrl: server.httpBaseUrl, [option]: value }),
    );
    expect(server.stats().tokensMinted).toBe(before);
  });

  it('null in place of an options object is a typed error', () => {
    for (const call of [
      () => resolveConnectionOptions(null as never),
      () => temporaryApiKey(null as never),
      () => new SpeechSynthesizer(null as never),
      () => new SpeechSynthesizerObjectPool(null as never),
    ]) {
      expect(typedFailure(call, 'null options')).toBeDefined();
    }
    expect(() => validateConnectionHeaders(null)).not.toThrow();
  });
});

describe('timeouts', () => {
  it('accepts up to 2^31 - 1 ms and refuses more, which Node would fire after 1 ms', () => {
    expect(() => validateTimeoutMs('timeoutMs', MAX_TIMEOUT_MS)).not.toThrow();
    for (const bad of [MAX_TIMEOUT_MS + 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      const error = typedFailure(
        () => validateTimeoutMs('timeoutMs', bad),
        String(bad),
      ) as InvalidOptionError;
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error.message).toContain('2147483647');
    }
    expect(() => validateTimeoutMs('graceMs', 0, { allowZero: true })).not.toThrow();
    expect(() => validateTimeoutMs('graceMs', 0)).toThrow(InvalidOptionError);
  });

  it('refuses them in the synthesizer, pool and HTTP options that share the check', () => {
    const base = { ...PARAMS, url: server.url, apiKey: KEY };
    const tooLong = MAX_TIMEOUT_MS + 1;
    for (const option of ['connectTimeoutMs', 'responseTimeoutMs']) {
      expect(() => new SpeechSynthesizer({ ...base, [option]: tooLong })).toThrow(InvalidOptionError);
    }
    for (const option of [
      'acquireTimeoutMs',
      'pingTimeoutMs',
      'maintenanceIntervalMs',
      'reconnectMaxDelayMs',
    ]) {
      expect(() => new SpeechSynthesizerObjectPool({ ...base, preOpen: false, [option]: tooLong })).toThrow(
        InvalidOptionError,
      );
    }
  });
});

describe('describeValue', () => {
  it('describes what JSON.stringify cannot, briefly', () => {
    expect(describeValue(Number.NaN)).toBe('NaN');
    expect(describeValue(Number.POSITIVE_INFINITY)).toBe('Infinity');
    expect(describeValue(-0)).toBe('-0');
    expect(describeValue(10n)).toBe('10n');
    expect(describeValue(Symbol('s'))).toBe('Symbol(s)');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(function named() {})).toBe('[function named]');
    expect(describeValue(circular)).toContain('[Circular');
    expect(describeValue('a"b')).toBe('"a\\"b"');
    expect(describeValue('\ud800')).toBe('"\\ud800"');
    const long = describeValue(HUGE);
    expect(long.length).toBeLessThanOrEqual(80);
    expect(long).toContain('(100000 characters)');
    expect(describeValue({ deep: { deeper: { deepest: 1 } } }).length).toBeLessThanOrEqual(80);
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(typeof describeValue(proxy)).toBe('string');
  });
});

describe('counting characters', () => {
  it('counts every Han ideograph twice, the later blocks too', () => {
    expect(countCharacters('\u{2F800}')).toBe(2); // CJK Compatibility Ideographs Supplement
    expect(countCharacters('\u{31350}')).toBe(2); // CJK Unified Ideographs Extension H
    expect(countCharacters('\u{2EBF0}')).toBe(2); // Extension I
    expect(countCharacters('你好，世界。')).toBe(10); // punctuation counts once
    expect(countCharacters('かなカナ한글')).toBe(6); // kana and Hangul are not Han
  });

  it('refuses a task text over the limit once the later blocks count twice', () => {
    const text = '\u{31350}'.repeat(10_001); // 20 002 as the service counts
    expect(() => validateText(text)).toThrow(InvalidParameterError);
  });

  it('refuses whitespace-only task text but keeps whitespace fragments for streaming', () => {
    for (const blank of [' ', '\n\n', '\t \u3000']) {
      expect(typedFailure(() => validateTaskText(blank), JSON.stringify(blank))).toBeInstanceOf(
        InvalidParameterError,
      );
      expect(validateText(blank)).toBe(countCharacters(blank));
    }
  });
});
