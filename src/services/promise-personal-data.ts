import type { PromiseRecord, PromiseStatus, PromiseType } from '../domain/promise';
import type { PromiseStore } from '../store/promise-store';
import { isoTime, type KeyFamily, type PersonalData } from './personal-data';
import type { PromiseService } from './promise-service';

/** Who a field names, in an export: the caller, the other party (never their openid), or nobody. */
type Party = 'me' | 'other' | null;

/** One promise in a person's export: the record's fields (other people's openids as `other`) and its days. */
export interface PromiseExport {
  id: string;
  type: PromiseType;
  role: 'author' | 'counterpart';
  author: Party;
  counterpart: Party;
  keeper: Party;
  endedBy: Party;
  counterpartName: string | null;
  cid: string | null;
  detail: string;
  hour: number;
  min: number;
  timezone: string;
  status: PromiseStatus;
  reminderId: string | null; // the caller's own reminder, when they keep it
  inviteCode: string;
  inviteExpiresAt: string | null;
  startDay: string | null;
  nextEvalDay: string | null;
  keptDays: number;
  missedDays: number;
  streakEnd: string | null;
  streakLen: number;
  createdAt: string | null;
  updatedAt: string | null;
  acceptedAt: string | null;
  endedAt: string | null;
  days: Record<string, string>; // YYYY-MM-DD → kept | missed
}

const FAMILIES: readonly KeyFamily[] = [
  {
    pattern: 'promise:{<id>}',
    about: 'hash: one promise (author, counterpart and keeper openids in fields)',
    // The parties' openids and the keeper's reminder id, as they are stored, are the other party's
    // too: the export says `me` or `other` (and the caller's own reminder id); the rest is
    // bookkeeping with nothing of the person.
    notExported: [
      'author',
      'counterpart',
      'keeper',
      'endedBy',
      'reminderId',
      'requestHash',
      'nextEvalEnd',
      'idempotencyKey',
    ],
  },
  { pattern: 'promise:{<id>}:days', about: 'hash: the promise’s days, date → kept or missed' },
  { pattern: 'promises:invite:<code>', about: 'string with TTL: an invite code → its promise' },
  {
    pattern: 'promises:due',
    about: 'zset of everyone: active promises by the end of their next day',
    shared: true,
  },
  { pattern: 'user:{u<shard>}:<openid>:promises', about: 'zset: the promises the user made or accepted' },
];

/**
 * Promises as personal data (src/services/personal-data.ts): every promise the person made or
 * accepted, with its days. Erasure ends each active one first — the keeper's reminder is cancelled
 * on every instance and the other party is told, as `DELETE /api/promises/:id` does — then deletes
 * it whole (record, days, invite, due entry, both parties' indexes): a promise is about both people,
 * and nothing of it may keep naming the one who asked to be forgotten.
 */
export class PromisePersonalData implements PersonalData {
  readonly name = 'promises';
  readonly families = FAMILIES;

  constructor(
    private readonly deps: {
      store: Pick<PromiseStore, 'allIds' | 'getMany' | 'get' | 'allDays' | 'purge' | 'dropUserIndex'>;
      promises: Pick<PromiseService, 'end'>;
    },
  ) {}

  async export(openid: string): Promise<PromiseExport[]> {
    const { store } = this.deps;
    const records = (await store.getMany(await store.allIds(openid))).filter(
      (r): r is PromiseRecord => r !== null && (r.author === openid || r.counterpart === openid),
    );
    const days = await Promise.all(records.map((r) => store.allDays(r.id)));
    return records.map((r, i) => exported(r, openid, days[i] ?? {}));
  }

  async erase(openid: string): Promise<number> {
    const { store, promises } = this.deps;
    let erased = 0;
    for (const id of await store.allIds(openid)) {
      const record = await store.get(id);
      if (!record || (record.author !== openid && record.counterpart !== openid)) continue;
      if (record.status === 'active') await promises.end(openid, id);
      await store.purge((await store.get(id)) ?? record);
      erased += 1;
    }
    await store.dropUserIndex(openid);
    return erased;
  }
}

function exported(r: PromiseRecord, openid: string, days: Record<string, string>): PromiseExport {
  const party = (who: string | null): Party => (who === null ? null : who === openid ? 'me' : 'other');
  const isAuthor = r.author === openid;
  return {
    id: r.id,
    type: r.type,
    role: isAuthor ? 'author' : 'counterpart',
    author: party(r.author),
    counterpart: party(r.counterpart),
    keeper: party(r.keeper),
    endedBy: party(r.endedBy),
    counterpartName: r.counterpartName,
    cid: r.cid,
    detail: r.detail,
    hour: r.hour,
    min: r.min,
    timezone: r.timezone,
    status: r.status,
    reminderId: r.keeper === openid ? r.reminderId : null,
    inviteCode: r.inviteCode,
    inviteExpiresAt: isoTime(r.inviteExpiresAt),
    startDay: r.startDay,
    nextEvalDay: r.nextEvalDay,
    keptDays: r.keptDays,
    missedDays: r.missedDays,
    streakEnd: r.streakEnd,
    streakLen: r.streakLen,
    createdAt: isoTime(r.createdAt),
    updatedAt: isoTime(r.updatedAt),
    acceptedAt: isoTime(r.acceptedAt),
    endedAt: isoTime(r.endedAt),
    days,
  };
}
