/**
 * `npm run soak`: the pool against the local server (in another process) for a bounded time, with
 * per-task faults at a given rate (fail at start, fail mid-stream, drop mid-stream, hang,
 * throttle, slow) and periodic server-wide events (kill every socket, an idle-close storm,
 * connections refused for a few seconds, and an outage: refused and killed at once). At the end
 * it checks that every task succeeded with exactly the server's audio or failed with a typed
 * error, that none hung and none was lost, that RSS grew less than 5 % after warm-up, and that
 * the server sees no socket after `shutdown()`; then it prints a summary and one line of JSON
 * and exits by itself (exit code 1 when a check failed, 2 when something kept it alive).
 *
 *   npm run soak -- [--minutes 10] [--seconds S] [--concurrency 200] [--fault-rate 0.05]
 *                   [--pool-size N] [--event-every 30] [--json-out file]
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DashScopeError } from '../src/errors/index.js';
import type { SynthesisParams } from '../src/params.js';
import { SpeechSynthesizerObjectPool } from '../src/pool/object-pool.js';
import { SpeechSynthesizer } from '../src/synthesizer/speech-synthesizer.js';
import { collectGarbage, sleep } from './lib/section.js';
import {
  BENCH_API_KEY,
  serverFault,
  serverStats,
  startServerProcess,
  type Endpoint,
} from './lib/server-process.js';
import {
  check,
  newLedger,
  recordFailure,
  summarize,
  summaryText,
  type SoakLedger,
  type SoakSettings,
} from './lib/soak-report.js';

const PARAMS: SynthesisParams = {
  model: 'cosyvoice-v3-flash',
  voice: 'longanyang',
  format: { format: 'pcm', sampleRate: 16000 },
};
/** The texts tasks draw from; each has one reference audio (the synthetic engine is deterministic). */
const TEXTS = [
  'Hello.',
  'Pooled connections make the first packet arrive sooner.',
  '你好，世界。今天天气很好。',
  'A longer text, so that some tasks stream several frames. It has two sentences, and a third one!',
  '连接池让首包更快到达。',
  'Short, then 一点中文。',
];
const TASK_FAULTS = ['fail-at-start', 'fail-mid-stream', 'drop-mid-stream', 'hang', 'throttle', 'slow'];
const SERVER_EVENTS = ['kill-all', 'idle-close-storm', 'outage', 'refuse-connections'] as const;
/** Pool-level refusals after which a worker pauses a little, as a caller would. */
const POOL_CODES = new Set([
  'DS_ERR_POOL_UNAVAILABLE',
  'DS_ERR_POOL_ACQUIRE_TIMEOUT',
  'DS_ERR_POOL_QUEUE_FULL',
]);
const RESPONSE_TIMEOUT_MS = 10_000;
const TASK_TIMEOUT_MS = 60_000;
/** After the deadline, how long running tasks may take before they count as hung. */
const GRACE_MS = 30_000;
const MB = 1024 * 1024;
/** A server busy with hundreds of tasks can take many seconds to answer its control channel. */
const CONTROL_TIMEOUT_MS = 60_000;

