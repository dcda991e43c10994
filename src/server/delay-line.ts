/**
 * The round-trip pacing knob: a delay line that shifts items by a fixed latency while keeping
 * their order (half the round trip, each direction of a socket).
 */

/** Delivers every pushed item `delayMs` later, in push order. */
export class DelayLine<T> {
  readonly #delayMs: number;
  readonly #deliver: (item: T) => void;
  #queue: Array<{ item: T; due: number }> = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(delayMs: number, deliver: (item: T) => void) {
    this.#delayMs = Math.max(0, delayMs);
    this.#deliver = deliver;
  }

  /** Number of items waiting. */
  get size(): number {
    return this.#queue.length;
  }

  /** Queues an item; with no delay and nothing waiting it is delivered at once. */
  push(item: T): void {
    if (this.#delayMs === 0 && this.#queue.length === 0) {
      this.#deliver(item);
      return;
    }
    this.#queue.push({ item, due: Date.now() + this.#delayMs });
    this.#arm();
  }

  /** Drops waiting items that match. */
  remove(predicate: (item: T) => boolean): void {
    this.#queue = this.#queue.filter((entry) => !predicate(entry.item));
    if (this.#queue.length === 0) this.clear();
  }

  /** Drops everything and stops the timer. */
  clear(): void {
    this.#queue = [];
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#timer || this.#queue.length === 0) return;
    const wait = Math.max(0, this.#queue[0]!.due - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = Date.now();
      while (this.#queue.length > 0 && this.#queue[0]!.due <= now) {
        this.#deliver(this.#queue.shift()!.item);
      }
      this.#arm();
    }, wait);
  }
}
