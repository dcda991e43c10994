/** Error conversion: anything thrown below the library's API becomes a typed library error. */
import { DashScopeError } from './base.js';
import { ConnectionError } from './synthesis.js';

/**
 * The library's own errors pass through as they are; anything else (a socket error, a throw
 * from a dependency) becomes a `ConnectionError` that keeps the original as its `cause`.
 */
export function asDashScopeError(error: unknown): DashScopeError {
  if (error instanceof DashScopeError) return error;
  return new ConnectionError(error instanceof Error ? error.message : String(error), { cause: error });
}
