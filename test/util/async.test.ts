import { describe, expect, it } from 'vitest';
import { armDeadline, LazyDeferred, sleep } from '../../src/util/async.js';

/** Resolves after `ms` of real time, for checking that nothing more happens. */
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function recorder(): { calls: string[]; handlers: { onTimeout(): void; onAbort(): void } } {
  const calls: string[] = [];
  return { calls, handlers: { onTimeout: () => calls.push('timeout'), onAbort: () => calls.push('abort') } };
}

describe('armDeadline', () => {
  it('runs onTimeout once when the time passes first, and ignores a later abort', async () => {
    const { calls, handlers } = recorder();
    const controller = new AbortController();
    armDeadline(10, controller.signal, handlers);
    await pause(100);
    controller.abort();
    await pause(10);
    expect(calls).toEqual(['timeout']);
  });

  it('runs onAbort once when the signal aborts first, and the timer never fires', async () => {
    const { calls, handlers } = recorder();
    const controller = new AbortController();
    armDeadline(50, controller.signal, handlers);
    controller.abort();
    controller.abort();
    await pause(150);
    expect(calls).toEqual(['abort']);
  });

  it('runs nothing once disarmed, and disarming twice is harmless', async () => {
    const { calls, handlers } = recorder();
    const controller = new AbortController();
    const disarm = armDeadline(10, controller.signal, handlers);
    disarm();
    disarm();
    controller.abort();
    await pause(100);
    expect(calls).toEqual([]);
  });

  it('answers an already aborted signal on a microtask, so the caller can hold the disarm function first', async () => {
    const { calls, handlers } = recorder();
    const held: { disarm?: () => void } = {};
    const seenDisarm: boolean[] = [];
    held.disarm = armDeadline(1000, AbortSignal.abort(), {
      ...handlers,
      onAbort: () => {
        seenDisarm.push(held.disarm !== undefined);
        handlers.onAbort();
      },
    });
    expect(calls).toEqual([]);
    await Promise.resolve();
    expect(calls).toEqual(['abort']);
    expect(seenDisarm).toEqual([true]);
  });

  it('works without a signal', async () => {
    const { calls, handlers } = recorder();
    armDeadline(10, undefined, handlers);
    await pause(100);
    expect(calls).toEqual(['timeout']);
  });
});

describe('sleep', () => {
  it('resolves early, without rejecting, when the signal aborts', async () => {
    const controller = new AbortController();
    // Were the abort ignored, the 60 s wait would outlast the test's timeout.
    const slept = sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(slept).resolves.toBeUndefined();
  });

  it('resolves at once for an aborted signal or a non-positive wait', async () => {
    await expect(sleep(60_000, AbortSignal.abort())).resolves.toBeUndefined();
    await expect(sleep(0)).resolves.toBeUndefined();
    await expect(sleep(-5)).resolves.toBeUndefined();
  });
});

describe('LazyDeferred', () => {
  it('settles a promise made before or after it was settled, the first settlement winning', async () => {
    const early = new LazyDeferred<number>();
    const promise = early.promise;
    early.resolve(1);
    early.reject(new Error('late'));
    expect(await promise).toBe(1);
    expect(early.promise).toBe(promise);

    const late = new LazyDeferred<number>();
    late.resolve(2);
    late.resolve(3);
    expect(await late.promise).toBe(2);

    const failed = new LazyDeferred<number>();
    const reason = new Error('no');
    failed.reject(reason);
    failed.resolve(4);
    await expect(failed.promise).rejects.toBe(reason);
  });

  it('never makes an unhandled rejection, asked for or not', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      new LazyDeferred<void>().reject(new Error('nobody asked'));
      const asked = new LazyDeferred<void>();
      void asked.promise;
      asked.reject(new Error('asked, then dropped'));
      const after = new LazyDeferred<void>();
      after.reject(new Error('asked after'));
      void after.promise;
      await pause(20);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
