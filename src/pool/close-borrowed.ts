/**
 * The part of `shutdown()` that deals with what is still borrowed: a synthesizer that runs no
 * task is closed at once, one that runs a task as soon as the task ends or the grace period does,
 * whichever is first. A borrower's later return finds it closed.
 */
import { kWhenIdle } from '../synthesizer/internal.js';
import type { SpeechSynthesizer } from '../synthesizer/speech-synthesizer.js';
import { settleWithin } from '../util/async.js';
import type { Member, Members } from './members.js';

/**
 * Closes every borrowed member's synthesizer within `graceMs`.
 * @param takeBack ends the borrow without the borrower (before the close).
 * @param destroy closes the synthesizer and lets the pool forget it.
 */
export async function closeBorrowed(
  members: Members,
  graceMs: number,
  takeBack: (member: Member) => void,
  destroy: (synth: SpeechSynthesizer) => Promise<void>,
): Promise<void> {
  const deadline = performance.now() + graceMs;
  const borrowed = [...members.values()].filter((member) => member.borrowed);
  await Promise.all(
    borrowed.map(async (member) => {
      const synth = member.synth;
      if (synth.state === 'busy') await settleWithin(synth[kWhenIdle](), deadline - performance.now());
      if (!member.borrowed) return; // returned meanwhile
      takeBack(member);
      await destroy(synth);
    }),
  );
}
