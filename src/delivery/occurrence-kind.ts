import type { DeliveryAttempt, LastResult } from '../domain/reminder';
import type { SubscribeMessage } from '../wechat/wechat-client';
import type { Outcome } from './outcome';

/** One subscribe message to send: to whom, with which template, and how to render its data. */
export interface Outgoing {
  openid: string;
  templateId: string;
  page?: string;
  // Called once before any grant is taken; throws UnknownTemplateError or TemplateRenderError
  // (src/wechat/templates.ts) when the catalogue cannot render it, a failure that costs nothing.
  render: () => SubscribeMessage['data'];
}

/** What the pipeline records when an occurrence ends. */
export interface OccurrenceRecord {
  slot: number;
  owner: string; // the claim's owner token: recording is a compare-and-set on it
  outcome: Outcome;
  lastResult: LastResult;
  nextSlot: number | null; // recurring: the next slot; null: the item is done
  now: number;
  msgid: string | null; // WeChat's id of the send, for its delivery report
  attempt: DeliveryAttempt; // the attempt that ended it (the outcome's own), for the delivery record
}

/**
 * A kind of occurrence the delivery pipeline (src/delivery/pipeline.ts) sends: reminders today
 * (src/delivery/kinds/reminder.ts), a notice's recipient or a promise's counterpart tomorrow. The
 * pipeline owns the lifecycle — claim, plan, send, record — and the guarantees of
 * docs/architecture.md#each-occurrence-is-sent-once; a kind owns its storage and its message.
 * Occurrence `<id>:<slot>` is unique within its kind.
 */
export interface OccurrenceKind<T> {
  readonly name: string;
  /**
   * The group whose claims can go to Redis together (its shard); the pipeline claims a chunk of
   * one group at a time. Absent: all in one group.
   */
  claimGroup?(id: string): number;
  /**
   * Claims the occurrence for `owner` with a lease (SET NX PX), atomically with the check that it
   * is still due at exactly `slot`, and loads the item as it is now; null when it is not due or is
   * held by someone else.
   */
  claim(id: string, slot: number, owner: string, leaseMs: number): Promise<T | null>;
  /** Renews the lease; false when the claim is no longer `owner`'s. */
  extendClaim(id: string, slot: number, owner: string, leaseMs: number): Promise<boolean>;
  /** Gives the claim back without an outcome (stop, pause); only its owner can. */
  releaseClaim(id: string, slot: number, owner: string): Promise<boolean>;
  /** A recurring item's first slot after `afterMs`; null for a one-shot. */
  nextSlot(item: T, afterMs: number): number | null;
  /** A recurring item's latest slot in [notBeforeMs, atMs] (coalescing); null when none. */
  latestSlot(item: T, atMs: number, notBeforeMs: number): number | null;
  /** The message announcing the slot `sendAt`. */
  render(item: T, sendAt: number): Outgoing;
  /** Appends one attempt on the way to an outcome (a retry, a pause) to the item's delivery record. */
  recordAttempt(id: string, attempt: DeliveryAttempt): Promise<void>;
  /**
   * Appends the outcome's own attempt (`record.attempt`, whoever holds the claim: the attempt was
   * made) and records the outcome if the claim is still `record.owner`'s (compare-and-set),
   * preferably in one write.
   */
  record(id: string, item: T, record: OccurrenceRecord): Promise<'ok' | 'lost' | 'retimed'>;
}
