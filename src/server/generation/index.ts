/**
 * The local server's HTTP generation endpoints (text-generation and multimodal-generation).
 * Placeholder: the HTTP issue replaces it. `startLocalServer` routes every non-upgrade HTTP
 * request through `handle()` first.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface GenerationEndpointOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string | undefined;
}

export interface GenerationEndpoint {
  /** Handles the request and returns true, or returns false when the path is not a generation endpoint. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

export function createGenerationEndpoint(_options: GenerationEndpointOptions = {}): GenerationEndpoint {
  return { handle: () => false };
}
