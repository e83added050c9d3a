import type { PauseWindow } from '../store/send-pause-store';

/** What to do with a claimed occurrence: send announcing `sendAt`, or record a miss and why. */
export type Plan = PlanCommon &
  (
    | { sendAt: number; missed: null } // the slot the message announces
    | { sendAt: null; missed: { summary: string; detail: string } } // why (lastResult, delivery record)
  );

interface PlanCommon {
  next: number | null; // a recurring item's next slot (after now); null: the item is done
  deadline: number; // no retry starts after this
}

export interface PlanInput {
  slot: number; // the slot claimed
  now: number;
  graceMs: number; // MISFIRE_GRACE_SECONDS in ms
  window: PauseWindow | null; // the latest 45009 pause
  nextSlot: (afterMs: number) => number | null; // the kind's rule (null: a one-shot)
  latestSlot: (atMs: number, notBeforeMs: number) => number | null;
}

/**
 * Which instant to announce (null: record a miss), until when it may be retried, and where a
 * recurring item goes next. An occurrence may be sent until the misfire grace after its slot has
 * passed — or, if a 45009 pause held it back, the grace after the pause's end (a pause never turns
 * a send into a miss: docs/architecture.md#a-pause-is-never-a-miss). A recurring item sends at
 * most one message however many of its slots came due meanwhile, the latest still within its
 * grace (coalescing), and moves on to its first slot after now; slots come from the rule, never
 * from "now", so nothing drifts.
 */
export function planOccurrence(input: PlanInput): Plan {
  const { slot, now, graceMs, window } = input;
  const at = Math.max(now, slot); // a timer may fire a hair early
  const heldBack = (s: number) => window !== null && s <= window.end && s + graceMs >= window.start;
  const graceFrom = (s: number) => (window !== null && heldBack(s) ? Math.max(s, window.end) : s);

  let candidate: number | null = slot;
  let next = input.nextSlot(slot);
  if (next !== null && next <= at) {
    // Later slots came due too (the server was down, or sends were paused): only the latest
    // counts, and only within its grace, which none before `earliest` can still be.
    let earliest = at - graceMs;
    if (window && window.end + graceMs >= at) earliest = Math.min(earliest, window.start - graceMs);
    candidate = input.latestSlot(at, Math.max(slot, earliest));
    next = input.nextSlot(at);
  }
  if (candidate !== null && graceFrom(candidate) + graceMs >= at) {
    return { sendAt: candidate, next, deadline: graceFrom(candidate) + graceMs, missed: null };
  }
  const missed = { summary: 'missed', detail: `missed: due ${iso(slot)}, older than the misfire grace` };
  if (window && heldBack(slot)) {
    missed.summary = 'missed: held back by a sending pause (45009) longer than the misfire grace';
    missed.detail =
      `missed: due ${iso(slot)}, held back by the sending pause (45009) that ended ` +
      `${iso(window.end)}, and older than the misfire grace counted from the end of the pause`;
  }
  return { sendAt: null, next, deadline: at, missed };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
