import type { DeliveryAttempt, Reminder } from '../domain/reminder';
import type { ReminderDataStore } from '../store/reminder-data-store';
import type { ReminderStore } from '../store/reminder-store';
import { isoTime, type KeyFamily, type PersonalData } from './personal-data';

const BATCH = 100; // reminders read or erased per round trip
const CLAIM_POLL_MS = 25;

/** A reminder in a person's data export: as stored, times in ISO 8601, with every delivery attempt. */
export interface ReminderExport extends Omit<
  Reminder,
  'openid' | 'nextFireAt' | 'snoozeAt' | 'createdAt' | 'updatedAt'
> {
  nextFireAt: string | null;
  snoozeAt: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  deliveries: DeliveryAttempt[];
}

export interface ReminderPersonalDataDeps {
  store: Pick<ReminderStore, 'getMany' | 'deliveries' | 'cancel'>;
  data: Pick<ReminderDataStore, 'idsOfUser' | 'claimsHeld' | 'eraseOfUser' | 'unindexOfUser'>;
  schedule: { publishUpsert(id: string, fireAt: number | null): Promise<void> }; // the scheduler
  now: () => number;
  /** How long erasure waits for sends already claimed to finish, ms: the claim lease (30 s). */
  claimWaitMs: number;
}

const FAMILIES: readonly KeyFamily[] = [
  // `{u<shard>}`: the owner's shard (src/store/keys.ts), whose hash tag every key of theirs here shares.
  { pattern: 'reminder:{u<shard>}:<id>', about: 'hash: one reminder (its openid in a field)' },
  { pattern: 'reminder:{u<shard>}:<id>:deliveries', about: 'list: its delivery attempts' },
  { pattern: 'user:{u<shard>}:<openid>:reminders', about: 'zset: the user’s reminder ids' },
  { pattern: 'user:{u<shard>}:<openid>:pending', about: 'set: the user’s pending reminder ids' },
  {
    pattern: 'due:{u<shard>}',
    about: 'zset of everyone in a shard: pending reminder ids by next slot',
    shared: true,
  },
  {
    pattern: 'claim:{u<shard>}:<id>:<slot>',
    about: 'string with a lease: the instance sending that occurrence right now',
    notExported: ['value'], // the instance's owner token, nothing of the user
  },
  { pattern: 'msgid:<msgid>', about: 'string: which occurrence a WeChat msgid belongs to' },
  { pattern: 'idem:{u<shard>}:<openid>:<key>', about: 'string: the reminder an Idempotency-Key created' },
];

/**
 * Reminders (and the promises stored as reminders) as personal data: the records, their delivery
 * attempts, and every key that points at them. Erasure stops them first — cancelled, out of the
 * due index, their jobs removed on every instance — then waits for a send another instance had
 * already claimed to finish (it writes its attempt and outcome; the claim lease bounds the wait),
 * and only then deletes, so no late write brings a record back.
 */
export class ReminderPersonalData implements PersonalData {
  readonly name = 'reminders';
  readonly families = FAMILIES;

  constructor(private readonly deps: ReminderPersonalDataDeps) {}

  async export(openid: string): Promise<ReminderExport[]> {
    const { store, data } = this.deps;
    const out: ReminderExport[] = [];
    for (const ids of batches(await data.idsOfUser(openid))) {
      const reminders = (await store.getMany(ids)).filter((r): r is Reminder => r?.openid === openid);
      const deliveries = await Promise.all(reminders.map((r) => store.deliveries(r.id)));
      reminders.forEach((r, i) => out.push(exported(r, deliveries[i] ?? [])));
    }
    return out.sort((a, b) => Number(a.id) - Number(b.id));
  }

  async erase(openid: string): Promise<number> {
    let erased = 0;
    for (const ids of batches(await this.deps.data.idsOfUser(openid))) {
      erased += await this.eraseBatch(openid, ids);
    }
    return erased;
  }

  private async eraseBatch(openid: string, ids: string[]): Promise<number> {
    const { store, data, schedule, now } = this.deps;
    const before = (await store.getMany(ids)).filter((r): r is Reminder => r?.openid === openid);
    // 1. Stop: no instance can claim them any more (claims need pending and the due slot), and
    //    every instance drops their timers.
    await Promise.all(before.map((r) => store.cancel(openid, r.id, now())));
    await Promise.all(before.map((r) => schedule.publishUpsert(r.id, null)));
    // 2. A send claimed before the stop still writes its attempt and outcome: let it finish.
    const claimed = before.flatMap((r) => (r.nextFireAt === null ? [] : [{ id: r.id, slot: r.nextFireAt }]));
    await this.untilReleased(claimed);
    // 3. Delete, with what the records point to as they are now (a send that finished added a msgid).
    const after = await store.getMany(before.map((r) => r.id));
    const deliveries = await Promise.all(before.map((r) => store.deliveries(r.id)));
    await data.eraseOfUser(
      openid,
      before.map((r, i) => {
        const attempts = deliveries[i] ?? [];
        const slots = new Set(claimed.filter((c) => c.id === r.id).map((c) => c.slot));
        for (const a of attempts) slots.add(Number(a.occurrence.slice(a.occurrence.indexOf(':') + 1)));
        const msgids = new Set(attempts.flatMap((a) => (a.msgid ? [a.msgid] : [])));
        const last = after[i]?.lastResult?.msgid;
        if (last) msgids.add(last);
        const idempotencyKey = after[i]?.idempotencyKey ?? r.idempotencyKey;
        return {
          id: r.id,
          slots: [...slots].filter(Number.isFinite),
          msgids: [...msgids],
          ...(idempotencyKey ? { idempotencyKey } : {}),
        };
      }),
    );
    // Ids in the user's indexes without a record of theirs (purged meanwhile) leave the indexes too.
    const stray = ids.filter((id) => !before.some((r) => r.id === id));
    if (stray.length > 0) await data.unindexOfUser(openid, stray);
    return before.length;
  }

  /** Waits until none of these occurrences is claimed, for at most `claimWaitMs`. */
  private async untilReleased(claims: { id: string; slot: number }[]): Promise<void> {
    const deadline = Date.now() + this.deps.claimWaitMs; // real time, as the leases
    while ((await this.deps.data.claimsHeld(claims)) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, CLAIM_POLL_MS));
    }
  }
}

function exported(r: Reminder, deliveries: DeliveryAttempt[]): ReminderExport {
  const { openid: _openid, nextFireAt, snoozeAt, createdAt, updatedAt, ...rest } = r;
  return {
    ...rest,
    nextFireAt: isoTime(nextFireAt),
    snoozeAt: isoTime(snoozeAt),
    createdAt: isoTime(createdAt),
    updatedAt: isoTime(updatedAt),
    deliveries,
  };
}

function batches<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(items.slice(i, i + BATCH));
  return out;
}
