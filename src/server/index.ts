/**
 * `dashscope-tts-pool/server`: a local DashScope-compatible speech-synthesis server for offline
 * development, tests and benchmarks.
 */
export { startLocalServer } from './local-server.js';
export type {
  AccountLimitOptions,
  AccountLimitStats,
  EngineName,
  FaultController,
  LocalServer,
  LocalServerOptions,
  LocalServerStats,
  PacingOptions,
  RefusalStatus,
  TaskFault,
} from './types.js';
export { knownVoices, DEFAULT_VOICE } from './voices.js';
export { patchWavSizes } from './encoders/wav.js';
