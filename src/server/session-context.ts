/**
 * What a socket's session and the task running on it share: the server's settings and objects,
 * and the items that leave through the socket's outbound line.
 */
import type { EventEmitter } from 'node:events';
import type { SpeechEngine } from './engine.js';
import type { Faults } from './faults.js';
import type { ServerCounters } from './stats.js';

/** Settings and shared objects a session needs from its server. */
export interface SessionContext {
  engine: SpeechEngine;
  counters: ServerCounters;
  faults: Faults;
  events: EventEmitter;
  taskInactivityTimeoutMs: number;
  strictTaskStarted: boolean;
  firstAudioDelayMs: number;
  realTimeFactor: number;
  roundTripMs: number;
  audioChunkBytes: number;
  idleTimeoutMs(): number;
  log(line: string): void;
}

/** One item on a socket's outbound line, written in order after half the round trip. */
export type Outbound =
  /** `audio` marks the result events that belong to audio, so that a cancel drops them too. */
  | { kind: 'text'; data: string; taskId?: string; audio?: boolean; onWritten?: () => void }
  | { kind: 'binary'; data: Uint8Array; taskId: string }
  | { kind: 'close'; code: number; reason: string }
  | { kind: 'terminate' };
