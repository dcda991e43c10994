/** The pool's symbol-keyed hook-up to a synthesizer (src/synthesizer/internal.ts). */
import { describe, expect, it } from 'vitest';
import { InvalidStateError } from '../../src/errors/index.js';
import * as api from '../../src/index.js';
import {
  kIdleMs,
  kIsCancelling,
  kRenewConnection,
  kSetHooks,
  kWhenIdle,
} from '../../src/synthesizer/internal.js';
import type { TaskMetrics } from '../../src/synthesizer/task.js';
import { rejection, SENTENCE, useLocalServer } from './helpers.js';

const fixture = useLocalServer();
const { using } = fixture;

describe('the pool hook-up', () => {
  it('calls the hooks installed with kSetHooks, in the order of a task', () =>
    using({}, async (synth) => {
      const seen: string[] = [];
      let ended: TaskMetrics | undefined;
      let rateSignal: AbortSignal | undefined;
      synth[kSetHooks]({
        beforeTask: () => void seen.push('beforeTask'),
        beforeRunTask: (signal) => {
          seen.push('beforeRunTask');
          rateSignal = signal;
          return Promise.resolve();
        },
        onConnect: (connectionId, connectMs) => {
          seen.push('connect');
          expect(connectionId).toBeGreaterThan(0);
          expect(connectMs).toBeGreaterThan(0);
        },
        onTaskEnd: (metrics, error) => {
          seen.push('taskEnd');
          ended = metrics;
          expect(error).toBeUndefined();
        },
        onDisconnect: (_connectionId, info) => {
          seen.push('disconnect');
          expect(info.initiatedLocally).toBe(true);
        },
      });
      await synth.call(SENTENCE);
      expect(seen).toEqual(['beforeTask', 'connect', 'beforeRunTask', 'taskEnd']);
      expect(ended).toMatchObject({ outcome: 'finished', taskId: synth.getLastRequestId() });
      // The signal given to beforeRunTask aborts once the task ended.
      expect(rateSignal?.aborted).toBe(true);
      await synth.close();
      expect(seen.at(-1)).toBe('disconnect');
    }));

  it('lets a throwing beforeTask refuse a task before anything is sent', () =>
    using({}, async (synth) => {
      synth[kSetHooks]({
        beforeTask: () => {
          throw new InvalidStateError('not yours');
        },
      });
      const before = fixture.server.stats();
      expect(await rejection(synth.call(SENTENCE))).toBeInstanceOf(InvalidStateError);
      expect(fixture.server.stats().connectionsAccepted).toBe(before.connectionsAccepted);
      expect(synth.state).toBe('idle');
    }));

  it('reports idle time only while a connection is held', () =>
    using({}, async (synth) => {
      expect(synth[kIdleMs]).toBeUndefined();
      await synth.connect();
      expect(synth[kIdleMs]).toBeGreaterThanOrEqual(0);
      await synth.close();
      expect(synth[kIdleMs]).toBeUndefined();
    }));

  it('renews the connection make-before-break, and refuses while a task runs', () =>
    using({}, async (synth) => {
      await synth.connect();
      const oldId = synth.connectionId;
      const accepted = fixture.server.stats().connectionsAccepted;
      expect(await synth[kRenewConnection]()).toBe(true);
      expect(synth.connectionId).not.toBe(oldId);
      expect(synth.isConnected).toBe(true);
      expect(fixture.server.stats().connectionsAccepted - accepted).toBe(1);
      const running = synth.call(`${SENTENCE} `.repeat(4));
      expect(await synth[kRenewConnection]()).toBe(false);
      expect((await running)!.length).toBeGreaterThan(0);
      expect(fixture.server.stats().connectionsAccepted - accepted).toBe(1);
      await synth.close();
      expect(await synth[kRenewConnection]()).toBe(false);
    }));

  it('is cancelling until the server confirms; kWhenIdle resolves then', () =>
    using({}, async (synth) => {
      expect(synth[kIsCancelling]).toBe(false);
      await synth[kWhenIdle]();
      await synth.streamingCall(`${SENTENCE} `.repeat(40));
      await new Promise((resolve) => synth.once('data', resolve));
      const cancelled = synth.streamingCancel();
      expect(synth[kIsCancelling]).toBe(true);
      expect(synth.state).toBe('busy');
      await synth[kWhenIdle]();
      expect(synth[kIsCancelling]).toBe(false);
      expect(synth.lastTaskOutcome).toBe('cancelled');
      await cancelled;
    }));

  it('stays off the public surface', () =>
    using({}, async (synth) => {
      for (const name of ['idleMs', 'isCancelling', 'whenIdle', 'renewConnection', 'connectionAgeMs']) {
        expect(name in synth, name).toBe(false);
      }
      expect(Object.keys(api).filter((name) => name.startsWith('k'))).toEqual([]);
      // A `hooks` option is no longer read: hooks come only through kSetHooks.
      let called = false;
      const options = { hooks: { beforeTask: () => void (called = true) } } as object;
      await using(options, async (other) => {
        expect((await other.call(SENTENCE))!.length).toBeGreaterThan(0);
      });
      expect(called).toBe(false);
      expect(typeof synth[kSetHooks]).toBe('function');
    }));
});
