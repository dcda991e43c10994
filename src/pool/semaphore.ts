/** Bounds how many operations run at once (e.g. connects during a pool's warm-up). FIFO. */
export class Semaphore {
  #available: number;
  readonly #waiting: Array<() => void> = [];

  constructor(permits: number) {
    this.#available = permits;
  }

  /** Runs `operation` once a permit is free, and frees the permit when it settles. */
  async run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#available > 0) this.#available -= 1;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await operation();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#available += 1;
    }
  }
}
