/**
 * Argument parsing shared by the commands: node's `parseArgs`, and value checks whose errors
 * name the flag and what it accepts.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A usage error: reported on stderr with exit code 2. */
export class UsageError extends Error {}

/** Parsed flags (`values`) and the remaining words (`positionals`). */
export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses `args` strictly against `options`.
 * @throws {UsageError} for an unknown flag or a missing value, with the command's usage.
 */
export function parse(
  args: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  usage: string,
): ParsedArgs {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    // No option is declared `multiple`, so no value is an array.
    return { values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${usage}`);
  }
}

/**
 * An integer flag within `min`–`max`; undefined when absent.
 * @throws {UsageError} for anything else.
 */
export function integer(
  name: string,
  value: string | boolean | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      `invalid --${name} ${JSON.stringify(value)}: expected an integer from ${min} to ${max}`,
    );
  }
  return n;
}

/**
 * A flag whose value is one of `allowed`; undefined when absent.
 * @throws {UsageError} for another value.
 */
export function oneOf<T extends string>(
  name: string,
  value: string | boolean | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined;
  if (!allowed.includes(value as T)) {
    throw new UsageError(`invalid --${name} ${JSON.stringify(value)}: expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** A string flag's value; undefined when absent. */
export function str(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The speech engines a command accepts. */
export const ENGINES = ['auto', 'espeak', 'synthetic'] as const;
