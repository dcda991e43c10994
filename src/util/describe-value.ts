/**
 * Describes a bad option value for an error message, whatever it is. `JSON.stringify` is not fit
 * for this: it throws on BigInt and circular objects (turning a validation error into a plain
 * `TypeError`), prints NaN and Infinity as `null`, drops symbols and functions, and would embed a
 * 100 000-character string whole. This never throws and never returns more than `maxLength`.
 */
import { inspect } from 'node:util';

/** Longest description, by default. */
export const DESCRIBE_MAX_LENGTH = 80;

/**
 * A short, readable description of `value`: strings quoted (`"abc"`), numbers as JavaScript
 * prints them (`NaN`, `Infinity`, `-0`), BigInts with their `n`, symbols, functions by name,
 * objects and arrays shallowly (`[Circular *1]` where they refer to themselves). Anything longer
 * than `maxLength` is cut and says how long it was.
 *
 * Never use it on a secret (the API key): describe only its type there.
 */
export function describeValue(value: unknown, maxLength = DESCRIBE_MAX_LENGTH): string {
  if (typeof value === 'string') return quote(value, maxLength);
  let text: string;
  try {
    text = describe(value);
  } catch {
    // A revoked proxy, or an object whose inspection throws: say what it is, not what is in it.
    text = `[${typeLabel(value)}]`;
  }
  return truncate(text, maxLength);
}

/** `null`, `array`, or the `typeof` of `value`: for messages such as "expected a string, got array". */
export function typeLabel(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function describe(value: unknown): string {
  switch (typeof value) {
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      return value.name ? `[function ${value.name}]` : '[function]';
    case 'undefined':
    case 'boolean':
      return String(value);
    default:
      return inspect(value, {
        depth: 1,
        breakLength: Infinity,
        maxArrayLength: 5,
        maxStringLength: 40,
        customInspect: false,
        getters: false,
        showProxy: false,
      });
  }
}

function quote(value: string, maxLength: number): string {
  const whole = JSON.stringify(value.length <= maxLength ? value : '');
  if (value.length <= maxLength && whole.length <= maxLength) return whole;
  // Quote only a prefix, so a huge string is never copied whole into a message; escapes
  // (`\u0000`, a lone surrogate) may lengthen it, hence the loop.
  const note = ` (${value.length} characters)`;
  let keep = Math.max(1, maxLength - note.length - 3);
  let quoted = JSON.stringify(value.slice(0, keep));
  while (quoted.length + 1 + note.length > maxLength && keep > 1) {
    keep = Math.max(1, keep - (quoted.length + 1 + note.length - maxLength));
    quoted = JSON.stringify(value.slice(0, keep));
  }
  return `${quoted.slice(0, -1)}…"${note}`;
}

function truncate(text: string, maxLength: number): string {
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 1)}…`;
}
