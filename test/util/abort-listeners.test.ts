import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { onAbort } from '../../src/util/abort-listeners.js';
import { armDeadline, sleep } from '../../src/util/async.js';

describe('onAbort', () => {
  it('holds one listener on the signal however many wait, and calls each once, in order', () => {
    const controller = new AbortController();
    const calls: number[] = [];
    for (let i = 0; i < 1_000; i++) onAbort(controller.signal, () => calls.push(i));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    controller.abort();
    expect(calls).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('lets go of the signal when the last waiter leaves, and listens again for the next', () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const stops = [
      onAbort(controller.signal, () => calls.push('a')),
      onAbort(controller.signal, () => calls.push('b')),
    ];
    stops[0]!();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    stops[1]!();
    stops[1]!();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    onAbort(controller.signal, () => calls.push('c'));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    expect(calls).toEqual(['c']);
  });

  it('skips a waiter that an earlier one removed during the abort', () => {
    const controller = new AbortController();
    const calls: string[] = [];
    onAbort(controller.signal, () => {
      calls.push('first');
      stopSecond();
    });
    const stopSecond = onAbort(controller.signal, () => calls.push('second'));
    onAbort(controller.signal, () => calls.push('third'));
    controller.abort();
    expect(calls).toEqual(['first', 'third']);
  });

  it('counts one function added twice as one listener, as EventTarget does', () => {
    const controller = new AbortController();
    let calls = 0;
    const listener = (): void => void calls++;
    onAbort(controller.signal, listener);
    onAbort(controller.signal, listener);
    controller.abort();
    expect(calls).toBe(1);
  });

  it('serves armDeadline and sleep: a thousand waits on one signal hold one listener and all end on abort', async () => {
    const controller = new AbortController();
    const aborted: number[] = [];
    for (let i = 0; i < 500; i++) {
      armDeadline(60_000, controller.signal, { onTimeout: () => undefined, onAbort: () => aborted.push(i) });
    }
    const sleeps = Array.from({ length: 500 }, () => sleep(60_000, controller.signal));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    await Promise.all(sleeps);
    expect(aborted).toHaveLength(500);
  });
});
