/** The task state machine on its own (src/synthesizer/task.ts): no server needed. */
import { describe, expect, it } from 'vitest';
import { AbortError, ConnectionError } from '../../src/errors/index.js';
import { LastTask, type TaskMetrics } from '../../src/synthesizer/task-metrics.js';
import { Task } from '../../src/synthesizer/task.js';

const activeTimeouts = (): number =>
  process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

/** Whether `promise` has settled, checked after pending microtasks ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('Task', () => {
  it('keeps the script in order, counts text, and ignores a second finish or anything after it', () => {
    const task = new Task(false);
    expect(task.append({ kind: 'text', text: 'Hello' }, 5)).toBe(true);
    expect(task.append({ kind: 'flush' })).toBe(true);
    expect(task.append({ kind: 'text', text: '你好' }, 4)).toBe(true);
    expect(task.append({ kind: 'finish' })).toBe(true);
    expect(task.append({ kind: 'finish' })).toBe(false);
    expect(task.append({ kind: 'flush' })).toBe(false);
    expect(task.append({ kind: 'text', text: 'late' }, 4)).toBe(false);
    expect(task.finishRequested).toBe(true);
    expect(task.charactersSent).toBe(9);
    expect(task.textMessages).toBe(2);
    const kinds: string[] = [];
    for (let entry = task.takeNext(); entry; entry = task.takeNext()) kinds.push(entry.kind);
    expect(kinds).toEqual(['text', 'flush', 'text', 'finish']);
    expect(task.takeNext()).toBeUndefined();
    expect(task.metrics()).toMatchObject({ outcome: 'running', charactersSent: 9, attempts: 1 });
    // A retry replays all of it, the finish last.
    task.resetForRetry('connection', 0);
    const replayed: string[] = [];
    for (let entry = task.takeNext(); entry; entry = task.takeNext()) replayed.push(entry.kind);
    expect(replayed).toEqual(['text', 'flush', 'text', 'finish']);
  });

  it('sends a finish requested before any text, and text appended while the first went out', () => {
    const finishOnly = new Task(false);
    finishOnly.append({ kind: 'finish' });
    expect(finishOnly.takeNext()).toEqual({ kind: 'finish' });
    expect(finishOnly.takeNext()).toBeUndefined();
    const streaming = new Task(false);
    streaming.append({ kind: 'text', text: 'a' }, 1);
    expect(streaming.takeNext()).toEqual({ kind: 'text', text: 'a' });
    expect(streaming.takeNext()).toBeUndefined();
    streaming.append({ kind: 'text', text: 'b' }, 1);
    streaming.append({ kind: 'finish' });
    expect(streaming.takeNext()).toEqual({ kind: 'text', text: 'b' });
    expect(streaming.takeNext()).toEqual({ kind: 'finish' });
    expect(streaming.takeNext()).toBeUndefined();
  });

  it('starts a retry over in one step: new id, next attempt, script replayed, back-off set', async () => {
    const task = new Task(false);
    task.append({ kind: 'text', text: 'One.' }, 4);
    task.takeNext();
    task.setPumping(true);
    const firstId = task.id;
    const firstStarted = task.whenStarted;
    const before = performance.now();
    task.resetForRetry('connection', 1_000);
    expect(task.id).not.toBe(firstId);
    expect(task.id).toMatch(/^[0-9a-f]{32}$/);
    expect(task.attempt).toBe(2);
    expect(task.retries('connection')).toBe(1);
    expect(task.retries('throttling')).toBe(0);
    expect(task.phase).toBe('starting');
    expect(task.isPumping).toBe(false);
    expect(task.sentRunTask).toBe(false);
    expect(task.connection).toBeUndefined();
    expect(task.notBefore).toBeGreaterThanOrEqual(before + 1_000);
    expect(task.waitingSince).toBe(task.notBefore);
    expect(task.takeNext()).toEqual({ kind: 'text', text: 'One.' });
    // Waiters on the old attempt's task-started go on; the new attempt's is pending.
    expect(await settled(firstStarted)).toBe(true);
    expect(await settled(task.whenStarted)).toBe(false);
    task.resetForRetry('throttling', 0);
    expect(task.retries('throttling')).toBe(1);
    expect(task.metrics().attempts).toBe(3);
  });

  it('records audio: collects it, reports backpressure from the sink, and hands it over once', () => {
    const task = new Task(true);
    const sunk: Buffer[] = [];
    task.setSink((chunk) => sunk.push(chunk) < 2);
    expect(task.recordAudio(Buffer.from('ab'))).toBe(true);
    expect(task.recordAudio(Buffer.from('cde'))).toBe(false);
    expect(sunk.map(String)).toEqual(['ab', 'cde']);
    expect(task.audioFrames).toBe(2);
    expect(task.audioBytes).toBe(5);
    expect(task.metrics().firstPackageDelayMs).toBeGreaterThanOrEqual(0);
    expect(task.takeAudio()?.toString()).toBe('abcde');
    expect(task.takeAudio()?.length).toBe(0);
    expect(new Task(false).takeAudio()).toBeNull();
  });

  it('moves through started, finishing and cancelling; only the first open and watchdog are claimed', () => {
    const task = new Task(false);
    task.markStarted();
    expect(task.phase).toBe('started');
    expect(task.claimOpenNotification()).toBe(true);
    expect(task.claimOpenNotification()).toBe(false);
    expect(task.claimWatchdog()).toBe(true);
    expect(task.claimWatchdog()).toBe(false);
    task.markFinishing();
    expect(task.phase).toBe('finishing');
    expect(task.canSend).toBe(true);
    task.requestCancel();
    task.markCancelling();
    expect(task.cancelRequested).toBe(true);
    expect(task.isActive).toBe(true);
    expect(task.canSend).toBe(false);
  });

  it('ends: clears its timers, runs its cleanups, aborts its signal and drops uncollected audio', async () => {
    const task = new Task(true);
    const signal = task.signal;
    const before = activeTimeouts();
    task.addTimer(setTimeout(() => undefined, 60_000));
    task.addTimer(setTimeout(() => undefined, 60_000));
    expect(activeTimeouts()).toBe(before + 2);
    let cleaned = 0;
    task.addCleanup(() => (cleaned += 1));
    task.recordAudio(Buffer.from('abc'));
    const error = new ConnectionError('gone');
    task.end('failed', error);
    expect(activeTimeouts()).toBe(before);
    expect(cleaned).toBe(1);
    expect(signal.aborted).toBe(true);
    expect(task.signal.aborted).toBe(true);
    expect(task.isActive).toBe(false);
    expect(task.canSend).toBe(false);
    expect(task.outcome).toBe('failed');
    expect(task.takeAudio()).toBeNull();
    // run-task never went out: whoever waited for it learns why.
    await expect(task.whenRunTaskSent).rejects.toBe(error);
    expect(await settled(task.whenStarted)).toBe(true);
    expect(task.metrics()).toMatchObject({ outcome: 'failed', audioBytes: 3, audioFrames: 1 });
    expect(task.metrics().totalMs).toBeGreaterThanOrEqual(0);
  });

  it('a cancelled task that never sent run-task rejects its waiters with AbortError', async () => {
    const task = new Task(false);
    task.end('cancelled', undefined);
    await expect(task.whenRunTaskSent).rejects.toBeInstanceOf(AbortError);
    expect(task.metrics().outcome).toBe('cancelled');
  });
});

describe('LastTask', () => {
  it('reports an ended task exactly as the task did, undefined figures included', () => {
    const last = new LastTask();
    const full: TaskMetrics = {
      taskId: 'a'.repeat(32),
      outcome: 'finished',
      connectMs: 12.5,
      taskStartedMs: 3.25,
      firstPackageDelayMs: 7.75,
      totalMs: 40.5,
      reusedConnection: false,
      openedConnection: true,
      attempts: 2,
      audioBytes: 12_800,
      audioFrames: 2,
      charactersSent: 6,
      billedCharacters: 6,
    };
    last.record(full);
    expect(last.metrics()).toEqual(full);
    expect(last).toMatchObject({ id: full.taskId, outcome: 'finished', firstPackageDelayMs: 7.75 });
    const sparse: TaskMetrics = {
      ...full,
      taskId: 'b'.repeat(32),
      outcome: 'cancelled',
      connectMs: undefined,
      taskStartedMs: undefined,
      firstPackageDelayMs: -1,
      totalMs: 1,
      reusedConnection: true,
      openedConnection: false,
      billedCharacters: undefined,
    };
    last.record(sparse);
    expect(last.metrics()).toEqual(sparse);
    expect(last.metrics()).not.toBe(last.metrics());
  });
});
