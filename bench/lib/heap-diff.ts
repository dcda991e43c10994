/**
 * Heap snapshot arithmetic for bench/in-flight.ts: the live objects of a `.heapsnapshot`, grouped
 * by kind (V8's node type and constructor or closure name, with the first holder of arrays,
 * closures and contexts so that "array" says whose), and the difference of two such groupings.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[]];
      edge_fields: string[];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface Group {
  count: number;
  bytes: number;
}

/** Live objects of a snapshot file by kind: count and self size. */
export function groupSnapshot(file: string): Map<string, Group> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const nodeFields = s.snapshot.meta.node_fields.length;
  const edgeFields = s.snapshot.meta.edge_fields.length;
  const types = s.snapshot.meta.node_types[0];
  const describe = (i: number): string =>
    `${types[s.nodes[i]!]}:${(s.strings[s.nodes[i + 1]!] ?? '').slice(0, 40)}`;
  // The first node (in snapshot order) holding each node: enough to name whose an array is.
  const holder = new Map<number, string>();
  let e = 0;
  for (let i = 0; i < s.nodes.length; i += nodeFields) {
    const edgeCount = s.nodes[i + 4]!;
    for (let k = 0; k < edgeCount; k++, e += edgeFields) {
      const to = s.edges[e + 2]!;
      if (!holder.has(to)) holder.set(to, describe(i));
    }
  }
  const groups = new Map<string, Group>();
  for (let i = 0; i < s.nodes.length; i += nodeFields) {
    const type = types[s.nodes[i]!]!;
    const name = s.strings[s.nodes[i + 1]!] ?? '';
    let key = type.endsWith('string') ? type : `${type}:${name.slice(0, 60)}`;
    if (type === 'array' || type === 'closure' || name === 'system / Context') {
      key += ` <- ${holder.get(i) ?? '?'}`;
    }
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count += 1;
    group.bytes += s.nodes[i + 3]!;
    groups.set(key, group);
  }
  return groups;
}

/** What `after` holds more than `before`, per kind, largest first. */
export function diffGroups(
  before: Map<string, Group>,
  after: Map<string, Group>,
): Array<{ kind: string } & Group> {
  const rows: Array<{ kind: string } & Group> = [];
  for (const [kind, group] of after) {
    const was = before.get(kind) ?? { count: 0, bytes: 0 };
    rows.push({ kind, count: group.count - was.count, bytes: group.bytes - was.bytes });
  }
  return rows.sort((a, b) => b.bytes - a.bytes);
}

/**
 * Whether a kind is the program's rather than its data: compiled code, feedback and hidden
 * classes, which warm-up makes more of whatever the data does.
 */
export function isCodeKind(kind: string): boolean {
  return kind.startsWith('code') || kind.startsWith('object shape') || kind.includes('WeakArrayList');
}