function parseSettings(): SoakSettings & { jsonOut: string | undefined } {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      seconds: { type: 'string' },
      concurrency: { type: 'string', default: '200' },
      'fault-rate': { type: 'string', default: '0.05' },
      'pool-size': { type: 'string' },
      'event-every': { type: 'string', default: '30' },
      'json-out': { type: 'string' },
    },
  });
  const number = (name: string, text: string, min: number, max: number): number => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new Error(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(text)}`);
    }
    return value;
  };
  const durationMs =
    values.seconds === undefined
      ? number('minutes', values.minutes, 0.1, 120) * 60_000
      : number('seconds', values.seconds, 5, 7_200) * 1_000;
  const concurrency = Math.round(number('concurrency', values.concurrency, 1, 2_000));
  const poolSize =
    values['pool-size'] === undefined
      ? Math.ceil(concurrency * 1.25)
      : Math.round(number('pool-size', values['pool-size'], 1, 10_000));
  return {
    durationMs,
    concurrency,
    poolSize,
    faultRate: number('fault-rate', values['fault-rate'], 0, 1),
    eventEveryMs: number('event-every', values['event-every'], 1, 3_600) * 1_000,
    // RSS is taken as the baseline after 2 minutes (a fifth of shorter runs).
    warmUpMs: Math.min(120_000, durationMs / 5),
    jsonOut: values['json-out'],
  };
}

const sha256 = (audio: Buffer): string => createHash('sha256').update(audio).digest('hex');

/** The audio of each text, made once with no fault armed: what every successful task must match. */
async function referenceAudio(endpoint: Endpoint): Promise<string[]> {
  const synth = new SpeechSynthesizer({ url: endpoint.url, apiKey: BENCH_API_KEY, ...PARAMS });
  try {
    const hashes: string[] = [];
    for (const text of TEXTS) hashes.push(sha256(await synth.call(text)));
    return hashes;
  } finally {
    await synth.close();
  }
}

/** Plays the server-wide event of round `index`. */
async function serverEvent(endpoint: Endpoint, index: number, ledger: SoakLedger): Promise<void> {
  const kind = SERVER_EVENTS[index % SERVER_EVENTS.length]!;
  ledger.events[kind] = (ledger.events[kind] ?? 0) + 1;
  if (kind === 'kill-all') await serverFault(endpoint, { op: 'killAllConnections' }, CONTROL_TIMEOUT_MS);
  else if (kind === 'idle-close-storm')
    await serverFault(endpoint, { op: 'closeIdleConnections' }, CONTROL_TIMEOUT_MS);
  else if (kind === 'refuse-connections')
    await serverFault(endpoint, { op: 'refuseConnections', durationMs: 3_000 }, CONTROL_TIMEOUT_MS);
  // One call: once connections are refused, a second control request might be refused too.
  else
    await serverFault(
      endpoint,
      { op: 'refuseConnections', durationMs: 3_000, killExisting: true },
      CONTROL_TIMEOUT_MS,
    );
}

function sampleRss(ledger: SoakLedger, startedAt: number): number {
  const { rss, heapUsed } = process.memoryUsage();
  const sample = { atMs: performance.now() - startedAt, rssMB: rss / MB, heapUsedMB: heapUsed / MB };
  ledger.rss.push(sample);
  return sample.rssMB;
}

async function main(): Promise<void> {
  const settings = parseSettings();
  const ledger = newLedger();
  const server = await startServerProcess([{ name: 'soak', tls: false, rttMs: 0, idleTimeoutMs: 60_000 }]);
  const endpoint = server.endpoints.soak!;
  const log = (message: string): void => void process.stderr.write(`[soak ${elapsedS()} s] ${message}\n`);
  let startedAt = performance.now();
  const elapsedS = (): number => Math.round((performance.now() - startedAt) / 1000);
  let pool: SpeechSynthesizerObjectPool | undefined;
  let stopping = false;
  /** A control-channel call that a loaded server may answer too late: logged and skipped then. */
  const control = async <T>(what: string, call: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call();
    } catch (error) {
      ledger.controlFailures += 1;
      log(`${what} skipped: ${(error as Error).message}`);
      return undefined;
    }
  };
  try {
    const references = await referenceAudio(endpoint);
    for (const fault of TASK_FAULTS) {
      await serverFault(endpoint, {
        op: 'setTaskFaultRate',
        fault,
        probability: settings.faultRate / TASK_FAULTS.length,
      });
    }
    pool = new SpeechSynthesizerObjectPool({
      url: endpoint.url,
      apiKey: BENCH_API_KEY,
      maxSize: settings.poolSize,
      connectConcurrency: 64,
      responseTimeoutMs: RESPONSE_TIMEOUT_MS,
      reconnectMaxDelayMs: 2_000,
    });
    await pool.ready({ timeoutMs: 120_000 });
    log(
      `pool of ${settings.poolSize} ready; ${settings.concurrency} workers for ${settings.durationMs / 1000} s`,
    );
    startedAt = performance.now();
    const deadline = startedAt + settings.durationMs;
    /** Succeeded tasks waiting for the server's byte count: task id → bytes received. */
    const toVerify = new Map<string, number>();
    const inFlight = new Set<number>();
    let next = 0;

    const worker = async (): Promise<void> => {
      while (performance.now() < deadline && !stopping) {
        const index = next++;
        const text = TEXTS[index % TEXTS.length]!;
        ledger.started += 1;
        inFlight.add(index);
        let pause = false;
        try {
          const { audio, taskId } = await pool!.withSynthesizer(PARAMS, async (synth) => ({
            audio: await synth.call(text, { timeoutMs: TASK_TIMEOUT_MS }),
            taskId: synth.getLastRequestId()!,
          }));
          ledger.succeeded += 1;
          if (sha256(audio) !== references[index % TEXTS.length]) ledger.wrongAudio += 1;
          toVerify.set(taskId, audio.length);
        } catch (error) {
          const code = recordFailure(ledger, error);
          pause = code !== undefined && POOL_CODES.has(code);
        } finally {
          inFlight.delete(index);
        }
        if (pause) await sleep(100 + Math.random() * 200);
      }
    };

    const verify = async (): Promise<void> => {
      // Only tasks that ended before the server's snapshot: later ones may be counted half.
      const batch = [...toVerify];
      toVerify.clear();
      const stats = await control('checking audio against the server', () =>
        serverStats(endpoint, CONTROL_TIMEOUT_MS),
      );
      if (!stats) {
        for (const [taskId, bytes] of batch) toVerify.set(taskId, bytes);
        return;
      }
      const sentByTask = (stats as unknown as { bytesSentByTask: Record<string, number> }).bytesSentByTask;
      for (const [taskId, bytes] of batch) {
        const sent = sentByTask[taskId];
        if (sent === undefined) continue; // beyond the server's window of recent tasks
        if (sent === bytes) ledger.serverVerified += 1;
        else {
          ledger.serverMismatch += 1;
          log(`audio of task ${taskId}: ${bytes} bytes received, the server sent ${sent}`);
        }
      }
    };

    let eventIndex = 0;
    let lastEventAt = performance.now();
    let warmedUp = false;
    const monitor = async (): Promise<void> => {
      while (performance.now() < deadline) {
        await sleep(Math.min(5_000, settings.eventEveryMs, Math.max(0, deadline - performance.now())));
        await verify();
        const rss = sampleRss(ledger, startedAt);
        if (!warmedUp && performance.now() - startedAt >= settings.warmUpMs) {
          warmedUp = true;
          await collectGarbage();
          ledger.rssAtWarmUpMB = sampleRss(ledger, startedAt);
          log(`warm-up over: RSS ${ledger.rssAtWarmUpMB.toFixed(1)} MB`);
        }
        // No event in the last seconds: the pool gets to recover before the final checks.
        if (
          performance.now() - lastEventAt >= settings.eventEveryMs &&
          performance.now() < deadline - 4_000
        ) {
          lastEventAt = performance.now();
          const index = eventIndex++;
          await control('a server-wide event', () => serverEvent(endpoint, index, ledger));
        }
        const done = ledger.succeeded + ledger.failed;
        log(`${done} tasks (${ledger.failed} failed), ${inFlight.size} running, RSS ${rss.toFixed(1)} MB`);
      }
    };

    const workers = Promise.all(Array.from({ length: settings.concurrency }, () => worker()));
    await monitor();
    let guard: NodeJS.Timeout | undefined;
    await Promise.race([workers, new Promise<void>((resolve) => (guard = setTimeout(resolve, GRACE_MS)))]);
    clearTimeout(guard);
    ledger.elapsedMs = performance.now() - startedAt;
    ledger.hung = inFlight.size;
    await verify();
    await collectGarbage();
    ledger.rssAtEndMB = sampleRss(ledger, startedAt);
    ledger.serverTasks = (await control('the server counts', () => serverStats(endpoint, CONTROL_TIMEOUT_MS)))
      ?.tasks;

    await pool.shutdown({ graceMs: 5_000 });
    const until = performance.now() + 5_000;
    do {
      ledger.socketsAfterShutdown = (
        await control('counting sockets', () => serverStats(endpoint, CONTROL_TIMEOUT_MS))
      )?.openConnections;
      if (ledger.socketsAfterShutdown === 0) break;
      await sleep(100);
    } while (performance.now() < until);
  } finally {
    // On every path, also a failed one: no worker starts another task, no socket stays open.
    stopping = true;
    await pool?.shutdown({ graceMs: 0 });
    await server.stop();
  }

  const summary = summarize(ledger, settings, check(ledger, settings));
  process.stdout.write(`${summaryText(summary)}\n${JSON.stringify(summary)}\n`);
  if (settings.jsonOut) writeFileSync(settings.jsonOut, `${JSON.stringify(summary, null, 2)}\n`);
  process.exitCode = summary.pass ? 0 : 1;
  // Nothing of the library may keep the process alive now. This timer does not either; if it
  // fires, something else did.
  setTimeout(() => {
    process.stderr.write(
      `soak: the process did not exit by itself; still active: ${process.getActiveResourcesInfo().join(', ')}\n`,
    );
    process.exit(2);
  }, 20_000).unref();
}

main().catch((error: unknown) => {
  const text =
    error instanceof DashScopeError ? error.message : error instanceof Error ? error.stack : String(error);
  process.stderr.write(`soak failed: ${text}\n`);
  process.exitCode = 1;
});
