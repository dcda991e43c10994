/** Knob validation: options, the Java SDK's environment variables, ordering rules, clear errors. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONNECTION_CONFIGURATIONS,
  HttpConnectionPool,
  InvalidOptionError,
  getConnectionConfigurations,
  resolveConnectionConfigurations,
  setConnectionConfigurations,
} from '../../src/index.js';

const resolve = (
  options: Parameters<typeof resolveConnectionConfigurations>[0],
  env: NodeJS.ProcessEnv = {},
) => resolveConnectionConfigurations(options, env);

function optionError(fn: () => unknown): InvalidOptionError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidOptionError);
    return e as InvalidOptionError;
  }
  throw new Error('expected an InvalidOptionError');
}

describe('connection configurations', () => {
  it("defaults are the Java SDK's, in milliseconds", () => {
    expect(resolve({})).toEqual({
      connectTimeout: 120_000,
      readTimeout: 300_000,
      writeTimeout: 60_000,
      connectionIdleTimeout: 300_000,
      connectionPoolSize: 32,
      maximumAsyncRequests: 32,
      maximumAsyncRequestsPerHost: 32,
      maxQueuedRequests: 1024,
      queueTimeout: 120_000,
    });
    expect(DEFAULT_CONNECTION_CONFIGURATIONS.connectTimeout).toBe(120_000);
  });

  it('reads the Java SDK environment variables (seconds for durations); options win', () => {
    const env = {
      DASHSCOPE_CONNECTION_TIMEOUT: '10',
      DASHSCOPE_READ_TIMEOUT: '20',
      DASHSCOPE_WRITE_TIMEOUT: '30',
      DASHSCOPE_CONNECTION_IDLE_TIME: '40',
      DASHSCOPE_CONNECTION_POOL_SIZE: '16',
      DASHSCOPE_MAXIMUM_ASYNC_REQUESTS: '8',
      DASHSCOPE_MAXIMUM_ASYNC_REQUESTS_PER_HOST: '4',
    };
    expect(resolve({}, env)).toMatchObject({
      connectTimeout: 10_000,
      readTimeout: 20_000,
      writeTimeout: 30_000,
      connectionIdleTimeout: 40_000,
      connectionPoolSize: 16,
      maximumAsyncRequests: 8,
      maximumAsyncRequestsPerHost: 4,
    });
    expect(resolve({ connectTimeout: 1_500 }, env).connectTimeout).toBe(1_500);
  });

  it.each([
    ['connectTimeout', 0],
    ['readTimeout', -5],
    ['writeTimeout', Number.NaN],
    ['connectionIdleTimeout', '300'],
    ['connectionPoolSize', 0],
    ['maximumAsyncRequests', 1.5],
    ['maximumAsyncRequestsPerHost', -1],
    ['maxQueuedRequests', -1],
    ['queueTimeout', Infinity],
  ])('rejects %s = %s, naming option and value', (option, value) => {
    const err = optionError(() => resolve({ [option]: value }));
    expect(err.option).toBe(option);
    expect(err.code).toBe('DS_ERR_INVALID_OPTION');
    expect(err.message).toContain(option);
    // The value as JavaScript writes it: Infinity and NaN, not JSON's null.
    expect(err.message).toContain(typeof value === 'string' ? JSON.stringify(value) : String(value));
  });

  it('rejects a bad environment value instead of silently using the default', () => {
    const err = optionError(() => resolve({}, { DASHSCOPE_CONNECTION_POOL_SIZE: 'many' }));
    expect(err.option).toBe('DASHSCOPE_CONNECTION_POOL_SIZE');
    expect(err.message).toContain('"many"');
    expect(optionError(() => resolve({}, { DASHSCOPE_READ_TIMEOUT: '0' })).option).toBe(
      'DASHSCOPE_READ_TIMEOUT',
    );
    expect(optionError(() => resolve({}, { DASHSCOPE_READ_TIMEOUT: '-3' })).option).toBe(
      'DASHSCOPE_READ_TIMEOUT',
    );
  });

  it('enforces maximumAsyncRequestsPerHost <= maximumAsyncRequests <= connectionPoolSize', () => {
    const perHost = optionError(() => resolve({ maximumAsyncRequests: 4, maximumAsyncRequestsPerHost: 8 }));
    expect(perHost.option).toBe('maximumAsyncRequestsPerHost');
    expect(perHost.message).toMatch(/8.*maximumAsyncRequests \(4\)/);
    const total = optionError(() => resolve({ connectionPoolSize: 2 }));
    expect(total.option).toBe('maximumAsyncRequests');
    expect(total.message).toMatch(/32.*connectionPoolSize \(2\)/);
    // Also across sources: an option against an environment value.
    expect(
      optionError(() => resolve({ maximumAsyncRequests: 64 }, { DASHSCOPE_CONNECTION_POOL_SIZE: '32' }))
        .option,
    ).toBe('maximumAsyncRequests');
    expect(
      resolve({ connectionPoolSize: 8, maximumAsyncRequests: 8, maximumAsyncRequestsPerHost: 2 }),
    ).toMatchObject({
      maximumAsyncRequestsPerHost: 2,
    });
  });

  it('rejects unknown keys (typos)', () => {
    expect(optionError(() => resolve({ conectTimeout: 5 } as never)).option).toBe('conectTimeout');
  });

  it('setConnectionConfigurations validates at once and keeps the previous settings on error', () => {
    setConnectionConfigurations({ connectTimeout: 5_000 });
    expect(getConnectionConfigurations().connectTimeout).toBe(5_000);
    expect(() => setConnectionConfigurations({ connectTimeout: -1 })).toThrow(InvalidOptionError);
    expect(getConnectionConfigurations().connectTimeout).toBe(5_000);
    setConnectionConfigurations({});
    expect(getConnectionConfigurations().connectTimeout).toBe(120_000);
  });

  it('a pool validates its options and its agent', () => {
    expect(() => new HttpConnectionPool({ maximumAsyncRequestsPerHost: 0 }, {})).toThrow(InvalidOptionError);
    expect(() => new HttpConnectionPool({ agent: {} as never }, {})).toThrow(/agent/);
  });
});
