/**
 * HttpConnectionPool: Node's keep-alive `http`/`https` agents (or a caller's agent), the request
 * queue in front of them, and the metrics. One pool per process is shared by default (see
 * `shared.ts`); each call borrows a slot, sends one request (re-sent once on a stale socket) and
 * gives the slot back when the socket is back in the agent's free list.
 */
import http from 'node:http';
import https from 'node:https';
import { HttpPoolClosedError, InvalidOptionError } from '../errors/index.js';
import { resolveConnectionConfigurations } from './config.js';
import type { ConnectionConfigurations, ResolvedConnectionConfigurations } from './config.js';
import { HttpMetrics } from './metrics.js';
import type { HttpMetricsSnapshot } from './metrics.js';
import { RequestQueue } from './request-queue.js';
import { sendRequest } from './transport.js';
import type { Exchange } from './transport.js';

/**
 * First TCP keep-alive probe after this much idle time. Gateways and NATs drop idle flows after
 * a minute or more; probing earlier keeps them, and finds dead peers before a request does.
 */
const TCP_KEEPALIVE_DELAY_MS = 15_000;

/** Options of a pool: the connection configurations, or a caller's agent. */
export interface HttpConnectionPoolOptions extends ConnectionConfigurations {
  /**
   * A caller-owned `http.Agent` or `https.Agent` used for every request, in place of the pool's
   * own agents. The pool never closes it or its sockets; its socket limits are the caller's.
   */
  agent?: http.Agent | undefined;
  /**
   * TLS settings of the pool's own `https` agent, e.g. the CA of a private gateway or of a local
   * server with a self-signed certificate. Ignored with a caller's agent.
   */
  tls?:
    Pick<https.AgentOptions, 'ca' | 'rejectUnauthorized' | 'servername' | 'maxCachedSessions'> | undefined;
}

/** Live state of a pool (a copy). */
export interface HttpPoolStats {
  /** Requests holding a slot. */
  active: number;
  /** Requests waiting for a slot. */
  queued: number;
  /** Open sockets serving a request. */
  busySockets: number;
  /** Open idle sockets kept for reuse. */
  freeSockets: number;
  /** Whether the pool was closed (`close()` or `closeConnectionPool()`). */
  closed: boolean;
}

/** What `dispatch` sends. */
export interface PoolRequest {
  url: URL;
  headers: Record<string, string>;
  body: Buffer;
  signal: AbortSignal;
}

/** A keep-alive connection pool for the HTTP generation APIs. */
export class HttpConnectionPool {
  /** The settings in force, after defaults, environment and validation. */
  readonly config: ResolvedConnectionConfigurations;
  readonly #queue: RequestQueue;
  readonly #metrics = new HttpMetrics();
  readonly #callerAgent: http.Agent | undefined;
  #httpAgent: http.Agent | undefined;
  #httpsAgent: https.Agent | undefined;
  #closed = false;
  #retiring = false;
  readonly #tls: NonNullable<HttpConnectionPoolOptions['tls']>;

