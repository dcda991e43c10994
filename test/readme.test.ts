/**
 * The README's code, checked against the built package (`npm test` builds first), so that a
 * snippet can never rot:
 *
 * - every `ts` / `js` block is type-checked as a module of a consumer project (strict,
 *   NodeNext), importing `dashscope-tts-pool` by name: Node's package self-reference resolves
 *   it to `dist/`, as an installed copy would be;
 * - a block is a complete program unless its first line is a `// fragment: …` comment; a
 *   fragment declares what it takes from its context (`declare const pool: …`), and only
 *   fragments may use `declare`;
 * - a block whose first line is `// runs offline` is also run, against the local server;
 * - `js` blocks that `require` are checked as CommonJS.
 *
 * The README's voice list is compared with the local server's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { knownVoices, resolveVoice } from '../src/server/voices.js';

const root = resolve(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

interface Block {
  /** 1-based line of the opening fence. */
  line: number;
  lang: 'ts' | 'js';
  code: string;
  fragment: boolean;
  runs: boolean;
  /** Where the block lives as a module (virtual for the type check). */
  file: string;
}

function extractBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(ts|typescript|js|javascript)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.slice(indent));
    const code = `${body.join('\n')}\n`;
    const lang = open[2]!.startsWith('t') ? 'ts' : 'js';
    const first = body.find((l) => l.trim() !== '') ?? '';
    const ext = lang === 'ts' ? 'ts' : /\brequire\(/.test(code) ? 'cjs' : 'mjs';
    blocks.push({
      line: i + 1,
      lang,
      code,
      fragment: /^\/\/\s*fragment:/.test(first),
      runs: /^\/\/\s*runs offline/.test(first),
      file: join(root, 'test', '.readme-snippets', `line-${i + 1}.${ext}`),
    });
    i = j;
  }
  return blocks;
}

const blocks = extractBlocks(readme);

/** Type-checks every block in one program; returns the messages per block. */
function typeCheck(all: Block[]): Map<Block, string[]> {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const options: ts.CompilerOptions = {
    ...config.options,
    noEmit: true,
    allowJs: true,
    checkJs: true,
    noUnusedLocals: false,
    noUnusedParameters: false,
    // A consumer's project: nothing from this repository's sources, only the package.
    rootDir: undefined,
    outDir: undefined,
  };
  const virtual = new Map(all.map((b) => [b.file, b.code]));
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, onError, create) => {
    const code = virtual.get(resolve(name));
    if (code !== undefined) return ts.createSourceFile(name, code, languageVersion, true);
    return getSourceFile(name, languageVersion, onError, create);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => virtual.has(resolve(name)) || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => virtual.get(resolve(name)) ?? readFile(name);
  const program = ts.createProgram(
    all.map((b) => b.file),
    options,
    host,
  );
  const byFile = new Map(all.map((b) => [b.file, b]));
  const messages = new Map<Block, string[]>(all.map((b) => [b, []]));
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const block = diagnostic.file ? byFile.get(resolve(diagnostic.file.fileName)) : undefined;
    if (!block) {
      // Outside the snippets (a broken build, say): charge it to every block.
      for (const list of messages.values()) list.push(`(outside the snippet) ${text}`);
      continue;
    }
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    messages.get(block)!.push(`README.md:${block.line + 1 + line}: TS${diagnostic.code}: ${text}`);
  }
  return messages;
}

describe('README code blocks', () => {
  it('are found, and the build they are checked against exists', () => {
    expect(blocks.length).toBeGreaterThan(8);
    expect(blocks.some((b) => b.fragment)).toBe(true);
    expect(blocks.some((b) => b.runs)).toBe(true);
    expect(blocks.some((b) => b.file.endsWith('.cjs'))).toBe(true);
    expect(existsSync(join(root, 'dist', 'index.d.ts')), 'run npm run build first').toBe(true);
  });

  it('declare their context only when they say they are fragments', () => {
    for (const block of blocks) {
      const declares = /^\s*declare\s/m.test(block.code);
      if (declares) expect(block.fragment, `README.md:${block.line} uses declare`).toBe(true);
      if (block.fragment) {
        expect(block.runs, `README.md:${block.line}: a fragment cannot run`).toBe(false);
      }
    }
  });

  it('type-check against the built package', () => {
    const problems = [...typeCheck(blocks).values()].flat();
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('that say "runs offline" run against the local server', () => {
    const runnable = blocks.filter((b) => b.runs);
    // Inside the repository, so that `dashscope-tts-pool` resolves to this package's build.
    const dir = mkdtempSync(join(root, 'test', '.readme-run-'));
    const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    try {
      for (const block of runnable) {
        const file = join(dir, block.file.split('/').pop()!);
        writeFileSync(file, block.code);
        const args = block.lang === 'ts' ? ['--import', tsx, file] : [file];
        const env = { ...process.env };
        delete env.DASHSCOPE_API_KEY;
        const result = spawnSync(process.execPath, args, {
          cwd: dir,
          encoding: 'utf8',
          timeout: 90_000,
          env,
        });
        expect(result.status, `README.md:${block.line}\n${result.stdout}\n${result.stderr}`).toBe(0);
        expect(result.stdout.trim(), `README.md:${block.line} prints what it did`).not.toBe('');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('README voice list', () => {
  it('lists exactly the voices the local server knows, with their language and gender', () => {
    const section = readme.slice(readme.indexOf('<!-- voices -->'), readme.indexOf('<!-- /voices -->'));
    expect(section.length).toBeGreaterThan(0);
    const listed = new Map<string, string>();
    for (const row of section.matchAll(/^\| (zh|en), (female|male)[^|]*\| ([^|]+)\|$/gm)) {
      for (const name of row[3]!.split(',')) listed.set(name.trim().replace(/`/g, ''), `${row[1]} ${row[2]}`);
    }
    expect([...listed.keys()].sort()).toEqual(knownVoices().sort());
    for (const [name, kind] of listed) {
      const profile = resolveVoice(name)!;
      expect(`${profile.language} ${profile.gender}`, name).toBe(kind);
    }
  });
});
