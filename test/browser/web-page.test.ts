/**
 * The web example (examples/web/) used the way a person uses it: in Debian's Chromium, against
 * the embedded server sending audio at the speed it plays (realTimeFactor 1), so that a speech
 * is still arriving while it is heard and a Stop lands mid-sentence.
 *
 * Page functions are passed as strings: the test files have no DOM types, and the page never
 * sees the test's module helpers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebApp, type WebApp } from '../../examples/web/app.js';
import { launchChromium } from './chromium.js';

const ARTIFACTS = 'test-artifacts';
const WAIT = { timeout: 90_000 };
const SHORT = 'Hello from the pool. This speech is short.';
const LONG = Array.from(
  { length: 30 },
  (_, i) => `Sentence ${i + 1} of a long speech that is stopped long before it ends.`,
).join(' ');
const BOTH = Array.from(
  { length: 6 },
  (_, i) => `Two pages speak at once, and this is sentence ${i + 1}.`,
).join(' ');

interface TaskEvent {
  connectionId: string;
  taskId: string;
}

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
}, 60_000);

/** A web app on the embedded server, with the server's task events recorded in order. */
async function startApp(poolSize: number) {
  const app = await startWebApp({
    poolSize,
    acquireTimeoutMs: 2_000,
    // Finish-task waits for every sentence, never for silence: a Stop always finds the task running.
    quietMs: 600_000,
    local: { pacing: { realTimeFactor: 1 } },
  });
  const events: Array<{ kind: string } & TaskEvent> = [];
  for (const kind of ['task-started', 'task-finished', 'task-cancelled', 'task-failed', 'disconnect']) {
    app.local!.events.on(kind, (event: TaskEvent) => events.push({ kind, ...event }));
  }
  const connectionOf = (taskId: string) =>
    events.find((e) => e.kind === 'task-started' && e.taskId === taskId)?.connectionId;
  const index = (kind: string, taskId: string) =>
    events.findIndex((e) => e.kind === kind && e.taskId === taskId);
  return { app, events, connectionOf, index };
}

