import { randomBytes } from 'node:crypto';
import { occurrenceId, type LastResult } from '../domain/reminder';
import type { Logger } from '../logger';
import { isRedisUnavailable } from '../store/redis';
import type { MessageSender, SendOutcome } from '../wechat/message-sender';
import type { Admission } from './admission';
import { endedWithoutCall, InFlight, Occurrence, type ClaimTerms, type Ended } from './occurrence';
import type { OccurrenceKind, OccurrenceRecord } from './occurrence-kind';
import type { Outcome } from './outcome';
import { ClaimQueue } from './claim-queue';
import { planOccurrence } from './plan';

// An occurrence whose claim another instance took over: its new holder sends and records it.
const LOST: Ended = { status: 'lost', errcode: null, errmsg: 'claim lost', msgid: null, last: null };
// How an occurrence ends that is given back untouched, to be sent later (a pause, a stop).
const PAUSED: Ended = {
  status: 'paused',
  errcode: null,
  errmsg: 'sending paused (45009)',
  msgid: null,
  last: null,
};

/** One finished occurrence, as the pipeline reports it to the metrics. */
export interface OutcomeEvent {
  kind: string;
  status: Outcome;
  errcode: number | null;
  latenessMs: number; // send time − scheduled time
}

export interface PipelineOptions {
  kinds: OccurrenceKind<unknown>[]; // the first is the one `fire` (the scheduler's onFire) submits to
  sender: Pick<MessageSender, 'prepare' | 'send' | 'pausedHere' | 'notePause' | 'pauseWindow'>;
  admission: Pick<Admission, 'admit' | 'giveBack'>; // grant, daily allowance, pause: src/delivery/admission.ts
  logger: Logger;
  instanceId: string;
  concurrency: number; // in-flight occurrences per instance (SEND_CONCURRENCY)
  graceMs: number; // MISFIRE_GRACE_SECONDS in ms
  leaseMs?: number; // claim lease, default 30 s
  now?: () => number;
  onOutcome?: (event: OutcomeEvent) => void; // metrics
  // For the first kind's scheduler (the one `fire` serves). A recurring occurrence was recorded and
  // its item moved on to `slot`: held at once rather than when a sweep reads it (the record
  // publishes no event).
  onNextSlot?: (id: string, slot: number) => void;
  // An occurrence ended here without its outcome recorded (not claimed: someone else's, or not
  // due; Redis away; a pause; a stop; its lease lost): it may still be due, and only a read of
  // what is overdue finds it again.
  onLetGo?: () => void;
  onRedisError?: () => void; // metrics: an occurrence met Redis unavailable
}

/** How a graceful stop ended: every send finished, or the wait ran out and claims were given back. */
export interface DrainResult {
  finished: boolean; // all in-flight occurrences finished within the wait
  released: number; // claims given back because their occurrence had not finished
}

/**
 * "Send one message", for every kind of occurrence: turns a hint (a timer, a submit) into at most
 * one send. Claim the occurrence in Redis, plan (send, coalesce or record a miss), render, admit
 * (grant, daily allowance, pause: src/delivery/admission.ts), send, and record the outcome with its
 * last attempt in one compare-and-set on the claim. No lock is held across the WeChat call other
 * than the claim's lease, renewed between retries; a claim whose instance died is taken over once
 * its lease runs out. What each WeChat answer leads to is src/delivery/send-policy.ts.
 */
export class DeliveryPipeline {
  private readonly kinds = new Map<string, OccurrenceKind<unknown>>();
  private readonly first: string;
  private readonly inFlight = new InFlight();
  private readonly queue = new ClaimQueue<Occurrence>();
  // Claims this instance holds right now, so a stop that cannot wait for them gives them back.
  private readonly held = new Set<Occurrence>();
  private active = 0; // occurrences being claimed, waiting for a send slot, sending, or recording
  private sending = 0; // of which holding a send slot: at most `concurrency`
  private recording = 0; // of which answered, their outcome being written (slot already free)
  private readonly slotWaiters: (() => void)[] = []; // claimed, waiting for a send slot, in order
  private readonly ahead: number; // how many beyond `concurrency` may be claimed ahead
  private readonly chunk: number; // claims of one group taken together (one script call)
  private accepting = true;
  private readonly terms: ClaimTerms;
  private readonly now: () => number;
  private idle: (() => void) | undefined;

