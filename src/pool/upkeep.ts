/**
 * Upkeep of idle connections, on a timer that never keeps the process alive:
 * - renewal: a connection idle for about `renewIdleAfterMs` is replaced make-before-break, before
 *   the server closes it (about 60 s without a task: docs/protocol.md, "Idle close");
 * - ping: an idle connection is pinged every `heartbeatIntervalMs`, to find half-open sockets
 *   (a peer gone without a close looks alive until a write fails);
 * - eviction: the health check that decides which idle synthesizer may be lent and which the
 *   pool must close and replace.
 */
import { asDashScopeError } from '../errors/convert.js';
import { kIdleMs, kRenewConnection } from '../synthesizer/internal.js';
import type { SpeechSynthesizer } from '../synthesizer/speech-synthesizer.js';
import type { Connector } from './connector.js';
import type { EmitPoolEvent } from './events.js';
import type { PoolLifecycle } from './lifecycle.js';
import { jitteredRenewAfter, type Member, type Members } from './members.js';
import type { PoolMetricsRecorder } from './metrics.js';
import type { ResolvedPoolOptions } from './options.js';

/** The parts of the pool upkeep works with. */
export interface UpkeepParts {
  readonly options: ResolvedPoolOptions;
  readonly members: Members;
  readonly metrics: PoolMetricsRecorder;
  readonly emit: EmitPoolEvent;
  readonly lifecycle: PoolLifecycle;
  readonly connector: Connector;
  /** Run on every upkeep tick too (e.g. the abandoned-borrow check). */
  readonly onTick?: (() => void) | undefined;
}

export class Upkeep {
  readonly #parts: UpkeepParts;
  #timer: NodeJS.Timeout | undefined;
  /** Idle longer than this, a connection is too close to the server's idle close to be lent. */
  readonly #idleLimitMs: number;
  #renewalsInFlight = 0;

  constructor(parts: UpkeepParts) {
    this.#parts = parts;
    const { serverIdleTimeoutMs } = parts.options;
    this.#idleLimitMs = serverIdleTimeoutMs - Math.min(5_000, serverIdleTimeoutMs * 0.1);
  }

  /** Starts the upkeep timer; it never keeps the process alive. */
  start(): void {
    this.#timer ??= setInterval(() => this.#maintain(), this.#parts.options.maintenanceIntervalMs);
    this.#timer.unref();
  }

  /** Stops the upkeep timer. */
  stop(): void {
    clearInterval(this.#timer);
  }

  /** Safe to lend: a member, open, idle, last task clean, and not about to meet the server's idle close. */
  isLendable(synth: SpeechSynthesizer): boolean {
    try {
      if (!this.#parts.members.has(synth) || !synth.isReusable()) return false;
      return (synth[kIdleMs] ?? 0) < this.#idleLimitMs;
    } catch {
      return false;
    }
  }

  /** Whether an idle member must be closed and replaced; marks why, for the `discard` event. */
  shouldEvict(synth: SpeechSynthesizer): boolean {
    const member = this.#parts.members.get(synth);
    if (member?.renewing) return false;
    const healthy = this.isLendable(synth);
    if (!healthy && member) member.discardReason = 'idle-unhealthy';
    return !healthy;
  }

  /** Renews connections nearing the server's idle close and pings idle ones (half-open check). */
  #maintain(): void {
    const { options, members, lifecycle, onTick } = this.#parts;
    if (lifecycle.stopped) return;
    onTick?.();
    const renewLimit = Math.max(2, Math.ceil(options.maxSize / 10));
    const heartbeat = options.heartbeatIntervalMs;
    const now = performance.now();
    for (const member of members.values()) {
      if (member.borrowed || member.renewing || member.pinging) continue;
      const synth = member.synth;
      if (!synth.isReusable()) continue; // the evictor replaces it
      const idle = synth[kIdleMs] ?? 0;
      if (idle >= member.renewAfterMs) {
        if (this.#renewalsInFlight < renewLimit) void this.#renew(member);
      } else if (heartbeat > 0 && idle >= heartbeat && now - member.lastPingAt >= heartbeat) {
        void this.#ping(member);
      }
    }
  }

  async #renew(member: Member): Promise<void> {
    const { options, metrics, emit, lifecycle, connector } = this.#parts;
    member.renewing = true;
    this.#renewalsInFlight += 1;
    try {
      const renewed = await member.synth[kRenewConnection](lifecycle.signal);
      if (renewed) {
        metrics.connections.renewed += 1;
        member.renewAfterMs = jitteredRenewAfter(options.renewIdleAfterMs);
        emit('renew', { connectionId: member.synth.connectionId });
      }
    } catch (error) {
      const failure = asDashScopeError(error);
      if (lifecycle.isShutDown || connector.recordFailure(failure)) return;
      // Keep the old connection; try again later, backing off while the endpoint fails.
      member.renewAfterMs = (member.synth[kIdleMs] ?? 0) + connector.backOffMs();
    } finally {
      member.renewing = false;
      this.#renewalsInFlight -= 1;
    }
  }

  async #ping(member: Member): Promise<void> {
    member.pinging = true;
    try {
      await member.synth.ping(this.#parts.options.pingTimeoutMs);
    } finally {
      member.lastPingAt = performance.now();
      member.pinging = false;
    }
  }
}
