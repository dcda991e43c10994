/**
 * Abandoned-borrow detection (Commons Pool2's `removeAbandoned`): a synthesizer borrowed and idle
 * (no task running) longer than `abandonedAfterMs` is taken back, so that a borrower who threw
 * before `returnSynthesizer()` does not leak a slot for the life of the process. Off by default;
 * the stack of each borrow is captured only when it is on.
 */
import type { AbandonInfo } from './events.js';
import type { Member, Members } from './members.js';

export class AbandonedCheck {
  readonly #members: Members;
  readonly #limitMs: number | undefined;
  readonly #reclaim: (member: Member, info: AbandonInfo) => void;

  /**
   * @param limitMs `abandonedAfterMs`; undefined turns the check off.
   * @param reclaim takes a member back from its borrower (the pool's bookkeeping, event and close).
   */
  constructor(
    members: Members,
    limitMs: number | undefined,
    reclaim: (member: Member, info: AbandonInfo) => void,
  ) {
    this.#members = members;
    this.#limitMs = limitMs;
    this.#reclaim = reclaim;
  }

  /**
   * Where a borrow is made, when the check is on (else undefined: no stack is captured). Call it
   * from the borrow method itself: this frame and that one are left out.
   */
  captureStack(): string | undefined {
    if (this.#limitMs === undefined) return undefined;
    const lines = (new Error().stack ?? '').split('\n');
    return ['Borrowed', ...lines.slice(3)].join('\n');
  }

  /** Takes back every borrowed synthesizer that has run no task for longer than the limit. */
  check(): void {
    const limitMs = this.#limitMs;
    if (limitMs === undefined) return;
    const now = performance.now();
    for (const member of [...this.#members.values()]) {
      if (!member.borrowed || member.synth.state === 'busy') continue;
      const borrowedForMs = now - member.borrowedAt;
      // Idle since the borrow or since its last task ended, whichever is later.
      const idleMs = now - Math.max(member.borrowedAt, member.lastTaskEndAt);
      if (idleMs < limitMs) continue;
      this.#reclaim(member, {
        connectionId: member.synth.connectionId,
        borrowedForMs,
        idleMs,
        stack: member.borrowStack,
      });
    }
  }
}
