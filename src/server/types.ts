/**
 * Public types of the local DashScope-compatible server (`dashscope-tts-pool/server`).
 */
import type { EventEmitter } from 'node:events';

/** Which speech engine the server uses. */
export type EngineName = 'espeak' | 'synthetic';

/** Timing knobs that make the local server behave like the remote service (all default to 0). */
export interface PacingOptions {
  /** Extra delay before the first sentence of every task is synthesized (models first-packet latency). */
  firstAudioDelayMs?: number;
  /** Audio of duration d is not sent faster than `realTimeFactor * d` (0 = as fast as possible). */
  realTimeFactor?: number;
  /** Adds half of this to each direction: inbound messages and outbound frames are delayed, order kept. */
  roundTripMs?: number;
}

/** Options of {@link startLocalServer}. */
export interface LocalServerOptions {
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string;
  /** Port. Default 0 (ephemeral). */
  port?: number;
  /**
   * When set, the upgrade must carry `Authorization: Bearer <apiKey>` (scheme case-insensitive),
   * else HTTP 401 with a JSON body. When unset, any non-empty Authorization header is accepted.
   * Either way, a temporary key minted by `POST /api/v1/tokens` is accepted until its
   * `expires_at`, then refused with 401.
   */
  apiKey?: string;
  /** Serve `wss://` (and `https://`) with this key and certificate. */
  tls?: {
    /** The private key, PEM. */
    key: string | Buffer;
    /** The certificate, PEM. */
    cert: string | Buffer;
  };
  /** Default `'auto'`: espeak-ng when it can be imported, else the built-in synthetic voice. */
  engine?: 'auto' | EngineName;
  /** A socket with no task for this long is closed. Default 60 000 ms. */
  idleTimeoutMs?: number;
  /** A task without client input or audio for this long fails with CLIENT_ERROR. Default 23 000 ms. */
  taskInactivityTimeoutMs?: number;
  /**
   * Default false: continue-task / finish-task that arrive before task-started was written are
   * queued (the Java SDK's eager start). True: they fail the task.
   */
  strictTaskStarted?: boolean;
  /** Timing that makes the server behave like the remote service (all off by default). */
  pacing?: PacingOptions;
  /** Approximate size of binary frames. Default 8000 bytes. */
  audioChunkBytes?: number;
  /**
   * Speak and encode one sentence per language before resolving, so that the first tasks do not
   * pay espeak's and the encoders' WebAssembly warm-up (about 0.2–0.5 s, seen as first-packet
   * delay). Default false: tests and one-off calls start faster without it.
   */
  warmUp?: boolean;
  /** Receives one line per notable event. Default: no output. */
  logger?: (line: string) => void;
  /** Account-wide limits across all connections; tasks over them fail with `Throttling.RateQuota`. */
  accountLimits?: AccountLimitOptions;
}

/** The account's quota as the local server enforces it (unset: no limit). */
export interface AccountLimitOptions {
  /** Tasks running at once across every connection. */
  maxConcurrentTasks?: number;
  /** Tasks started in any one-second window (a sliding window). */
  maxTasksPerSecond?: number;
}

/** What the account limits saw: peaks and throttled run-tasks (limits are null when unset). */
export interface AccountLimitStats {
  /** The `accountLimits.maxConcurrentTasks` in force; null without that limit. */
  maxConcurrentTasks: number | null;
  /** The `accountLimits.maxTasksPerSecond` in force; null without that limit. */
  maxTasksPerSecond: number | null;
  /** Tasks running now, across all connections. */
  activeTasks: number;
  /** The most tasks that ran at once. */
  peakConcurrentTasks: number;
  /** The most tasks started within one second (sliding window). */
  peakTasksPerSecond: number;
  /** Run-tasks refused with `Throttling.RateQuota`, by the limit they hit. */
  throttled: {
    /** Refused because `maxConcurrentTasks` tasks were running. */
    concurrency: number;
    /** Refused because `maxTasksPerSecond` tasks had started within the last second. */
    rate: number;
    /** Both together. */
    total: number;
  };
}

