/**
 * The `dashscope-tts` command line, run as a real process.
 *
 * It runs `dist/cli.js` when that build is at least as new as the sources (as after
 * `npm run build`, which `npm test` does first). Otherwise it runs `src/cli.ts` through tsx
 * rather than rebuilding the shared `dist/` under other work.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { synthesize, TestClient } from './server/helpers.js';

const root = resolve(import.meta.dirname, '..');
let workDir: string;
const children: ChildProcessWithoutNullStreams[] = [];

/** How to start the command line: node's arguments before the command's own. */
let cliArgs = [join(root, 'dist', 'cli.js')];

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'dashscope-cli-test-'));
  const built = cliArgs[0]!;
  const fresh = existsSync(built) && statSync(built).mtimeMs >= newestSource(join(root, 'src'));
  // The child runs in a temporary directory, so tsx is named by its absolute URL.
  const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  if (!fresh) cliArgs = ['--import', tsx, join(root, 'src', 'cli.ts')];
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [...cliArgs, ...args], {
    cwd: workDir,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts `serve` and resolves with the process and the first stdout line. */
function startServe(
  args: string[],
): Promise<{ child: ChildProcessWithoutNullStreams; url: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [...cliArgs, 'serve', '--quiet', ...args], { cwd: workDir });
  children.push(child);
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  return new Promise((resolveStart, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (url) => resolveStart({ child, url, exited }));
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

function openSocket(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
  return new Promise((resolveOpen, reject) => {
    const ws = new WebSocket(url, {
      headers: { Authorization: 'Bearer sk-cli' },
      perMessageDeflate: false,
      ...options,
    });
    ws.once('open', () => resolveOpen(new TestClient(ws)));
    ws.once('error', reject);
  });
}

describe('help and usage errors', () => {
  it('prints help for the program and each command with exit code 0', () => {
    for (const args of [['--help'], ['serve', '--help'], ['say', '--help']]) {
      const result = run(args);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^Usage: dashscope-tts/);
    }
    expect(run(['say', '-h']).stdout).toContain('--sample-rate');
  });

  it('exits with 2 and a clear message for unknown flags, bad values and unknown commands', () => {
    const cases: Array<[string[], RegExp]> = [
      [['serve', '--bogus'], /Unknown option '--bogus'/],
      [['serve', '--port', 'abc'], /invalid --port "abc"/],
      [['serve', '--engine', 'flite'], /invalid --engine "flite"/],
      [['serve', '--rtf', 'fast'], /invalid --rtf "fast"/],
      [['say', 'hi'], /missing -o\/--output/],
      [['say', 'hi', '-o', 'out.flac'], /cannot tell the format/],
      [['say', 'hi', '-o', 'out.wav', '--sample-rate', '12345'], /invalid --sample-rate/],
      [['dance'], /unknown command "dance"/],
      [[], /Usage: dashscope-tts <command>/],
    ];
    for (const [args, message] of cases) {
      const result = run(args);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });
});

describe('serve', () => {
  it('prints a ws URL first that works, and stops cleanly on SIGTERM', async () => {
    const { child, url, exited } = await startServe(['--engine', 'synthetic', '--key', 'sk-cli']);
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/api-ws\/v1\/inference$/);
    const client = await openSocket(url);
    const { end } = await synthesize(client, ['命令行。']);
    expect(end.header.event).toBe('task-finished');
    expect(client.audio().length).toBeGreaterThan(1000);
    await expect(openSocket(url, { headers: { Authorization: 'Bearer wrong' } })).rejects.toThrow(/401/);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await client.closed;
  });

  it('with --tls serves wss:// with a certificate made at run time', async () => {
    const { child, url, exited } = await startServe(['--engine', 'synthetic', '--tls']);
    expect(url).toMatch(/^wss:\/\//);
    const client = await openSocket(url, { rejectUnauthorized: false });
    const { end } = await synthesize(client, ['Secure.']);
    expect(end.header.event).toBe('task-finished');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});

describe('say', () => {
  it('writes a playable WAV with exact RIFF sizes through the embedded server', () => {
    const result = run(['say', 'Hello from the command line.', '-o', 'hello.wav', '--engine', 'synthetic']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/wrote hello\.wav/);
    const wav = readFileSync(join(workDir, 'hello.wav'));
    expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.subarray(8, 12).toString('latin1')).toBe('WAVE');
    expect(wav.readUInt32LE(24)).toBe(22050);
    expect(wav.readUInt32LE(40)).toBe(wav.length - 44);
    const seconds = (wav.length - 44) / 2 / 22050;
    expect(seconds).toBeGreaterThan(0.8);
    let peak = 0;
    for (let i = 44; i + 1 < wav.length; i += 2) peak = Math.max(peak, Math.abs(wav.readInt16LE(i)));
    expect(peak).toBeGreaterThan(3000);
  });

  it('takes the format from the extension (mp3) and speaks Chinese with espeak', () => {
    const result = run([
      'say',
      '你好，世界。',
      '-o',
      'hello.mp3',
      '--engine',
      'espeak',
      '--sample-rate',
      '24000',
    ]);
    expect(result.status, result.stderr).toBe(0);
    const mp3 = readFileSync(join(workDir, 'hello.mp3'));
    expect(mp3[0]).toBe(0xff);
    expect(mp3[1]! & 0xe0).toBe(0xe0);
    expect(mp3.length).toBeGreaterThan(2000);
  });

  it('fails with exit code 1 and the reason when the server is unreachable', () => {
    const result = run([
      'say',
      'hi',
      '-o',
      'x.wav',
      '--url',
      'ws://127.0.0.1:9/api-ws/v1/inference',
      '--key',
      'k',
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^dashscope-tts: /);
  });
});
