/** Every error class of the library, each with a stable `code` (see `base.ts`). */
export { DashScopeError, isDashScopeError } from './base.js';
export type { DashScopeErrorOptions, ErrorCode } from './base.js';
export * from './synthesis.js';
export * from './pool.js';
export * from './http.js';
export * from './key.js';
export * from './quota.js';
