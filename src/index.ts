/**
 * dashscope-tts-pool: pooled, pre-connected WebSocket speech synthesis for Alibaba Cloud
 * DashScope (CosyVoice). Public exports only.
 */
export * from './errors/index.js';
export { SpeechSynthesizer } from './synthesizer/speech-synthesizer.js';
export { DEFAULT_RESPONSE_TIMEOUT_MS } from './synthesizer/options.js';
export type {
  OnlyKnownOptions,
  ResultCallback,
  TaskRetryOptions,
  SpeechSynthesizerOptions,
  SynthesizerSettings,
  SambertSynthesizerOptions,
  StreamOptions,
  SynthesizerAudio,
  SynthesizerEvents,
  SynthesizerState,
  TaskOptions,
} from './synthesizer/options.js';
export type { TaskMetrics, TaskOutcome } from './synthesizer/task-metrics.js';
export { SpeechSynthesizerObjectPool } from './pool/object-pool.js';
export type {
  BorrowOptions,
  BorrowParams,
  CallbackSynthesizer,
  CollectingSynthesizer,
  PoolStats,
  ReadyOptions,
  SambertBorrowParams,
  ShutdownOptions,
} from './pool/object-pool.js';
export type { AbandonInfo, DiscardReason, PoolEvents } from './pool/events.js';
export type { PoolMetrics } from './pool/metrics.js';
export type { PoolOptions } from './pool/options.js';
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
export type {
  MetricClassLike,
  PoolMetricsOptions,
  PoolMetricsSource,
  PromClientLike,
  UnregisterPoolMetrics,
} from './prometheus.js';
export type { ConnectionCloseInfo } from './connection.js';
export { AudioFormat, LIMITS, countCharacters } from './params.js';
export type { AudioContainer, AudioFormatSpec, HotFix, SynthesisParams } from './params.js';
export { isSambertModel } from './params-sambert.js';
export type { AnySynthesisParams, SambertContainer, SambertModel, SambertParams } from './params-sambert.js';
export type { SambertPhoneme, SambertSentence, SambertWord } from './protocol-sambert.js';
export { WEBSOCKET_ENDPOINTS, MAX_TIMEOUT_MS } from './config.js';
export { REGIONS, REGION_ALIASES } from './endpoints.js';
export type { RegionAlias, RegionId, RegionInfo } from './endpoints.js';
export type { ApiKeyOption, ApiKeyProvider } from './api-key-source.js';
export { temporaryApiKey } from './temporary-api-key.js';
export type { TemporaryApiKeyOptions } from './temporary-api-key.js';
export { patchWavSizes } from './wav.js';
export { writeAudioFile } from './audio-file.js';
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
