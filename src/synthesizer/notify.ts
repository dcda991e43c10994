/**
 * Delivers the moments of a task to the user: first the callback given with the options (or
 * `setCallback`), then the event listeners of the matching event.
 */
import type { EventEmitter } from 'eventemitter3';
import type { ResultCallback, SynthesizerEvents } from './options.js';

/** The name of one moment, as the callback spells it. */
export type Notification = keyof ResultCallback;

const EVENT_OF: Record<Notification, keyof SynthesizerEvents> = {
  onOpen: 'open',
  onEvent: 'event',
  onData: 'data',
  onComplete: 'complete',
  onError: 'error',
  onClose: 'close',
};

export class Notifier {
  /** The user's callback for the next tasks; undefined for none. */
  callback: ResultCallback | undefined;
  readonly #emitter: EventEmitter<SynthesizerEvents>;

  constructor(emitter: EventEmitter<SynthesizerEvents>, callback: ResultCallback | undefined) {
    this.#emitter = emitter;
    this.callback = callback;
  }

  /**
   * Calls the callback's `name` method, then the listeners of the matching event.
   * @throws whatever the callback or a listener throws (the caller decides what that costs the task).
   */
  notify(name: Notification, argument?: unknown): void {
    const callbacks = this.callback as
      Record<Notification, ((value?: unknown) => void) | undefined> | undefined;
    callbacks?.[name]?.(argument);
    // A task notifies a dozen times; most synthesizers (a pool's, call()'s) have no listener at
    // all, and then emit() is skipped. eventemitter3 keeps that count in `_eventsCount`; were it
    // ever gone, every notification would simply be emitted.
    if ((this.#emitter as unknown as { _eventsCount?: number })._eventsCount === 0) return;
    this.#emitter.emit(EVENT_OF[name], argument as never);
  }
}