  /**
   * @param options connection configurations (else the Java SDK's environment variables, else
   *   defaults), and optionally a caller-owned agent.
   * @throws {InvalidOptionError} for a bad option, naming it and its value.
   */
  constructor(options: HttpConnectionPoolOptions = {}, env: NodeJS.ProcessEnv = process.env) {
    const { agent, tls, ...configurations } = options;
    if (tls !== undefined && (typeof tls !== 'object' || tls === null)) {
      throw new InvalidOptionError('tls', 'tls must be an object of https.Agent TLS options');
    }
    this.#tls = tls ?? {};
    if (agent !== undefined && !(agent instanceof http.Agent)) {
      throw new InvalidOptionError('agent', 'agent must be an http.Agent or https.Agent');
    }
    this.config = resolveConnectionConfigurations(configurations, env);
    this.#callerAgent = agent;
    this.#queue = new RequestQueue({
      maxActive: this.config.maximumAsyncRequests,
      maxActivePerHost: this.config.maximumAsyncRequestsPerHost,
      maxQueued: this.config.maxQueuedRequests,
      queueTimeoutMs: this.config.queueTimeout,
    });
  }

  /** Live counts: slots in use, waiters, busy and idle sockets. */
  stats(): HttpPoolStats {
    let busySockets = 0;
    let freeSockets = 0;
    for (const agent of this.#agents()) {
      for (const list of Object.values(agent.sockets)) busySockets += list?.length ?? 0;
      for (const list of Object.values(agent.freeSockets)) freeSockets += list?.length ?? 0;
    }
    return {
      active: this.#queue.active,
      queued: this.#queue.queued,
      busySockets,
      freeSockets,
      closed: this.#closed,
    };
  }

  /** Counters and latency percentiles since the pool was made. */
  metrics(): HttpMetricsSnapshot {
    return this.#metrics.snapshot();
  }

  /**
   * Closes the pool now: waiting requests fail with `HttpPoolClosedError`, and the pool's own
   * agents are destroyed with all their sockets (requests in flight fail). A caller's agent is
   * left open. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.close();
    this.#httpAgent?.destroy();
    this.#httpsAgent?.destroy();
  }

  /**
   * Stops reusing idle sockets and closes the pool once its queued and in-flight requests are
   * done. Used when the shared pool is replaced, so no call in progress is cut off.
   */
  retire(): void {
    this.#retiring = true;
    this.#evictIdle();
    this.#closeIfDrained();
  }

  /**
   * Sends one request through the pool: waits for a slot, sends, and resolves at the response
   * head. The slot is given back when `closed` resolves. For the library's clients.
   * @internal
   */
  async dispatch(request: PoolRequest): Promise<Exchange> {
    if (this.#closed) throw new HttpPoolClosedError();
    const agent = this.#agentFor(request.url);
    const release = await this.#queue.acquire(request.url.origin, request.signal);
    let exchange: Exchange;
    try {
      if (this.#closed) throw new HttpPoolClosedError();
      exchange = await sendRequest(
        { ...request, agent, timeouts: this.config },
        {
          onSocket: (reused) => this.#metrics.requestSent(reused),
          onStaleSocket: () => {
            this.#metrics.staleSocketRetry();
            // Idle siblings of a socket the server dropped are suspect too, and the re-send must
            // get a fresh connection; a caller's agent is theirs to manage.
            if (this.#callerAgent === undefined) this.#evictIdle();
          },
        },
      );
    } catch (error) {
      release();
      this.#closeIfDrained();
      throw error;
    }
    // `closed` fires just before the agent files the socket as free; the queue hands the slot
    // on in a later microtask, so the next request finds the socket there.
    void exchange.closed.then(() => {
      release();
      this.#closeIfDrained();
    });
    return exchange;
  }

  /** Records a finished call in the metrics. @internal */
  recordCall(latencyMs: number, failed: boolean): void {
    this.#metrics.callFinished(latencyMs, failed);
  }

  /** Counts a started call. @internal */
  recordCallStart(): void {
    this.#metrics.callStarted();
  }

  /** Counts a policy retry. @internal */
  recordRetry(): void {
    this.#metrics.retry();
  }

  #agentFor(url: URL): http.Agent {
    if (this.#callerAgent !== undefined) {
      const protocol = (this.#callerAgent as { protocol?: string }).protocol;
      if (protocol !== undefined && protocol !== url.protocol) {
        throw new InvalidOptionError(
          'agent',
          `the agent speaks ${protocol} but the URL is ${url.protocol}: pass an ${url.protocol === 'https:' ? 'https' : 'http'}.Agent`,
        );
      }
      return this.#callerAgent;
    }
    const options: https.AgentOptions & { keepAliveInitialDelay: number } = {
      keepAlive: true,
      keepAliveMsecs: TCP_KEEPALIVE_DELAY_MS,
      // Passed on to net.connect, so TCP keep-alive is on from the first request, not only once idle.
      keepAliveInitialDelay: TCP_KEEPALIVE_DELAY_MS,
      // Node counts idle sockets here too, so sockets per host never exceed the per-host limit.
      maxSockets: this.config.maximumAsyncRequestsPerHost,
      maxFreeSockets: this.config.connectionPoolSize,
      // maxTotalSockets is left unbounded on purpose: Node counts idle sockets in it, and a full
      // set of idle sockets to one host would then starve requests to another until they expire.
      // The queue already bounds sockets in use by maximumAsyncRequests.
      timeout: this.config.connectionIdleTimeout,
      scheduling: 'lifo',
    };
    if (url.protocol === 'https:')
      return (this.#httpsAgent ??= new https.Agent({ ...options, ...this.#tls }));
    return (this.#httpAgent ??= new http.Agent(options));
  }

  *#agents(): Iterable<http.Agent> {
    if (this.#callerAgent) yield this.#callerAgent;
    if (this.#httpAgent) yield this.#httpAgent;
    if (this.#httpsAgent) yield this.#httpsAgent;
  }

  #evictIdle(): void {
    for (const agent of [this.#httpAgent, this.#httpsAgent]) {
      if (!agent) continue;
      for (const list of Object.values(agent.freeSockets)) {
        for (const socket of [...(list ?? [])]) socket.destroy();
      }
    }
  }

  #closeIfDrained(): void {
    if (this.#retiring && this.#queue.active === 0 && this.#queue.queued === 0) this.close();
  }
}
