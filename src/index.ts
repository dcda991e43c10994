/**
 * dashscope-tts-pool: pooled, pre-connected WebSocket speech synthesis for Alibaba Cloud
 * DashScope (CosyVoice). Public exports only.
 */
export * from './errors/index.js';
export { SpeechSynthesizer } from './synthesizer.js';
export { DEFAULT_RESPONSE_TIMEOUT_MS } from './synthesizer-options.js';
export type {
  ResultCallback,
  TaskRetryOptions,
  SpeechSynthesizerOptions,
  SynthesizerHooks,
  StreamOptions,
  SynthesizerEvents,
  SynthesizerState,
  TaskOptions,
} from './synthesizer-options.js';
export type { TaskMetrics, TaskOutcome } from './task.js';
export { SpeechSynthesizerObjectPool } from './pool.js';
export type {
  BorrowOptions,
  BorrowParams,
  PoolEvents,
  PoolMetrics,
  PoolStats,
  ShutdownOptions,
} from './pool.js';
export type { PoolOptions } from './pool-options.js';
export type {
  Quota,
  QuotaAcquireOptions,
  QuotaEvents,
  QuotaLease,
  QuotaMetrics,
  QuotaMode,
} from './quota/types.js';
export type { LatencySummary } from './metrics.js';
export { registerPoolMetrics } from './prometheus.js';
export type { PoolMetricsOptions, PromClientLike } from './prometheus.js';
export type { ConnectionCloseInfo } from './connection.js';
export { AudioFormat, LIMITS, countCharacters } from './params.js';
export type { AudioContainer, AudioFormatSpec, HotFix, SynthesisParams } from './params.js';
export { WEBSOCKET_ENDPOINTS } from './config.js';
export { patchWavSizes } from './wav.js';
export { VERSION } from './version.js';
export type { ConnectionOptions, Region } from './config.js';
export type {
  ResultGeneratedEvent,
  ResultType,
  Sentence,
  ServerEvent,
  TaskFailedEvent,
  TaskFinishedEvent,
  TaskStartedEvent,
  Usage,
  WordTimestamp,
} from './protocol.js';
export * from './http/index.js';