/** Per-task faults that {@link FaultController.injectTaskFault} can inject. */
export type TaskFault =
  | 'fail-at-start'
  | 'fail-mid-stream'
  | 'drop-mid-stream'
  | 'close-mid-stream'
  | 'hang'
  | 'throttle'
  /** The task's audio is sent no faster than real time, whatever the server's pacing. */
  | 'slow';

/** HTTP statuses with which upgrades can be refused. */
export type RefusalStatus = 401 | 403 | 429 | 503;

/** Run-time fault injection. */
export interface FaultController {
  /** The next `count` (default 1) tasks get `fault`; with `match`, only tasks whose first text contains that substring (counted per matching task). */
  injectTaskFault(fault: TaskFault, options?: { count?: number; match?: string }): void;
  /** Each task gets `fault` with this probability (0 disables), for load tests. */
  setTaskFaultRate(fault: TaskFault, probability: number): void;
  /** Refuse WebSocket upgrades with this HTTP status (401, 403, 429 or 503, JSON body like the real service), or null to accept again. */
  refuseUpgrades(status: RefusalStatus | null): void;
  /** Destroy every new TCP connection immediately for `durationMs` (models the endpoint being down). */
  refuseConnections(durationMs: number): void;
  /** Terminate every open WebSocket now (no close frame). Returns how many were terminated. */
  killAllConnections(): number;
  /**
   * Close every WebSocket that runs no task now, as the idle close does (close 1000, "idle
   * timeout"): an idle-close storm. Returns how many were closed.
   */
  closeIdleConnections(): number;
  /** Change the idle-close timeout at run time. */
  setIdleTimeout(ms: number): void;
  /** Removes every injected fault, rate, refusal and connection block. */
  clearFaults(): void;
}

/** Counters a test or benchmark can read. */
export interface LocalServerStats {
  /** WebSocket connections open now. */
  openConnections: number;
  /** WebSocket upgrades accepted since the start. */
  connectionsAccepted: number;
  /** WebSocket upgrades refused (bad path, bad key, injected refusal). */
  upgradesRejected: number;
  /** Temporary keys minted by `POST /api/v1/tokens`. */
  tokensMinted: number;
  /** Client text frames received in total. */
  messagesReceived: number;
  /** Tasks by how they ended, and those running. */
  tasks: {
    /** Tasks whose run-task was accepted. */
    started: number;
    /** Tasks that ended with task-finished. */
    finished: number;
    /** Tasks that ended with task-failed. */
    failed: number;
    /** Tasks cancelled by the client. */
    cancelled: number;
    /** Tasks ended by the connection going away (client close, drop or close faults, kill). */
    aborted: number;
    /** Tasks running now. */
    active: number;
  };
  /** Audio bytes sent per task id; keeps the last ~10 000 tasks. */
  bytesSentByTask: ReadonlyMap<string, number>;
  /** Account-wide peaks and throttles (see `accountLimits`). */
  account: AccountLimitStats;
}

/** A running local server. */
export interface LocalServer {
  /** `ws://127.0.0.1:<port>/api-ws/v1/inference` (`wss://` with tls). */
  readonly url: string;
  /** `http://127.0.0.1:<port>/api/v1` (`https://` with tls). */
  readonly httpBaseUrl: string;
  /** The port it listens on. */
  readonly port: number;
  /** The speech engine in use: `espeak` (real speech) or `synthetic` (tones). */
  readonly engine: EngineName;
  /** Fault injection, for tests. */
  readonly faults: FaultController;
  /**
   * Emits `connection` ({connectionId}), `client-message` ({connectionId, action, taskId, message}),
   * `task-started` | `task-finished` | `task-failed` | `task-cancelled` ({connectionId, taskId, errorCode?})
   * and `disconnect` ({connectionId, code}).
   */
  readonly events: EventEmitter;
  /** A snapshot of the server's counters. */
  stats(): LocalServerStats;
  /** Terminates every socket, clears every timer, resolves when the port is closed. Idempotent. */
  close(): Promise<void>;
}
