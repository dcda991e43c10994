/** The local server's account-wide limits: excess run-tasks fail like the service's throttling. */
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, SpeechSynthesizer, TaskFailedError } from '../../src/index.js';
import { startLocalServer, type LocalServer } from '../../src/server/index.js';

const PARAMS = { model: 'cosyvoice-v3-flash', voice: 'longanyang' } as const;
let server: LocalServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

function synthesizer(url: string): SpeechSynthesizer {
  return new SpeechSynthesizer({ url, apiKey: 'sk', ...PARAMS });
}

describe('account limits', () => {
  it('throttles the task over maxConcurrentTasks with Throttling.RateQuota, across connections', async () => {
    server = await startLocalServer({
      engine: 'synthetic',
      accountLimits: { maxConcurrentTasks: 1 },
      pacing: { firstAudioDelayMs: 300 },
    });
    const [a, b] = [synthesizer(server.url), synthesizer(server.url)];
    try {
      await Promise.all([a.connect(), b.connect()]);
      const first = a.call('First.');
      await new Promise<void>((resolve) => server!.events.once('task-started', () => resolve()));
      const second = await b.call('Second.').catch((error: unknown) => error);
      expect(second).toBeInstanceOf(TaskFailedError);
      expect((second as TaskFailedError).errorCode).toBe('Throttling.RateQuota');
      expect((second as TaskFailedError).retryable).toBe(true);
      expect((await first)!.length).toBeGreaterThan(0);
      expect(server.stats().account).toMatchObject({
        maxConcurrentTasks: 1,
        peakConcurrentTasks: 1,
        activeTasks: 0,
        throttled: { concurrency: 1, rate: 0, total: 1 },
      });
      // The control channel carries the same figures, for servers in another process.
      const response = await fetch(`${server.httpBaseUrl.replace('/api/v1', '')}/__local/stats`);
      const json = (await response.json()) as { account: { throttled: { total: number } } };
      expect(json.account.throttled.total).toBe(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('throttles starts over maxTasksPerSecond in any one-second window', async () => {
    server = await startLocalServer({ engine: 'synthetic', accountLimits: { maxTasksPerSecond: 2 } });
    const synth = synthesizer(server.url);
    try {
      const outcomes: string[] = [];
      for (let i = 0; i < 3; i++) {
        outcomes.push(
          await synth.call('Quick.').then(
            () => 'ok',
            (error: unknown) => (error as TaskFailedError).errorCode,
          ),
        );
      }
      // Three starts within well under a second on a quick local server: the third is over.
      const account = server.stats().account;
      expect(account.peakTasksPerSecond).toBeLessThanOrEqual(2);
      expect(outcomes.filter((o) => o === 'ok').length).toBe(3 - account.throttled.rate);
      expect(outcomes.filter((o) => o === 'Throttling.RateQuota').length).toBe(account.throttled.rate);
    } finally {
      await synth.close();
    }
  });

  it('names a bad limit', async () => {
    await expect(startLocalServer({ accountLimits: { maxConcurrentTasks: 0 } })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
  });
});
