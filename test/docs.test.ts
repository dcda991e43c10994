/**
 * Every protocol reference in the sources and tests resolves to docs/protocol.md: cited section
 * names are headings there, example labels (V1, TV3) are defined there, and no comment cites the
 * old out-of-tree spec by number.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const doc = readFileSync(join(root, 'docs/protocol.md'), 'utf8');
const headings = new Set([...doc.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1]!.trim()));
const labels = new Set([...doc.matchAll(/\*\*(T?V\d+)\b/g)].map((m) => m[1]!));

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

/** The file's text with comment line breaks joined, so a reference may wrap. */
function joined(file: string): string {
  return readFileSync(join(root, file), 'utf8').replace(/\n\s*(?:\*(?!\/)|\/\/)?\s*/g, ' ');
}

const files = [...sources('src'), ...sources('test')];
/** References to the out-of-tree spec: "spec section 7", "§2.2", rule numbers "R3". */
const LEGACY = /spec sections? \d|§\s?\d|\bR\d{1,2}\b|shared\/protocol|HTTP spec|the spec's/;

describe('docs/protocol.md references', () => {
  it('the document has the sections the code names', () => {
    for (const name of ['Handshake', 'Task lifecycle', 'Cancel', 'Idle close', 'Errors', 'Sambert']) {
      expect(headings).toContain(name);
    }
  });

  it('every cited section is a heading of docs/protocol.md', () => {
    const dangling: string[] = [];
    let cited = 0;
    for (const file of files) {
      const text = joined(file);
      const refs = [
        // docs/protocol.md, "Cancel" (the house form) ...
        ...text.matchAll(/docs\/protocol\.md,? ((?:"[^"]+"(?: (?:and|to|or) |, )?)+)/g),
        // ... and "Cancel" in docs/protocol.md.
        ...text.matchAll(/((?:"[^"]+"(?: (?:and|to|or) |, )?)+) (?:of|in) docs\/protocol\.md/g),
      ];
      for (const ref of refs) {
        for (const name of ref[1]!.matchAll(/"([^"]+)"/g)) {
          cited++;
          if (!headings.has(name[1]!)) dangling.push(`${file}: "${name[1]}"`);
        }
      }
    }
    expect(dangling).toEqual([]);
    expect(cited).toBeGreaterThan(10);
  });

  it('every example label used in a test name is defined in docs/protocol.md', () => {
    const unknown: string[] = [];
    for (const file of sources('test')) {
      for (const m of readFileSync(join(root, file), 'utf8').matchAll(/\b(T?V\d+)\b/g)) {
        if (!labels.has(m[1]!)) unknown.push(`${file}: ${m[1]}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('no source or test cites the old spec by section or rule number', () => {
    const self = relative(root, import.meta.filename);
    const legacy = files.filter(
      (file) => file !== self && LEGACY.test(readFileSync(join(root, file), 'utf8')),
    );
    expect(legacy).toEqual([]);
  });
});
