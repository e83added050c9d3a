import type { SignStatus } from '../domain/checkin';
import type { CheckinStore } from '../store/checkin-store';
import { isoTime, type KeyFamily, type PersonalData } from './personal-data';

/** One check-in in a person's data export: their sign-in and the wrong codes they typed. */
export interface CheckinExport {
  checkinId: string;
  groupId: string | null; // null once the check-in itself has expired
  title: string | null;
  lastTriedAt: string | null; // their last sign-in or try (the index's score)
  sign: { memberId: string; status: SignStatus; at: string | null; distanceM: number | null } | null;
  wrongCodesAt: string[]; // the last minute's, the only ones kept
}

const FAMILIES: readonly KeyFamily[] = [
  {
    pattern: 'user:{u<shard>}:<openid>:checkins',
    about: 'zset: the check-ins the user signed in to or tried to',
  },
  {
    pattern: 'checkin:<tag>:signs',
    about: "hash of a check-in: openid → the member's sign-in (memberId, status, time, distance)",
    shared: true,
  },
  {
    pattern: 'checkin:<tag>:wrong:<openid>',
    about: 'zset, 1 min: when the user typed a wrong code for a check-in',
    notExported: ['members'], // a random id per try, which says nothing; the times are exported
  },
];

/**
 * Meeting check-ins as personal data: the person's sign-ins and recent wrong codes, found through
 * their index. Erasure takes their sign-in out of each check-in and its counts (the check-in
 * itself is the group's and stays; it names no one).
 */
export class CheckinPersonalData implements PersonalData {
  readonly name = 'checkins';
  readonly families = FAMILIES;

  constructor(
    private readonly store: Pick<
      CheckinStore,
      'userCheckins' | 'getMany' | 'signOf' | 'wrongCodesOf' | 'eraseSign' | 'dropUserIndex'
    >,
  ) {}

  async export(openid: string): Promise<CheckinExport[]> {
    const tried = await this.store.userCheckins(openid);
    const checkins = await this.store.getMany(tried.map((t) => t.id));
    return Promise.all(
      tried.map(async ({ id, at }, i) => {
        const [sign, wrong] = await Promise.all([
          this.store.signOf(id, openid),
          this.store.wrongCodesOf(id, openid),
        ]);
        const checkin = checkins[i] ?? null;
        return {
          checkinId: id,
          groupId: checkin?.groupId ?? null,
          title: checkin?.title ?? null,
          lastTriedAt: isoTime(at),
          sign: sign
            ? {
                memberId: sign.memberId,
                status: sign.status,
                at: isoTime(sign.at),
                distanceM: sign.distanceM,
              }
            : null,
          wrongCodesAt: wrong.map((ms) => isoTime(ms) ?? ''),
        };
      }),
    );
  }

  async erase(openid: string): Promise<number> {
    const ids = (await this.store.userCheckins(openid)).map((t) => t.id);
    let erased = 0;
    for (const id of ids) if (await this.store.eraseSign(id, openid)) erased++;
    await this.store.dropUserIndex(openid);
    return erased;
  }
}
