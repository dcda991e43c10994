/**
 * The fast lane of idle synthesizers: those returned clean while nobody waited. The adapter keeps
 * them here, out of generic-pool (which still counts them as lent), so that the next borrow takes
 * one synchronously instead of going through generic-pool's request queue, its validation promise
 * and its loan bookkeeping. First in, first out, like generic-pool with `fifo`, so that every
 * connection keeps being used and none idles into a renewal.
 */
import type { SpeechSynthesizer } from '../synthesizer/speech-synthesizer.js';

export class IdleQueue {
  // A ring buffer whose capacity doubles when full and never shrinks: no allocation per pass.
  #items: Array<SpeechSynthesizer | undefined> = new Array<undefined>(16);
  #head = 0;
  #length = 0;

  /** Synthesizers waiting here. */
  get length(): number {
    return this.#length;
  }

  /** Adds `synth` at the back. */
  push(synth: SpeechSynthesizer): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#length) & (this.#items.length - 1)] = synth;
    this.#length += 1;
  }

  /** Takes the synthesizer at the front, the one idle longest; undefined when empty. */
  shift(): SpeechSynthesizer | undefined {
    if (this.#length === 0) return undefined;
    const synth = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#items.length - 1);
    this.#length -= 1;
    return synth;
  }

  /** Empties the queue and returns what it held, front first. */
  takeAll(): SpeechSynthesizer[] {
    const all: SpeechSynthesizer[] = [];
    for (let synth = this.shift(); synth; synth = this.shift()) all.push(synth);
    return all;
  }

  #grow(): void {
    const items = new Array<SpeechSynthesizer | undefined>(this.#items.length * 2);
    for (let i = 0; i < this.#length; i++)
      items[i] = this.#items[(this.#head + i) & (this.#items.length - 1)];
    this.#items = items;
    this.#head = 0;
  }
}
