/**
 * The two Redis clients people run, behind one `evalScript`: ioredis (`evalsha(sha, numKeys,
 * ...keys, ...args)`) and node-redis v4/v5 (`evalSha(sha, { keys, arguments })`). EVALSHA first;
 * on NOSCRIPT (a restarted or flushed Redis), EVAL once, which caches the script again.
 * The client stays the user's: nothing here connects, quits or listens to it.
 */
import { InvalidOptionError } from '../errors/index.js';

export type RedisClientKind = 'ioredis' | 'node-redis';

/** The part of ioredis used here. */
export interface IoRedisLike {
  /** Runs a cached script by its SHA1 (`EVALSHA`). */
  evalsha(sha: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  /** Runs a script (`EVAL`), after a `NOSCRIPT` answer to `evalsha`. */
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  /** Sends any command; used to tell ioredis apart from node-redis. */
  call(command: string, ...args: string[]): Promise<unknown>;
}

/** The part of node-redis (v4, v5) used here. */
export interface NodeRedisLike {
  /** Runs a cached script by its SHA1 (`EVALSHA`). */
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /** Runs a script (`EVAL`), after a `NOSCRIPT` answer to `evalSha`. */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  /** Sends any command; used to tell node-redis apart from ioredis. */
  sendCommand(args: string[]): Promise<unknown>;
}

/** A connected ioredis or node-redis client. */
export type RedisClientLike = IoRedisLike | NodeRedisLike;

export interface ScriptRunner {
  readonly kind: RedisClientKind;
  evalScript(sha: string, script: string, keys: string[], args: string[]): Promise<unknown>;
}

/**
 * Recognizes the client by its methods.
 * @throws {InvalidOptionError} when it is neither an ioredis nor a node-redis client.
 */
export function adaptClient(redis: unknown): ScriptRunner {
  const client = redis as Partial<IoRedisLike & NodeRedisLike> | null;
  if (typeof client === 'object' && client !== null) {
    if (typeof client.evalSha === 'function' && typeof client.sendCommand === 'function') {
      const nodeRedis = client as NodeRedisLike;
      return {
        kind: 'node-redis',
        evalScript: (sha, script, keys, args) =>
          withReload(
            () => nodeRedis.evalSha(sha, { keys, arguments: args }),
            () => nodeRedis.eval(script, { keys, arguments: args }),
          ),
      };
    }
    if (typeof client.evalsha === 'function' && typeof client.call === 'function') {
      const ioredis = client as IoRedisLike;
      return {
        kind: 'ioredis',
        evalScript: (sha, script, keys, args) =>
          withReload(
            () => ioredis.evalsha(sha, keys.length, ...keys, ...args),
            () => ioredis.eval(script, keys.length, ...keys, ...args),
          ),
      };
    }
  }
  throw new InvalidOptionError(
    'redis',
    'invalid redis: expected a connected ioredis client (new Redis(...)) or node-redis v4/v5 client ' +
      '(await createClient(...).connect())',
  );
}

async function withReload(
  evalSha: () => Promise<unknown>,
  evalScript: () => Promise<unknown>,
): Promise<unknown> {
  try {
    return await evalSha();
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return evalScript();
    throw error;
  }
}
