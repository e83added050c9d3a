import type { DeliveryAttempt } from '../domain/reminder';
import { isRedisUnavailable } from '../store/redis';
import type { DeliveryHooks, SendOutcome } from '../wechat/message-sender';
import type { OccurrenceKind } from './occurrence-kind';
import type { Outcome } from './outcome';

/** What an occurrence needs of the pipeline that holds it: its claims' owner and lease. */
export interface ClaimTerms {
  readonly owner: string; // the pipeline's owner token: claims are compare-and-set on it
  readonly leaseMs: number;
  readonly now: () => number;
  abandoned: boolean; // a stop stopped waiting and gave the claims back
}

/**
 * One occurrence `<id>:<slot>` of a kind in a pipeline, from its submit to its end: queued, then
 * claimed and held. It is also the sender's DeliveryHooks (methods, not a closure per send): the
 * attempts on the way go to its kind, kept for later while Redis is away, and `keepClaim` renews
 * its lease between retries.
 */
export class Occurrence implements DeliveryHooks {
  leaseUntil = 0; // our clock's view of when the claim's lease runs out
  unwritten: DeliveryAttempt[] | undefined; // attempts Redis could not take; written before the outcome
  stage: 'none' | 'sending' | 'recording' = 'none'; // its pipeline's send slot: held, or given up after the answer
  recorded = false; // its outcome is in Redis, written by this holder

  constructor(
    readonly kind: OccurrenceKind<unknown>,
    readonly id: string,
    readonly slot: number,
    readonly name: string, // `<id>:<slot>`, as in delivery records
    private readonly terms: ClaimTerms,
  ) {}

  /** Claims it (null: not due, or someone else's); its lease is counted from the answer. */
  async claim(): Promise<unknown> {
    const { owner, leaseMs, now } = this.terms;
    const item = await this.kind.claim(this.id, this.slot, owner, leaseMs);
    this.leaseUntil = now() + leaseMs;
    return item;
  }

  release(): Promise<boolean> {
    return this.kind.releaseClaim(this.id, this.slot, this.terms.owner);
  }

  async onAttempt(attempt: DeliveryAttempt): Promise<void> {
    try {
      await this.kind.recordAttempt(this.id, attempt);
    } catch (err) {
      if (!isRedisUnavailable(err)) throw err;
      (this.unwritten ??= []).push(attempt);
    }
  }

  async keepClaim(): Promise<boolean> {
    const { owner, leaseMs, now, abandoned } = this.terms;
    if (abandoned) return false;
    const kept = await this.kind.extendClaim(this.id, this.slot, owner, leaseMs);
    if (kept) this.leaseUntil = now() + leaseMs;
    return kept;
  }
}

/**
 * The occurrences a pipeline has queued or in flight, per kind: id → slot (or slots: a recurring
 * item's next may come due before its last has ended). The scheduler's sweeps offer again every due
 * occurrence not yet recorded, thousands during a spike, so the answer is found without building a
 * string.
 */
export class InFlight {
  private readonly byKind = new Map<OccurrenceKind<unknown>, Map<string, number | number[]>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(kind: OccurrenceKind<unknown>, id: string, slot: number): boolean {
    const held = this.byKind.get(kind)?.get(id);
    return held === slot || (Array.isArray(held) && held.includes(slot));
  }

  /** Adds `<id>:<slot>` of `kind`; false when it is there already. */
  add(kind: OccurrenceKind<unknown>, id: string, slot: number): boolean {
    let ids = this.byKind.get(kind);
    if (!ids) this.byKind.set(kind, (ids = new Map()));
    const held = ids.get(id);
    if (held === slot || (Array.isArray(held) && held.includes(slot))) return false;
    ids.set(id, held === undefined ? slot : Array.isArray(held) ? [...held, slot] : [held, slot]);
    this.count += 1;
    return true;
  }

  delete(o: Pick<Occurrence, 'kind' | 'id' | 'slot'>): void {
    const ids = this.byKind.get(o.kind);
    const held = ids?.get(o.id);
    if (held === o.slot) {
      ids?.delete(o.id);
    } else if (Array.isArray(held) && held.includes(o.slot)) {
      const rest = held.filter((s) => s !== o.slot);
      ids?.set(o.id, rest.length === 1 ? (rest[0] as number) : rest);
    } else {
      return;
    }
    this.count -= 1;
  }
}

/** How an occurrence's send ended: an outcome with the attempt that ended it, or none (paused, lost). */
export type Ended = Pick<SendOutcome, 'errcode' | 'errmsg' | 'msgid' | 'last'> & {
  status: Outcome | 'paused' | 'lost';
};

/** An occurrence that ended without a call to WeChat, its one attempt made of it. */
export function endedWithoutCall(occurrence: string, at: number, status: Outcome, errmsg: string): Ended {
  const last: DeliveryAttempt = {
    occurrence,
    attempt: 1,
    at: new Date(at).toISOString(),
    latencyMs: 0,
    errcode: null,
    errmsg,
    msgid: null,
    result: status,
  };
  return { status, errcode: null, errmsg, msgid: null, last };
}
