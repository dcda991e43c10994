/**
 * The process-wide default pool, and the pools wrapped around callers' agents. The shared pool
 * is made on first use from the configurations set so far (else the environment, else defaults);
 * unlike the Java SDK, setting new configurations later takes effect for the next call.
 */
import type http from 'node:http';
import type { ConnectionConfigurations, ResolvedConnectionConfigurations } from './config.js';
import { resolveConnectionConfigurations } from './config.js';
import { HttpMetrics } from './metrics.js';
import type { HttpMetricsSnapshot } from './metrics.js';
import { HttpConnectionPool } from './pool.js';
import type { HttpPoolStats } from './pool.js';

let configurations: ConnectionConfigurations = {};
let shared: HttpConnectionPool | undefined;
let agentPools = new WeakMap<http.Agent, HttpConnectionPool>();

/**
 * Sets the connection configurations of the shared pool (milliseconds; the Java SDK's names and
 * defaults). Fields left out come from the Java SDK's environment variables, else the defaults.
 * Validated at once. Calls already in progress finish on the previous pool, which then closes.
 * @throws {InvalidOptionError} naming the option and the bad value; the previous settings stay.
 */
export function setConnectionConfigurations(options: ConnectionConfigurations): void {
  resolveConnectionConfigurations(options);
  configurations = { ...options };
  const previous = shared;
  shared = undefined;
  previous?.retire();
  for (const pool of retiringAgentPools()) pool.retire();
}

/** The settings the shared pool uses (or will use when first needed). */
export function getConnectionConfigurations(): ResolvedConnectionConfigurations {
  return shared?.config ?? resolveConnectionConfigurations(configurations);
}

/** The shared pool, made on first use. */
export function getSharedPool(): HttpConnectionPool {
  return (shared ??= new HttpConnectionPool(configurations));
}

/** The pool around a caller's agent: the shared configurations' queue limits, the caller's sockets. */
export function poolForAgent(agent: http.Agent): HttpConnectionPool {
  let pool = agentPools.get(agent);
  if (pool === undefined || pool.stats().closed) {
    pool = new HttpConnectionPool({ ...configurations, agent });
    agentPools.set(agent, pool);
    knownAgentPools.add(new WeakRef(pool));
  }
  return pool;
}

/** Stats of the shared pool (zeros before its first use). */
export function getHttpPoolStats(): HttpPoolStats {
  return shared?.stats() ?? { active: 0, queued: 0, busySockets: 0, freeSockets: 0, closed: false };
}

/** Metrics of the shared pool since it was made (zeros before its first use). */
export function getHttpMetrics(): HttpMetricsSnapshot {
  return shared?.metrics() ?? new HttpMetrics().snapshot();
}

/**
 * Closes the shared pool now (its sockets included); the next call makes a new one. Callers'
 * agents are never closed. Useful at shutdown and between tests; idle sockets do not keep the
 * process alive anyway.
 */
export function closeConnectionPool(): void {
  const previous = shared;
  shared = undefined;
  previous?.close();
  for (const pool of retiringAgentPools()) pool.close();
  agentPools = new WeakMap();
}

// Agent pools are weakly held by their agent; this set lets configuration changes reach them.
const knownAgentPools = new Set<WeakRef<HttpConnectionPool>>();

function retiringAgentPools(): HttpConnectionPool[] {
  const pools: HttpConnectionPool[] = [];
  for (const ref of knownAgentPools) {
    const pool = ref.deref();
    if (pool === undefined) knownAgentPools.delete(ref);
    else pools.push(pool);
  }
  knownAgentPools.clear();
  agentPools = new WeakMap();
  return pools;
}
