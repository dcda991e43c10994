/** HTTP generation with connection reuse: the public surface. Error classes live in ../errors.ts. */
export { Generation } from './generation.js';
export { MultiModalConversation } from './multimodal.js';
export { HttpConnectionPool } from './pool.js';
export type { HttpConnectionPoolOptions, HttpPoolStats } from './pool.js';
export {
  closeConnectionPool,
  getConnectionConfigurations,
  getHttpMetrics,
  getHttpPoolStats,
  setConnectionConfigurations,
} from './shared.js';
export {
  CONNECTION_ENV_VARS,
  DEFAULT_CONNECTION_CONFIGURATIONS,
  resolveConnectionConfigurations,
} from './config.js';
export type { ConnectionConfigurations, ResolvedConnectionConfigurations } from './config.js';
export { GENERATION_PATHS, HTTP_BASE_URLS } from './target.js';
export type { HttpRegion, HttpTargetOptions } from './target.js';
export type { RetryOptions as HttpRetryOptions } from './retry.js';
export type { HttpLatencySummary, HttpMetricsSnapshot } from './metrics.js';
export type {
  GenerationChoice,
  GenerationMessage,
  GenerationOutput,
  GenerationParams,
  GenerationResult,
  GenerationUsage,
  HttpCallOptions,
  MultiModalContentItem,
  MultiModalConversationParams,
  ToolCall,
} from './types.js';