  constructor(private readonly options: PipelineOptions) {
    this.now = options.now ?? Date.now;
    this.terms = {
      // Unique per pipeline (the instance id is already pid + random) and short: every claim and
      // record carries it to Redis.
      owner: `${options.instanceId}:${randomBytes(6).toString('base64url')}`,
      leaseMs: options.leaseMs ?? 30_000,
      now: this.now,
      abandoned: false,
    };
    // A queue of due occurrences is claimed a little ahead of the sends (half as many as the send slots), a
    // chunk of one claim group (a shard) at a time in one script call, and admitted (grant, daily
    // allowance) as it is claimed, in one call per chunk too: a slot that frees goes straight on
    // to an admitted occurrence instead of first waiting for two round trips. A claim taken
    // ahead is held only until a slot frees (milliseconds); one an instance dies holding is taken
    // over after its lease like any other, never sent twice: nothing was sent for it. Kept small
    // so that instances sharing a spike still share it.
    this.ahead = Math.ceil(options.concurrency / 2);
    this.chunk = Math.ceil(this.ahead / 2);
    for (const kind of options.kinds) this.register(kind);
    this.first = options.kinds[0]?.name ?? '';
  }

  get pending(): number {
    return this.inFlight.size;
  }

  /** The names of the kinds of occurrence it sends, in the order registered. */
  get kindNames(): string[] {
    return [...this.kinds.keys()];
  }

  /** Adds a kind of occurrence; its name must be new. */
  register(kind: OccurrenceKind<unknown>): void {
    if (this.kinds.has(kind.name)) throw new Error(`occurrence kind ${kind.name} is registered already`);
    this.kinds.set(kind.name, kind);
  }

  /** The scheduler's onFire: an occurrence of the first kind (reminders). */
  fire = (id: string, slot: number): void => this.submit(this.first, id, slot);

  /** True while the occurrence `fire` was given is queued or in flight here (the scheduler's handedOver). */
  holds = (id: string, slot: number): boolean => {
    const kind = this.kinds.get(this.first);
    return kind !== undefined && this.inFlight.has(kind, id, slot);
  };

  /** Queues the occurrence `<id>:<slot>` of `kindName` unless it is already queued here. */
  submit(kindName: string, id: string, slot: number): void {
    const kind = this.kinds.get(kindName);
    if (!kind) throw new Error(`unknown occurrence kind ${kindName}`);
    if (!this.accepting || !this.inFlight.add(kind, id, slot)) return;
    const group = `${kind.name}:${kind.claimGroup?.(id) ?? ''}`;
    this.queue.push(group, new Occurrence(kind, id, slot, occurrenceId(id, slot), this.terms));
    this.pump();
  }

