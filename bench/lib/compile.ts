/**
 * Compiles the library and the benchmark helpers to plain JavaScript for the client-cost workers,
 * file by file with TypeScript's `transpileModule` (target ES2022, as tsdown's node20 build:
 * native private fields, no helpers). Under tsx every closure gets a `__name` helper call that
 * the shipped build does not have; that would charge the library (which makes more closures than
 * the bare client) for a cost its users never pay. Output: node_modules/.cache/dashscope-tts-bench,
 * inside the repository so that `ws` and `generic-pool` resolve from its node_modules.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outRoot = join(root, 'node_modules', '.cache', 'dashscope-tts-bench');

function sources(dir: string, recursive: boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return recursive ? sources(path, true) : [];
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Compiles src/ and bench/lib/; returns the path of the compiled `relativePath` (e.g. bench/lib/cost-worker.ts). */
export function compileForBench(relativePath: string): string {
  rmSync(outRoot, { recursive: true, force: true });
  for (const file of [...sources(join(root, 'src'), true), ...sources(join(root, 'bench', 'lib'), false)]) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        verbatimModuleSyntax: true,
        sourceMap: false,
      },
    });
    const out = join(outRoot, relative(root, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  // ESM, whatever the nearest package.json above says.
  writeFileSync(join(outRoot, 'package.json'), '{ "type": "module" }\n');
  return join(outRoot, relativePath).replace(/\.ts$/, '.js');
}
