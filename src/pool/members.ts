/**
 * The pool's members: every real synthesizer it owns (connecting, idle, lent out or closing) and
 * what the pool knows about each. A member stays here until its socket is closed, which is how
 * sockets still closing count toward `maxSize`.
 */
import { ConnectionError } from '../errors/index.js';
import type { SpeechSynthesizer } from '../synthesizer/speech-synthesizer.js';
import { Deferred } from '../util/async.js';
import type { DiscardReason } from './events.js';
import type { BorrowRunner } from './with-synthesizer.js';

/** One pooled synthesizer and its bookkeeping. */
export class Member {
  borrowed = false;
  renewing = false;
  pinging = false;
  lastPingAt = performance.now();
  /** `performance.now()` of the current borrow. */
  borrowedAt = 0;
  /** `performance.now()` when its last task ended; kept only with `abandonedAfterMs`. */
  lastTaskEndAt = 0;
  /** Where the current borrow was made; captured only with `abandonedAfterMs`. */
  borrowStack: string | undefined;
  /** Set before the pool closes it, for the `discard` event. */
  discardReason: DiscardReason | undefined;
  /** Runs its `withSynthesizer` borrows (made on the first). */
  runner: BorrowRunner | undefined;

  constructor(
    readonly synth: SpeechSynthesizer,
    /** Idle time after which this member's connection is renewed (jittered per member). */
    public renewAfterMs: number,
  ) {}
}

/** The registry of members, and the count of those whose socket is being closed. */
export class Members {
  readonly #bySynth = new Map<SpeechSynthesizer, Member>();
  #closing = 0;
  #freed = new Deferred<void>();

  /** Members, those closing included. */
  get size(): number {
    return this.#bySynth.size;
  }

  /** Members whose socket is being closed. */
  get closing(): number {
    return this.#closing;
  }

  /** Resolves the next time a member leaves (or at {@link wakeAll}). */
  get freed(): Promise<void> {
    return this.#freed.promise;
  }

  get(synth: SpeechSynthesizer): Member | undefined {
    return this.#bySynth.get(synth);
  }

  /** The member of a synthesizer the pool lent, which must be one. */
  lent(synth: SpeechSynthesizer): Member {
    const member = this.#bySynth.get(synth);
    // Cannot happen: every lent synthesizer is a member. Fail loudly rather than lend a stray.
    if (!member) throw new ConnectionError('internal: the pool lent a synthesizer it does not own');
    return member;
  }

  has(synth: SpeechSynthesizer): boolean {
    return this.#bySynth.has(synth);
  }

  values(): IterableIterator<Member> {
    return this.#bySynth.values();
  }

  /** Registers a new synthesizer, before it connects. */
  add(synth: SpeechSynthesizer, renewAfterMs: number): Member {
    const member = new Member(synth, renewAfterMs);
    this.#bySynth.set(synth, member);
    return member;
  }

  /** Closes a member's synthesizer; it leaves once the socket is closed. No-op for a non-member. */
  async forget(synth: SpeechSynthesizer): Promise<void> {
    if (!this.#bySynth.has(synth)) return;
    this.#closing += 1;
    try {
      await synth.close();
    } finally {
      this.#closing -= 1;
      this.#bySynth.delete(synth);
      const freed = this.#freed;
      this.#freed = new Deferred<void>();
      freed.resolve();
    }
  }

  /** Closes every member. */
  async forgetAll(): Promise<void> {
    await Promise.all([...this.#bySynth.keys()].map((synth) => this.forget(synth)));
  }

  /** Wakes whoever waits on {@link freed} (at shutdown, so that waits for room end). */
  wakeAll(): void {
    this.#freed.resolve();
  }
}

/** Idle time after which a connection is renewed: `renewIdleAfterMs` ± 10 %, so renewals spread out. */
export function jitteredRenewAfter(renewIdleAfterMs: number): number {
  return renewIdleAfterMs * (0.9 + Math.random() * 0.2);
}
