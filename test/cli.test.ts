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

/** Loaded first, it hides the optional packages as in a consumer project without them. */
const withoutOptional = [
  '--import',
  pathToFileURL(join(root, 'test', 'fixtures', 'without-optional.mjs')).href,
];

function run(
  args: string[],
  options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {},
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [...(options.nodeArgs ?? []), ...cliArgs, ...args], {
    cwd: workDir,
    encoding: 'utf8',
    timeout: 60_000,
    env: options.env ?? process.env,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts `serve` and resolves with the process and the first stdout line. */
interface Served {
  child: ChildProcessWithoutNullStreams;
  url: string;
  exited: Promise<number | null>;
  /** Everything written to stderr so far. */
  stderr: () => string;
}

/** Starts `serve` (quiet unless `quiet` is false) and resolves with the first stdout line. */
function startServe(args: string[], options: { quiet?: boolean; nodeArgs?: string[] } = {}): Promise<Served> {
  const quiet = options.quiet === false ? [] : ['--quiet'];
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), ...cliArgs, 'serve', ...quiet, ...args],
    {
      cwd: workDir,
    },
  );
  children.push(child);
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolveStart, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (url) => resolveStart({ child, url, exited, stderr: () => stderr }));
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

/** Resolves once `served` has written a stderr line matching `pattern`. */
async function stderrLine(served: Served, pattern: RegExp): Promise<RegExpMatchArray> {
  for (;;) {
    const match = served.stderr().match(pattern);
    if (match) return match;
    if (served.child.exitCode !== null) throw new Error(`serve exited: ${served.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
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
    for (const args of [['--help'], ['serve', '--help'], ['say', '--help'], ['voices', '--help']]) {
      const result = run(args);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^Usage: dashscope-tts/);
    }
    expect(run(['say', '-h']).stdout).toContain('--sample-rate');
  });

  it('prints the package version for --version and -v', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const result = run([flag]);
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(`${version}\n`);
    }
  });

  it('exits with 2 and a clear message for unknown flags, bad values and unknown commands', () => {
    const cases: Array<[string[], RegExp]> = [
      [['serve', '--bogus'], /Unknown option '--bogus'/],
      [['serve', '--port', 'abc'], /invalid --port "abc"/],
      [['serve', '--engine', 'flite'], /invalid --engine "flite"/],
      [['serve', '--rtf', 'fast'], /invalid --rtf "fast"/],
      [['say', 'hi'], /missing -o\/--output/],
      [['say', '-o', 'x.wav'], /missing the text to say/],
      [['say', '', '-o', 'x.wav'], /the text is empty/],
      [['say', '  ', '-o', 'x.wav'], /the text is empty/],
      [
        ['say', 'hi', '-o', 'x.wav', '--voice', 'nosuchvoice'],
        /does not know voice "nosuchvoice".*dashscope-tts voices/,
      ],
      [
        ['say', 'hi', '-o', 'x.wav', '--ca', 'missing.pem', '--url', 'wss://127.0.0.1:9/', '--key', 'k'],
        /cannot read --ca "missing.pem"/,
      ],
      [['serve', '--cert-out', 'c.pem'], /--cert-out needs --tls/],
      [['voices', 'extra'], /unexpected argument "extra"/],
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

  it('with --tls serves wss:// and writes its certificate, which say trusts with --ca; --insecure skips the check', async () => {
    const served = await startServe(['--engine', 'synthetic', '--tls', '--cert-out', 'local.pem']);
    expect(served.url).toMatch(/^wss:\/\//);
    const pem = readFileSync(join(workDir, 'local.pem'), 'utf8');
    expect(pem).toContain('BEGIN CERTIFICATE');
    expect(pem).not.toContain('PRIVATE KEY');
    const client = await openSocket(served.url, { ca: pem });
    const { end } = await synthesize(client, ['Secure.']);
    expect(end.header.event).toBe('task-finished');

    const trusted = run([
      'say',
      'Secure.',
      '-o',
      'ca.wav',
      '--url',
      served.url,
      '--key',
      'k',
      '--ca',
      'local.pem',
    ]);
    expect(trusted.status, trusted.stderr).toBe(0);
    expect(trusted.stdout).toMatch(/wrote ca\.wav .*model cosyvoice-v3-flash at wss:/);
    const insecure = run(['say', 'Secure.', '-o', 'in.wav', '--url', served.url, '--key', 'k', '--insecure']);
    expect(insecure.status, insecure.stderr).toBe(0);
    const untrusted = run(['say', 'Secure.', '-o', 'no.wav', '--url', served.url, '--key', 'k']);
    expect(untrusted.status).toBe(1);
    expect(untrusted.stderr).toMatch(/certificate/i);

    served.child.kill('SIGINT');
    expect(await served.exited).toBe(0);
  });

  it('says which engine and formats it serves with, and names the packages that are missing', async () => {
    const served = await startServe(['--engine', 'auto', '--no-warm-up'], {
      quiet: false,
      nodeArgs: withoutOptional,
    });
    await stderrLine(served, /^formats: .*$/m);
    const log = served.stderr();
    expect(log).toMatch(/synthetic voice .*npm install @echogarden\/espeak-ng-emscripten/);
    expect(log).toMatch(/^engine: synthetic voice/m);
    expect(log).toMatch(/mp3: not installed \(npm install wasm-media-encoders\)/);
    expect(log).toMatch(/opus: not installed \(npm install opusscript\)/);
    // A client asking for mp3 learns which package the server lacks.
    const client = await openSocket(served.url);
    const { end } = await synthesize(client, ['Hello.'], { format: 'mp3', sample_rate: 22050 });
    expect(end.header.event).toBe('task-failed');
    expect(end.header.error_message).toMatch(/npm install wasm-media-encoders/);
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
  });
});

describe('voices', () => {
  it("lists the local server's voices with language and gender, as a table or JSON", () => {
    const table = run(['voices']);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^longanyang\s+zh\s+male\s+en-us$/m);
    expect(table.stdout).toMatch(/^loongemma\s+en\s+female\s+en-gb$/m);
    expect(table.stdout).toMatch(/418/);
    const json = JSON.parse(run(['voices', '--json']).stdout) as Array<{ name: string; language: string }>;
    expect(json.length).toBeGreaterThan(40);
    expect(json).toContainEqual({ name: 'loongstella', language: 'en', gender: 'female', accent: 'en-us' });
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

  it('warns when it falls back to the synthetic voice, and names the package behind mp3 and opus', () => {
    const wav = run(['say', 'Hello.', '-o', 'tone.wav'], { nodeArgs: withoutOptional });
    expect(wav.status, wav.stderr).toBe(0);
    expect(wav.stderr).toMatch(/warning: .*synthetic voice.*npm install @echogarden\/espeak-ng-emscripten/);
    expect(wav.stdout).toMatch(/wrote tone\.wav .*engine synthetic/);
    for (const [file, pkg] of [
      ['x.mp3', 'wasm-media-encoders'],
      ['x.opus', 'opusscript'],
    ] as const) {
      const result = run(['say', 'Hello.', '-o', file, '--engine', 'synthetic'], {
        nodeArgs: withoutOptional,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`npm install ${pkg}`);
      expect(existsSync(join(workDir, file))).toBe(false);
    }
  });

  it('names the engine and the encoder it used', () => {
    const result = run(['say', 'Hello.', '-o', 'named.mp3', '--engine', 'espeak']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /wrote named\.mp3 \(mp3 by wasm-media-encoders, 22050 Hz, \d+ bytes; voice loongstella; engine espeak-ng\)/,
    );
  });

  it('asks CLI users for --key, not an apiKey option, when --url has no key', () => {
    const env = { ...process.env };
    delete env.DASHSCOPE_API_KEY;
    const result = run(['say', 'hi', '-o', 'k.wav', '--url', 'ws://127.0.0.1:9/api-ws/v1/inference'], {
      env,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/pass --key K or set the DASHSCOPE_API_KEY/);
    expect(result.stderr).not.toMatch(/apiKey/);
  });

  it('adds a hint that names the voice when the service refuses it (error 418)', async () => {
    const served = await startServe(['--engine', 'synthetic', '--no-warm-up']);
    const result = run([
      'say',
      'hi',
      '-o',
      'v.wav',
      '--url',
      served.url,
      '--key',
      'k',
      '--voice',
      'longnobody',
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /Engine return error code: 418; voice "longnobody" is not available for model cosyvoice-v3-flash/,
    );
    served.child.kill('SIGTERM');
    await served.exited;
  });
});