async function until(check: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function openPage(context: BrowserContext, app: WebApp): Promise<Page> {
  const page = await context.newPage();
  await page.goto(app.url);
  await page.waitForSelector('body[data-state="idle"]', WAIT);
  return page;
}

async function speak(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.click('#speak');
}

const states = (...names: string[]) => names.map((name) => `body[data-state="${name}"]`).join(', ');
const currentTime = (page: Page) => page.evaluate<number>('document.getElementById("player").currentTime');
const dataValue = async (page: Page, id: string) =>
  Number(
    await page.evaluate<string | undefined>(`document.getElementById(${JSON.stringify(id)}).dataset.value`),
  );

/** Waits until the player's position is past `seconds`. */
async function playedPast(page: Page, seconds: number): Promise<void> {
  await page.waitForFunction(`document.getElementById("player").currentTime > ${seconds}`, undefined, WAIT);
}

/** Waits for the page's error message and returns it. */
async function errorShown(page: Page): Promise<string> {
  await page.waitForSelector('#error:not([hidden])', WAIT);
  await page.waitForSelector(states('failed'), WAIT);
  return (await page.textContent('#error')) ?? '';
}

describe('the web page, one pooled connection', () => {
  let started: Awaited<ReturnType<typeof startApp>>;
  let app: WebApp;
  let context: BrowserContext;
  const poolBack = () =>
    until(() => app.pool.stats().available === 1 && app.pool.stats().borrowed === 0, 'the synthesizer back');

  beforeAll(async () => {
    started = await startApp(1);
    app = started.app;
    context = await browser.newContext();
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await app?.close();
  }, 60_000);

  it('plays typed text while it streams, with exactly the bytes the server sent, and shows the timings', async () => {
    const page = await openPage(context, app);
    const figures = [];
    for (let run = 0; run < 5; run++) {
      await speak(page, SHORT);
      await playedPast(page, 0.2);
      const position = await currentTime(page);
      await playedPast(page, position + 0.5);
      await page.waitForSelector(states('received', 'ended'), WAIT);
      const taskId = (await page.textContent('#task-id'))!;
      const bytes = await dataValue(page, 'bytes');
      expect(bytes).toBeGreaterThan(0);
      expect(bytes).toBe(app.local!.stats().bytesSentByTask.get(taskId));
      expect(await page.isHidden('#error')).toBe(true);
      figures.push({
        taskId,
        bytes,
        browserFirstPacketMs: Math.round(await dataValue(page, 'first-packet')),
        synthesizerFirstPacketMs: await dataValue(page, 'first-packet-server'),
        endToEndMs: Math.round(await dataValue(page, 'end-to-end')),
      });
    }
    for (const figure of figures) {
      expect(figure.browserFirstPacketMs).toBeGreaterThan(0);
      expect(figure.endToEndMs).toBeGreaterThanOrEqual(figure.browserFirstPacketMs);
    }
    await page.waitForFunction('document.querySelectorAll("#chart rect").length >= 5', undefined, WAIT);
    writeFileSync(join(ARTIFACTS, 'web-first-packet.json'), `${JSON.stringify(figures, null, 2)}\n`);
    console.log(
      `first packet in the browser (ms): ${figures.map((f) => f.browserFirstPacketMs).join(', ')}; ` +
        `at the synthesizer: ${figures.map((f) => f.synthesizerFirstPacketMs).join(', ')}`,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'web-page.png'), fullPage: true });
    await page.close();
  }, 240_000);

  it('Stop mid-sentence cancels the task on the server, and the connection serves the next task', async () => {
    await poolBack();
    const page = await openPage(context, app);
    const cancelledBefore = app.local!.stats().tasks.cancelled;
    const keptBefore = app.pool.metrics().returns.kept;
    await speak(page, LONG);
    await playedPast(page, 0.3);
    // Heard while the rest is still on its way (30 sentences at the speed they play).
    expect(await page.getAttribute('body', 'data-state')).toBe('playing');
    const taskId = (await page.textContent('#task-id'))!;
    await page.click('#stop');
    await page.waitForFunction(
      'document.getElementById("status").textContent.includes("cancelled on the server")',
      undefined,
      WAIT,
    );
    expect(started.index('task-cancelled', taskId)).toBeGreaterThanOrEqual(0);
    expect(started.index('task-finished', taskId)).toBe(-1);
    expect(app.local!.stats().tasks.cancelled).toBe(cancelledBefore + 1);
    await poolBack();
    expect(app.pool.metrics().returns.kept).toBe(keptBefore + 1);

    const connection = started.connectionOf(taskId)!;
    await speak(page, SHORT);
    await page.waitForSelector(states('received', 'ended'), WAIT);
    const next = (await page.textContent('#task-id'))!;
    expect(next).not.toBe(taskId);
    expect(started.connectionOf(next)).toBe(connection);
    expect(started.events.some((e) => e.kind === 'disconnect' && e.connectionId === connection)).toBe(false);
    await page.close();
  }, 240_000);

  it('a page closed mid-sentence cancels its task and returns the synthesizer', async () => {
    await poolBack();
    const page = await openPage(context, app);
    const keptBefore = app.pool.metrics().returns.kept;
    await speak(page, LONG);
    await playedPast(page, 0.3);
    const taskId = (await page.textContent('#task-id'))!;
    await page.close();
    await until(() => started.index('task-cancelled', taskId) >= 0, 'the task to be cancelled on the server');
    await poolBack();
    expect(app.pool.metrics().returns.kept).toBe(keptBefore + 1);
    const connection = started.connectionOf(taskId)!;
    expect(started.events.some((e) => e.kind === 'disconnect' && e.connectionId === connection)).toBe(false);
  }, 240_000);

  it('says in words when the pool is exhausted', async () => {
    await poolBack();
    const speaking = await openPage(context, app);
    const waiting = await openPage(context, app);
    await speak(speaking, LONG);
    await playedPast(speaking, 0.3);
    await speak(waiting, SHORT);
    expect(await errorShown(waiting)).toContain('busy');
    await speaking.click('#stop');
    await speaking.waitForSelector(states('stopped'), WAIT);
    await Promise.all([speaking.close(), waiting.close()]);
  }, 240_000);

  it('says in words that a voice does not exist', async () => {
    await poolBack();
    const page = await openPage(context, app);
    await page.fill('#text', SHORT);
    await page.selectOption('#voice', '__other__');
    await page.fill('#custom-voice', 'nosuchvoice');
    await page.click('#speak');
    expect(await errorShown(page)).toContain('There is no voice called “nosuchvoice”');
    // The player is emptied (nothing to play), and the words above it say why.
    expect(await page.evaluate<number>('document.getElementById("player").readyState')).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'web-page-unknown-voice.png'), fullPage: true });
    await page.close();
  }, 120_000);

  it('says in words that a text is too long, without starting a task', async () => {
    const page = await openPage(context, app);
    const startedBefore = app.local!.stats().tasks.started;
    await page.fill('#text', 'a'.repeat(20_001));
    await page.click('#speak');
    expect(await errorShown(page)).toContain('20001 characters long');
    expect(app.local!.stats().tasks.started).toBe(startedBefore);
    await page.close();
  }, 120_000);

  it('says in words when the speech service or the web server is down', async () => {
    await poolBack();
    const page = await openPage(context, app);
    app.local!.faults.refuseUpgrades(503);
    app.local!.faults.killAllConnections();
    await speak(page, SHORT);
    expect(await errorShown(page)).toContain('cannot be reached');

    await app.close();
    await page.waitForSelector('#live.down', WAIT);
    await page.click('#speak');
    await page.waitForFunction(
      'document.getElementById("error").textContent.includes("is not reachable")',
      undefined,
      WAIT,
    );
    await page.close();
  }, 120_000);
});

describe('the web page, two tabs', () => {
  it('two pages speak at once on two pooled connections', async () => {
    const { app, connectionOf, index } = await startApp(2);
    const context = await browser.newContext();
    try {
      const pages = [await openPage(context, app), await openPage(context, app)];
      for (const page of pages) await speak(page, BOTH);
      for (const page of pages) await playedPast(page, 0.3);
      for (const page of pages) await page.waitForSelector(states('received', 'ended'), WAIT);
      const taskIds = await Promise.all(pages.map(async (page) => (await page.textContent('#task-id'))!));
      expect(new Set(taskIds).size).toBe(2);
      for (const [i, page] of pages.entries()) {
        expect(await dataValue(page, 'bytes')).toBe(app.local!.stats().bytesSentByTask.get(taskIds[i]!));
      }
      // They overlapped on the server: each started before the other finished.
      const [a, b] = taskIds as [string, string];
      expect(index('task-started', a)).toBeLessThan(index('task-finished', b));
      expect(index('task-started', b)).toBeLessThan(index('task-finished', a));
      expect(connectionOf(a)).not.toBe(connectionOf(b));
      expect(app.pool.metrics().utilization.peak).toBe(1);
    } finally {
      await context.close();
      await app.close();
    }
  }, 240_000);
});
