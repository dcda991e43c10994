import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as esm from '../src/errors/index.js';

// The built CommonJS copy: another module instance, with its own classes (the dual-package hazard).
const cjs = createRequire(import.meta.url)('../dist/index.cjs') as typeof esm;

describe('error codes and brand', () => {
  it('uses the DS_ERR_ prefix, never one of Node’s own ERR_ codes', () => {
    const errors = [
      new esm.InvalidStateError('x'),
      new esm.AbortError(),
      new esm.PoolClosedError(),
      new esm.HttpPoolClosedError(),
      new esm.TaskFailedError({ errorCode: 'InvalidParameter', errorMessage: 'm', taskId: 't' }),
    ];
    for (const error of errors) expect(error.code).toMatch(/^DS_ERR_[A-Z_]+$/);
  });

  it('recognises errors made by the other build with instanceof and isDashScopeError', () => {
    expect(cjs.TaskFailedError).not.toBe(esm.TaskFailedError);
    const foreign = new cjs.TaskFailedError({ errorCode: 'Throttling', errorMessage: 'm', taskId: 't' });
    expect(foreign instanceof esm.TaskFailedError).toBe(true);
    expect(foreign instanceof esm.DashScopeError).toBe(true);
    expect(foreign instanceof Error).toBe(true);
    expect(esm.isDashScopeError(foreign)).toBe(true);
    // A brand does not make one class pass for another.
    expect(foreign instanceof esm.ConnectionError).toBe(false);
    expect(new esm.ConnectionError('x') instanceof cjs.TaskFailedError).toBe(false);
    expect(new esm.ConnectionError('x') instanceof cjs.ConnectionError).toBe(true);
  });

  it('does not brand plain errors or look-alikes', () => {
    expect(esm.isDashScopeError(new Error('x'))).toBe(false);
    expect(esm.isDashScopeError({ code: 'DS_ERR_CLOSED' })).toBe(false);
    expect(esm.isDashScopeError(null)).toBe(false);
    expect(Object.assign(new Error('x'), { code: 'DS_ERR_CLOSED' }) instanceof esm.DashScopeError).toBe(
      false,
    );
  });

  it('keeps the brand out of enumeration and JSON', () => {
    const error = new esm.InvalidOptionError('url', 'bad url');
    expect(Object.keys(error)).not.toContain(Symbol.for('dashscope-tts-pool.error'));
    expect(JSON.stringify(error)).not.toContain('dashscope-tts-pool.error');
  });
});
