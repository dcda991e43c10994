/** The fast lane's queue: first in, first out, through many passes, and emptied at once. */
import { describe, expect, it } from 'vitest';
import { IdleQueue } from '../../src/pool/idle-queue.js';
import type { SpeechSynthesizer } from '../../src/synthesizer/speech-synthesizer.js';

const item = (n: number): SpeechSynthesizer => ({ n }) as unknown as SpeechSynthesizer;

describe('IdleQueue', () => {
  it('hands synthesizers out first in, first out', () => {
    const queue = new IdleQueue();
    const [a, b, c] = [item(1), item(2), item(3)];
    queue.push(a);
    queue.push(b);
    expect(queue.shift()).toBe(a);
    queue.push(c);
    expect(queue.length).toBe(2);
    expect(queue.shift()).toBe(b);
    expect(queue.shift()).toBe(c);
    expect(queue.shift()).toBeUndefined();
    expect(queue.length).toBe(0);
  });

  it('keeps its order over many passes of a full pool, growing as needed', () => {
    const queue = new IdleQueue();
    const items = Array.from({ length: 3000 }, (_, i) => item(i));
    for (const it of items) queue.push(it);
    // Every synthesizer is borrowed and returned 3 times, round robin.
    const seen: SpeechSynthesizer[] = [];
    for (let i = 0; i < 9000; i++) {
      const next = queue.shift()!;
      seen.push(next);
      queue.push(next);
    }
    expect(seen.slice(0, 3000)).toEqual(items);
    expect(seen.slice(6000)).toEqual(items);
    expect(queue.length).toBe(3000);
  });

  it('grows while wrapped around without losing its order', () => {
    const queue = new IdleQueue();
    const items = Array.from({ length: 60 }, (_, i) => item(i));
    const out: SpeechSynthesizer[] = [];
    for (const it of items.slice(0, 12)) queue.push(it);
    for (let i = 0; i < 8; i++) out.push(queue.shift()!);
    for (const it of items.slice(12)) queue.push(it); // wraps, then grows twice
    for (let next = queue.shift(); next; next = queue.shift()) out.push(next);
    expect(out).toEqual(items);
  });

  it('gives everything back at once with takeAll', () => {
    const queue = new IdleQueue();
    const [a, b, c] = [item(1), item(2), item(3)];
    queue.push(a);
    queue.push(b);
    queue.push(c);
    queue.shift();
    expect(queue.takeAll()).toEqual([b, c]);
    expect(queue.length).toBe(0);
    expect(queue.shift()).toBeUndefined();
  });
});
