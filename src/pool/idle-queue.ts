/**
 * The fast lane of idle synthesizers: those returned clean while nobody waited. The adapter keeps
 * them here, out of generic-pool (which still counts them as lent), so that the next borrow takes
 * one synchronously instead of going through generic-pool's request queue, its validation promise
 * and its loan bookkeeping. First in, first out, like generic-pool with `fifo`, so that every
 * connection keeps being used and none idles into a renewal.
 */
import type { SpeechSynthesizer } from '../synthesizer/speech-synthesizer.js';

export class IdleQueue {
  #items: Array<SpeechSynthesizer | undefined> = [];
  #head = 0;

  /** Synthesizers waiting here. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Adds `synth` at the back. */
  push(synth: SpeechSynthesizer): void {
    this.#items.push(synth);
  }

  /** Takes the synthesizer at the front, the one idle longest; undefined when empty. */
  shift(): SpeechSynthesizer | undefined {
    if (this.#head === this.#items.length) return undefined;
    const synth = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    // Compact now and then, so that the array does not grow with every pass through the queue.
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return synth;
  }

  /** Empties the queue and returns what it held, front first. */
  takeAll(): SpeechSynthesizer[] {
    const all = this.#items.slice(this.#head) as SpeechSynthesizer[];
    this.#items = [];
    this.#head = 0;
    return all;
  }
}
