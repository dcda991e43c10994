/**
 * The one connection a synthesizer holds: opened on demand (one open at a time), its events
 * handed to a listener, renewed make-before-break, counted per task, closed with the synthesizer.
 */
import type { EventEmitter } from 'eventemitter3';
import type { ResolvedConnectionOptions } from '../config.js';
import { Connection, type ConnectionCloseInfo } from '../connection.js';
import { ClosedError } from '../errors/index.js';
import type { SynthesizerHooks } from './internal.js';
import type { SynthesizerEvents } from './options.js';

/** Receives what arrives on the held connection (the synthesizer's server-event dispatch). */
export interface ConnectionListener {
  onText(connection: Connection, raw: string): void;
  onBinary(connection: Connection, data: Buffer): void;
  /** The connection closed; called before the slot reports the disconnect. */
  onClose(connection: Connection, info: ConnectionCloseInfo): void;
}

export class ConnectionSlot {
  /** Instrumentation: `onConnect` and `onDisconnect` are called from here. */
  hooks: SynthesizerHooks = {};
  readonly #options: ResolvedConnectionOptions;
  readonly #emitter: EventEmitter<SynthesizerEvents>;
  #listener: ConnectionListener | undefined;
  #connection: Connection | undefined;
  #connecting: Promise<Connection> | undefined;
  #tasksOnConnection = 0;
  #closed = false;

  /** @param emitter where `disconnect` is emitted (the synthesizer). */
  constructor(options: ResolvedConnectionOptions, emitter: EventEmitter<SynthesizerEvents>) {
    this.#options = options;
    this.#emitter = emitter;
  }

  /** Sets the listener of every connection opened from now on (once, before the first open). */
  listen(listener: ConnectionListener): void {
    this.#listener = listener;
  }

  /** The held connection (open until its close is reported), or undefined. */
  get connection(): Connection | undefined {
    return this.#connection;
  }

  get isOpen(): boolean {
    return this.#connection?.isOpen ?? false;
  }

  /** True while a connection is being opened. */
  get isConnecting(): boolean {
    return this.#connecting !== undefined;
  }

  /** How many tasks the held connection has completed. */
  get tasksOnConnection(): number {
    return this.#tasksOnConnection;
  }

  /** Milliseconds since the held connection last sent or received anything; undefined if none. */
  get idleMs(): number | undefined {
    return this.#connection ? performance.now() - this.#connection.lastActivityAt : undefined;
  }

  /** Counts a task that completed on `connection`, if that is still the held one. */
  countTask(connection: Connection | undefined): void {
    if (connection === this.#connection) this.#tasksOnConnection += 1;
  }

  /**
   * The open connection, opening one if needed; concurrent callers share one open.
   * @throws the typed connect errors of {@link Connection.open}; {ClosedError} after close().
   */
  open(signal?: AbortSignal): Promise<Connection> {
    if (this.#connection?.isOpen) return Promise.resolve(this.#connection);
    if (!this.#connecting) {
      this.#connecting = Connection.open(this.#options, signal)
        .then((connection) => {
          if (this.#closed) {
            void connection.close();
            throw new ClosedError();
          }
          this.#attach(connection);
          return connection;
        })
        .finally(() => {
          this.#connecting = undefined;
        });
    }
    return this.#connecting;
  }

  /**
   * Replaces the held connection with a fresh one, make-before-break: the new socket is opened
   * first, then the old one is closed. Resolves false (and keeps the old one) when `busy()` says
   * so before or after the open, or another open is under way.
   * @throws the typed connect errors of {@link Connection.open}; the old connection is kept then.
   */
  async renew(signal: AbortSignal | undefined, busy: () => boolean): Promise<boolean> {
    if (busy() || this.#connecting) return false;
    const fresh = await Connection.open(this.#options, signal);
    if (busy() || this.#connecting) {
      void fresh.close(1000, 'not needed');
      return false;
    }
    const old = this.#connection;
    this.#attach(fresh);
    if (old) void old.close(1000, 'renewed');
    return true;
  }

  /** Sends a WebSocket ping; resolves false when there is no open connection or no pong. */
  ping(timeoutMs: number): Promise<boolean> {
    return this.#connection?.ping(timeoutMs) ?? Promise.resolve(false);
  }

  /** Refuses further opens, waits for one under way, and closes the held connection. */
  async close(): Promise<void> {
    this.#closed = true;
    const connecting = this.#connecting;
    if (connecting) await connecting.catch(() => undefined);
    await this.#connection?.close();
  }

  #attach(connection: Connection): void {
    const listener = this.#listener!;
    this.#connection = connection;
    this.#tasksOnConnection = 0;
    connection.receive({
      onText: (raw) => listener.onText(connection, raw),
      onBinary: (data) => listener.onBinary(connection, data),
    });
    connection.on('close', (info) => this.#onClose(connection, info));
    try {
      this.hooks.onConnect?.(connection.id, connection.connectMs);
    } catch {
      // Instrumentation must never break the connection flow.
    }
  }

  #onClose(connection: Connection, info: ConnectionCloseInfo): void {
    if (this.#connection === connection) this.#connection = undefined;
    this.#listener!.onClose(connection, info);
    try {
      this.hooks.onDisconnect?.(connection.id, info);
      this.#emitter.emit('disconnect', info);
    } catch {
      // A listener's throw must not break connection bookkeeping.
    }
  }
}
