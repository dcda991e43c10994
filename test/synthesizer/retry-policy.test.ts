/** When a failed task is tried again, and after what back-off (src/synthesizer/retry-policy.ts). */
import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  ConnectionError,
  ConnectTimeoutError,
  HandshakeError,
  ProtocolError,
  TaskFailedError,
} from '../../src/errors/index.js';
import { RetryPolicy } from '../../src/synthesizer/retry-policy.js';
import { Task } from '../../src/synthesizer/task.js';

const policy = new RetryPolicy({
  connectionFailures: 2,
  throttling: 1,
  initialDelayMs: 100,
  maxDelayMs: 300,
});
const throttled = new TaskFailedError({
  errorCode: 'Throttling.RateQuota',
  errorMessage: 'slow down',
  taskId: 't',
  audioReceived: false,
});
const refused = new TaskFailedError({
  errorCode: 'InvalidParameter',
  errorMessage: 'bad voice',
  taskId: 't',
  audioReceived: false,
});

describe('RetryPolicy', () => {
  it('retries connection failures and throttling, nothing else', () => {
    const task = new Task(false);
    expect(policy.kindOf(task, new ConnectionError('dropped'))).toBe('connection');
    expect(policy.kindOf(task, new ConnectTimeoutError(1_000))).toBe('connection');
    expect(policy.kindOf(task, throttled)).toBe('throttling');
    expect(policy.kindOf(task, refused)).toBeUndefined();
    expect(policy.kindOf(task, new ProtocolError('confused'))).toBeUndefined();
  });

  it('retries a refused handshake only when it is retryable', () => {
    const task = new Task(false);
    const busy = new HandshakeError({ status: 503, body: '' });
    const missing = new HandshakeError({ status: 404, body: '' });
    const denied = new AuthenticationError({ status: 401, body: '' });
    expect(busy.retryable).toBe(true);
    expect(policy.kindOf(task, busy)).toBe('connection');
    expect(missing.retryable).toBe(false);
    expect(policy.kindOf(task, missing)).toBeUndefined();
    expect(policy.kindOf(task, denied)).toBeUndefined();
  });

  it('stops when the retries of that kind are used up', () => {
    const task = new Task(false);
    task.resetForRetry('throttling', 0);
    expect(policy.kindOf(task, throttled)).toBeUndefined();
    expect(policy.kindOf(task, new ConnectionError('dropped'))).toBe('connection');
    task.resetForRetry('connection', 0);
    task.resetForRetry('connection', 0);
    expect(policy.kindOf(task, new ConnectionError('dropped'))).toBeUndefined();
  });

  it('never retries after audio arrived, or once the user cancelled', () => {
    const withAudio = new Task(false);
    withAudio.recordAudio(Buffer.from('x'));
    expect(policy.kindOf(withAudio, new ConnectionError('dropped'))).toBeUndefined();
    const cancelled = new Task(false);
    cancelled.requestCancel();
    expect(policy.kindOf(cancelled, new ConnectionError('dropped'))).toBeUndefined();
  });

  it('retries the first connection failure at once and backs off within bounds after that', () => {
    expect(policy.backoffMs('connection', 0)).toBe(0);
    for (let i = 0; i < 50; i += 1) {
      const throttling = policy.backoffMs('throttling', 0);
      expect(throttling).toBeGreaterThanOrEqual(0);
      expect(throttling).toBeLessThanOrEqual(100);
      const second = policy.backoffMs('connection', 1);
      expect(second).toBeLessThanOrEqual(200);
      expect(policy.backoffMs('connection', 10)).toBeLessThanOrEqual(300);
    }
  });
});
