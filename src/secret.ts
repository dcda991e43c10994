import { inspect } from 'node:util';

/**
 * Holds the API key so that it cannot leak by accident: `toString()`, `JSON.stringify()` and
 * `util.inspect()` of this object (or of anything that holds it) print a mask, never the key.
 */
export class ApiKey {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The key itself, for the one place that needs it: the Authorization header. */
  reveal(): string {
    return this.#value;
  }

  /** Replaces every occurrence of the key in `text` with a mask. */
  redact(text: string): string {
    return redactSecret(text, this.#value);
  }

  toString(): string {
    return mask(this.#value);
  }

  toJSON(): string {
    return mask(this.#value);
  }

  [inspect.custom](): string {
    return `ApiKey(${mask(this.#value)})`;
  }
}

function mask(value: string): string {
  return value.length > 8 ? `${value.slice(0, 3)}***` : '***';
}

/** Replaces every occurrence of `secret` in `text` (no-op for an empty secret). */
export function redactSecret(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join('***');
}
