/**
 * Switches that make the local generation endpoints misbehave on purpose, for tests of timeouts,
 * retries and stale kept-alive sockets. All off by default; `reset()` turns them all off.
 */

/** An error reply to inject. */
export interface InjectedFailure {
  status: number;
  /** DashScope error code; defaults per status (`Throttling.RateQuota` for 429, `InternalError` for 5xx). */
  code?: string | undefined;
  message?: string | undefined;
  /** Sent as `Retry-After` (seconds). */
  retryAfterSeconds?: number | undefined;
  /** Answer with an HTML page (like a gateway's 502) instead of DashScope's JSON. */
  html?: boolean | undefined;
}

/** Fault switches of one endpoint. Plain fields may be set directly. */
export class GenerationFaults {
  /** Delay before the response head (ms): provokes read timeouts. */
  headDelayMs = 0;
  /** Delay before each stream event after the first (ms): provokes read timeouts mid-stream. */
  eventDelayMs = 0;
  /** After this many result events, send `event:error` (DataInspectionFailed, 400) and end the stream. */
  streamErrorAfterEvents: number | undefined = undefined;
  /**
   * After this many result events, close the connection without ending the chunked body: the
   * events sent arrive, then the connection drops mid-stream.
   */
  dropStreamAfterEvents: number | undefined = undefined;
  /** Accept requests but never answer them (the socket stays open until the endpoint closes). */
  blackHole = false;
  /**
   * A kept-alive socket idle at least this long is reset (TCP RST, no answer) when it carries its
   * next request: what a gateway that silently forgot the connection does. Provokes stale sockets.
   */
  resetIdleSocketsAfterMs: number | undefined = undefined;
  /** Answer with `Connection: close`, so every request needs a new connection. */
  closeConnections = false;
  #failures: InjectedFailure[] = [];
  #reusedResets = 0;
  #resets = 0;

  /** The next `count` valid requests get this error reply. */
  failNext(count: number, failure: InjectedFailure): void {
    for (let i = 0; i < count; i += 1) this.#failures.push({ ...failure });
  }

  /** The next `count` requests that arrive on a reused (kept-alive) socket get the socket reset instead of an answer. */
  resetNextOnReusedSocket(count: number): void {
    this.#reusedResets += count;
  }

  /** The next `count` requests, on any socket, get the socket reset instead of an answer. */
  resetNextRequests(count: number): void {
    this.#resets += count;
  }

  /** Turns every switch off. */
  reset(): void {
    this.headDelayMs = 0;
    this.eventDelayMs = 0;
    this.streamErrorAfterEvents = undefined;
    this.dropStreamAfterEvents = undefined;
    this.blackHole = false;
    this.resetIdleSocketsAfterMs = undefined;
    this.closeConnections = false;
    this.#failures = [];
    this.#reusedResets = 0;
    this.#resets = 0;
  }

  /** Takes the next injected failure, if any. @internal */
  takeFailure(): InjectedFailure | undefined {
    return this.#failures.shift();
  }

  /** Whether this request should be reset now (consumes one switch). @internal */
  takeReset(reusedSocket: boolean): boolean {
    if (this.#resets > 0) {
      this.#resets -= 1;
      return true;
    }
    if (!reusedSocket || this.#reusedResets <= 0) return false;
    this.#reusedResets -= 1;
    return true;
  }
}