  /**
   * Graceful stop: takes no new occurrence, forgets the queued ones (their due entries stay, so
   * another instance takes them), waits up to `timeoutMs` for those in flight, and then gives
   * back the claims of any still unfinished so another instance takes them at once instead of
   * after their lease. A send still waiting for WeChat's answer at that point may then be sent
   * twice, the price of a bounded stop (a WeChat call times out well within the instance's
   * DRAIN_TIMEOUT_MS, src/instance.ts).
   */
  async drain(timeoutMs: number): Promise<DrainResult> {
    this.accepting = false;
    for (const o of this.queue.clear()) this.inFlight.delete(o);
    if (this.active === 0) return { finished: true, released: 0 };
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      new Promise<boolean>((resolve) => (this.idle = () => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(resolve, timeoutMs, false))),
    ]);
    clearTimeout(timer);
    this.idle = undefined;
    if (finished) return { finished: true, released: 0 };
    this.terms.abandoned = true;
    const claims = [...this.held];
    this.held.clear();
    const results = await Promise.allSettled(claims.map((o) => o.release()));
    const released = results.filter((r) => r.status === 'fulfilled' && r.value).length;
    this.options.logger.warn(
      { unfinished: this.active, released },
      'stop: sends still unfinished after the wait; their claims were given back',
    );
    return { finished: false, released };
  }

  /**
   * Starts claims while there is room for them: a whole chunk's room, or room for all that is
   * queued. Everything started in one go is claimed in the same turn of the event loop, so in one
   * script call per group (src/delivery/batch.ts).
   */
  private pump(): void {
    for (;;) {
      const room = this.options.concurrency + this.ahead - (this.active - this.recording);
      if (room <= 0 || this.queue.size === 0 || (room < this.chunk && room < this.queue.size)) break;
      for (const next of this.queue.take(Math.min(room, this.chunk))) {
        this.active += 1;
        void this.run(next);
      }
    }
    if (this.active === 0 && this.queue.size === 0) this.idle?.();
  }

  private async run(o: Occurrence): Promise<void> {
    try {
      await this.process(o);
    } catch (err) {
      if (isRedisUnavailable(err)) this.options.onRedisError?.();
      // Redis lost mid-way: the claim is released or runs out, and the sweep retries the occurrence.
      this.options.logger.warn(
        { kind: o.kind.name, occurrence: o.name, err: (err as Error).message },
        'occurrence not finished; it will be retried',
      );
    } finally {
      if (o.stage === 'recording') this.recording -= 1;
      this.inFlight.delete(o);
      this.active -= 1;
      if (!o.recorded && o.kind.name === this.first) this.options.onLetGo?.();
      this.pump();
    }
  }

  private async process(o: Occurrence): Promise<void> {
    // A pause this instance knows of costs no claim; one it does not is found by the admission.
    if (!this.accepting || this.options.sender.pausedHere) return;
    const item = await o.claim();
    if (item === null) return;
    this.held.add(o);
    try {
      await this.send(o, item);
    } finally {
      this.freeSlot(o);
      this.held.delete(o);
    }
  }

  /**
   * Gives up `o`'s send slot once WeChat has answered (or no call is to be made): the next claimed
   * occurrence sends while this one's outcome is written. At most `concurrency` calls are ever at
   * WeChat; writing outcomes does not hold them back.
   */
  private freeSlot(o: Occurrence): void {
    if (o.stage !== 'sending') return;
    o.stage = 'recording';
    this.sending -= 1;
    this.recording += 1;
    this.slotWaiters.shift()?.();
    this.pump();
  }

  /** Resolves once a send slot is free for the caller, holding it (every slot was taken when called). */
  private slotFreed(): Promise<void> {
    return new Promise<void>((resolve) =>
      this.slotWaiters.push(() => {
        this.sending += 1;
        resolve();
      }),
    );
  }

  private async send(o: Occurrence, item: unknown): Promise<void> {
    const { kind, id, slot } = o;
    // A window read within the last second comes without a promise: no await for it.
    const read = this.options.sender.pauseWindow();
    const window = read instanceof Promise ? await read : read;
    const now = this.now();
    const { sendAt, next, deadline, missed } = planOccurrence({
      slot,
      now,
      graceMs: this.options.graceMs,
      window,
      nextSlot: (after) => kind.nextSlot(item, after),
      latestSlot: (at, notBefore) => kind.latestSlot(item, at, notBefore),
    });
    let outcome: Ended;
    if (sendAt === null) {
      outcome = endedWithoutCall(o.name, now, 'missed', missed.detail);
      outcome.errmsg = missed.summary; // the record's lastResult; the attempt keeps the detail
    } else {
      outcome = await this.deliver(o, item, sendAt, deadline);
    }
    this.freeSlot(o);
    if (outcome.status === 'paused') {
      // WeChat's daily quota: give the occurrence back untouched; it is retried when sends resume.
      await o.release();
      return;
    }
    if (outcome.status === 'lost' || outcome.last === null) return; // its new holder records the outcome
    const { status, errcode, msgid, last } = outcome;
    const finishedAt = this.now();
    const lastResult: LastResult = {
      at: last.at, // the ending attempt's answer, a moment ago
      errcode,
      errmsg: outcome.errmsg,
      msgid,
    };
    for (const attempt of o.unwritten ?? []) {
      await this.whileClaimed(o, () => kind.recordAttempt(id, attempt));
    }
    // The outcome and its own attempt in one write: one round trip less between WeChat's answer and
    // its record, the window of the one duplicate the guarantee allows (a crash in between).
    const record: OccurrenceRecord = {
      slot,
      owner: this.terms.owner,
      outcome: status,
      lastResult,
      nextSlot: next,
      now: finishedAt,
      msgid,
      attempt: last,
    };
    const result = await this.whileClaimed(o, () => kind.record(id, item, record));
    o.recorded = result !== 'lost';
    if (result === 'ok' && next !== null && kind.name === this.first) this.options.onNextSlot?.(id, next);
    if (result === 'lost') {
      this.options.logger.warn(
        { kind: kind.name, occurrence: o.name, status },
        this.terms.abandoned
          ? 'outcome not recorded: the claim was given back when the stop stopped waiting'
          : 'claim lost before the outcome was recorded (lease ran out)',
      );
    }
    this.options.onOutcome?.({ kind: kind.name, status, errcode, latenessMs: finishedAt - (sendAt ?? slot) });
  }

  /**
   * Renders, admits and sends one occurrence announcing `sendAt`. A message that did not go out
   * gives back what its admission took (43101 zeroes the grant instead); one that cannot be
   * rendered, or that the admission refused, ends the occurrence with that outcome and one
   * attempt, without a call.
   */
  private async deliver(o: Occurrence, item: unknown, sendAt: number, deadline: number): Promise<Ended> {
    const { sender, admission } = this.options;
    const outgoing = o.kind.render(item, sendAt);
    const prepared = sender.prepare(outgoing, o.name);
    if (prepared.message === null) return endedWithoutCall(o.name, this.now(), 'failed', prepared.errmsg);
    const admitted = await admission.admit(outgoing.openid, outgoing.templateId);
    switch (admitted.status) {
      case 'paused':
        sender.notePause(admitted.remainingMs);
        return PAUSED;
      case 'no_quota':
      case 'rate_limited':
        return endedWithoutCall(o.name, this.now(), admitted.status, admitted.errmsg);
      case 'ok':
        break;
    }
    if (this.sending < this.options.concurrency)
      this.sending += 1; // a free slot: no await
    else await this.slotFreed();
    o.stage = 'sending';
    if (!this.accepting || sender.pausedHere) {
      // A stop began, or another send met a 45009, while this one waited for its slot: nothing
      // goes out; what it was admitted with and its claim are given back (a stop's: another
      // instance takes it at once; a pause's: it is retried when sends resume).
      await admission.giveBack(admitted.ticket);
      return PAUSED;
    }
    // Claimed ahead and held up (a stalled event loop, a slow Redis): a lease past half its time is
    // renewed before the call, so that it cannot run out while WeChat answers and another
    // instance take the occurrence over and send it again. Lost meanwhile: nothing goes out here.
    if (this.now() > o.leaseUntil - this.terms.leaseMs / 2 && !(await o.keepClaim())) {
      await admission.giveBack(admitted.ticket);
      return LOST;
    }
    // A message that did not go out costs the user neither a grant nor a send of the day.
    let outcome: SendOutcome;
    try {
      outcome = await sender.send(prepared.message, o.name, deadline, o);
    } catch (err) {
      // Redis or the token lost before an answer: nothing went out (best effort, Redis may be away).
      await admission.giveBack(admitted.ticket).catch(() => undefined);
      throw err;
    }
    if (outcome.status !== 'sent') await admission.giveBack(admitted.ticket, outcome.status === 'no_quota');
    return outcome;
  }

  /**
   * Runs a write that records what WeChat already answered, riding out a Redis outage for as long
   * as our claim would still hold: giving up would leave the occurrence to be sent again once the
   * lease ran out. The write is a compare-and-set on the claim, so retrying it is always safe.
   */
  private async whileClaimed<T>(o: Occurrence, write: () => Promise<T>): Promise<T> {
    for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
      try {
        return await write();
      } catch (err) {
        if (!isRedisUnavailable(err) || this.terms.abandoned || this.now() + delay >= o.leaseUntil) throw err;
        this.options.onRedisError?.();
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
