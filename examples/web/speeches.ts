/**
 * The web app's speeches: the running ones (so that Stop can cancel them by the id the page chose)
 * and a short history (for the chart and for a page asking why its stream broke off).
 */

export type SpeechState = 'waiting' | 'speaking' | 'finished' | 'cancelled' | 'failed';

/** One speech as the page and the chart see it. */
export interface SpeechRecord {
  id: string;
  voice: string;
  format: string;
  characters: number;
  state: SpeechState;
  /** The server's task id, once the task started. */
  taskId?: string | undefined;
  /** The synthesizer's first-packet delay (task start to first audio frame), ms. */
  firstPacketMs?: number | undefined;
  /** Task start to task end, ms. */
  totalMs?: number | undefined;
  /** True when the task ran on a connection that was already open. */
  reusedConnection?: boolean | undefined;
  /** Audio bytes written to the page. */
  bytes: number;
  /** Why it failed, in words. */
  error?: string | undefined;
}

interface Running {
  record: SpeechRecord;
  controller: AbortController;
  done: Promise<void>;
}

const HISTORY = 50;

/** Running speeches by id, plus the last {@link HISTORY} records. */
export class Speeches {
  readonly #running = new Map<string, Running>();
  readonly #history: SpeechRecord[] = [];
  readonly #onChange: () => void;

  /** @param onChange called after every state change (to push the news to the pages). */
  constructor(onChange: () => void) {
    this.#onChange = onChange;
  }

  /** Whether a speech with this id is running. */
  isRunning(id: string): boolean {
    return this.#running.has(id);
  }

  /**
   * Registers a speech and runs `work` with a signal that {@link stop} aborts.
   * @returns the record, updated by `work` and final once the returned promise settles.
   */
  async run(
    record: SpeechRecord,
    work: (signal: AbortSignal, record: SpeechRecord) => Promise<void>,
  ): Promise<SpeechRecord> {
    const controller = new AbortController();
    let finish = (): void => undefined;
    const done = new Promise<void>((resolve) => (finish = resolve));
    this.#running.set(record.id, { record, controller, done });
    this.#remember(record);
    try {
      await work(controller.signal, record);
    } finally {
      this.#running.delete(record.id);
      finish();
      this.#onChange();
    }
    return record;
  }

  /** Marks a running speech as started (its first audio is out). */
  started(record: SpeechRecord): void {
    record.state = 'speaking';
    this.#onChange();
  }

  /**
   * Cancels a running speech and waits until its task is over.
   * @returns its record (also for an id that already ended), or undefined for an unknown id.
   */
  async stop(id: string): Promise<SpeechRecord | undefined> {
    const running = this.#running.get(id);
    if (!running) return this.get(id);
    running.controller.abort(new Error('stopped by the page'));
    await running.done;
    return running.record;
  }

  /** Cancels every running speech and waits for them to end. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#running.keys()].map((id) => this.stop(id)));
  }

  /** The record of a running or recent speech. */
  get(id: string): SpeechRecord | undefined {
    return this.#running.get(id)?.record ?? this.#history.find((record) => record.id === id);
  }

  /** The most recent records, oldest first. */
  recent(count = HISTORY): SpeechRecord[] {
    return this.#history.slice(-count);
  }

  #remember(record: SpeechRecord): void {
    this.#history.push(record);
    if (this.#history.length > HISTORY) this.#history.shift();
    this.#onChange();
  }
}
