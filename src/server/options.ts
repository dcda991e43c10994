/**
 * Options of the local server: every default in one place, and validation that names the option
 * and the bad value before anything listens.
 */
import { checkAccountLimits } from './account-limits.js';
import { checkInteger, checkPositiveMs } from '../config.js';
import { InvalidOptionError } from '../errors/index.js';
import type { EngineName, LocalServerOptions } from './types.js';

/** The server's settings after defaults and validation. */
export interface ServerSettings {
  host: string;
  port: number;
  engine: 'auto' | EngineName;
  idleTimeoutMs: number;
  taskInactivityTimeoutMs: number;
  strictTaskStarted: boolean;
  firstAudioDelayMs: number;
  realTimeFactor: number;
  roundTripMs: number;
  audioChunkBytes: number;
  log: (line: string) => void;
}

/**
 * Validates the options and fills in the defaults: the service's own timers (60 s idle close,
 * 23 s inactivity: docs/protocol.md, "Idle close" and "Inactivity"), no pacing, 8000-byte frames.
 * @throws {InvalidOptionError} naming the option and the bad value.
 */
export function resolveServerOptions(options: LocalServerOptions): ServerSettings {
  validate(options);
  const pacing = options.pacing ?? {};
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    engine: options.engine ?? 'auto',
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    taskInactivityTimeoutMs: options.taskInactivityTimeoutMs ?? 23_000,
    strictTaskStarted: options.strictTaskStarted ?? false,
    firstAudioDelayMs: pacing.firstAudioDelayMs ?? 0,
    realTimeFactor: pacing.realTimeFactor ?? 0,
    roundTripMs: pacing.roundTripMs ?? 0,
    audioChunkBytes: options.audioChunkBytes ?? 8000,
    log: options.logger ?? ((): void => undefined),
  };
}

function validate(options: LocalServerOptions): void {
  checkAccountLimits(options.accountLimits);
  if (options.port !== undefined) checkInteger('port', options.port, 0, 65535);
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host === '')) {
    throw new InvalidOptionError(
      'host',
      `invalid host ${JSON.stringify(options.host)}: expected a non-empty string`,
    );
  }
  if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || options.apiKey === '')) {
    throw new InvalidOptionError('apiKey', 'invalid apiKey: expected a non-empty string');
  }
  const engine = options.engine;
  if (engine !== undefined && engine !== 'auto' && engine !== 'espeak' && engine !== 'synthetic') {
    throw new InvalidOptionError(
      'engine',
      `invalid engine ${JSON.stringify(engine)}: expected auto, espeak or synthetic`,
    );
  }
  if (options.idleTimeoutMs !== undefined) checkPositiveMs('idleTimeoutMs', options.idleTimeoutMs);
  if (options.taskInactivityTimeoutMs !== undefined) {
    checkPositiveMs('taskInactivityTimeoutMs', options.taskInactivityTimeoutMs);
  }
  const pacing = options.pacing ?? {};
  if (pacing.firstAudioDelayMs !== undefined)
    checkPositiveMs('pacing.firstAudioDelayMs', pacing.firstAudioDelayMs, true);
  if (pacing.roundTripMs !== undefined) checkPositiveMs('pacing.roundTripMs', pacing.roundTripMs, true);
  if (
    pacing.realTimeFactor !== undefined &&
    (typeof pacing.realTimeFactor !== 'number' ||
      !Number.isFinite(pacing.realTimeFactor) ||
      pacing.realTimeFactor < 0)
  ) {
    throw new InvalidOptionError(
      'pacing.realTimeFactor',
      `invalid pacing.realTimeFactor ${JSON.stringify(pacing.realTimeFactor)}: expected a number >= 0`,
    );
  }
  if (options.audioChunkBytes !== undefined) checkInteger('audioChunkBytes', options.audioChunkBytes, 1);
}
