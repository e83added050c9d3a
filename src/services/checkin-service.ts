import { randomBytes } from 'node:crypto';
import {
  CHECKIN_LIMITS,
  CODE_GRACE_MS,
  CODE_PERIOD_MS,
  LOCATION_SLACK_MAX_M,
  WRONG_CODE_LIMIT,
  WRONG_CODE_WINDOW_MS,
  codeAt,
  haversineM,
  judgeCode,
  newSecret,
  stepOf,
  type Checkin,
  type Fence,
  type Sign,
} from '../domain/checkin';
import type { Member } from '../domain/group';
import { parseIsoInstant } from '../domain/instant';
import {
  checkinAlreadySigned,
  checkinCodeStale,
  checkinCodeWrong,
  checkinEnded,
  checkinManagersOnly,
  checkinNotFound,
  checkinNotMember,
  checkinNotStarted,
  checkinOutsideFence,
  checkinTooManyWrong,
  invalidRequest,
  type ErrorDetail,
} from '../errors';
import type { CheckinStore, WrongCodeRule } from '../store/checkin-store';
import type { CheckinQrCode, CheckinQrCodes } from './checkin-qrcode';
import { CONTENT_SCENES, type ContentCheckService } from './content-check';
import type { GroupService } from './group-service';

/** A create as the route hands it: times as the client sent them (epoch ms or ISO 8601 with offset). */
export interface CheckinInput {
  title: string;
  startsAt: number | string;
  endsAt: number | string;
  lateAfter?: number | string;
  location?: Fence;
}

/** Where the phone says it is (`wx.getLocation`, the same coordinate type as the fence). */
export interface SignLocation {
  lat: number;
  lng: number;
  accuracy?: number; // metres, as wx.getLocation reports it
}

export interface SignInput {
  code: string;
  location?: SignLocation;
}

/** A check-in as one member sees it: the check-in, their membership, their own sign-in. */
export interface CheckinSnapshot {
  checkin: Checkin;
  me: Member;
  sign: Sign | null;
  manager: boolean;
  now: number;
}

/** `GET /api/groups/:id/checkins`: one page of a group's check-ins. */
export interface CheckinPage {
  items: CheckinSnapshot[];
  nextCursor: string | null; // the last id read; null on the last page
}

/** `GET /api/checkins/:id/code`: the code shown now, when it rotates, and the QR code. */
export interface CodeSnapshot {
  checkin: Checkin;
  code: string;
  step: number;
  rotatesAt: number; // ms: the next code replaces this one…
  acceptedUntil: number; // …which is still accepted until then
  qrcode: CheckinQrCode | null;
}

export interface CheckinServiceDeps {
  store: CheckinStore;
  groups: Pick<GroupService, 'access' | 'membership' | 'isManager'>;
  contentCheck: Pick<ContentCheckService, 'check'>;
  qrcodes: Pick<CheckinQrCodes, 'of'>;
  retentionMs: number; // a check-in's records are kept this long after it ends (RETENTION_DAYS)
  now: () => number;
}

/**
 * Meeting check-in (README.md#meeting-check-in): managers create one in their group and show its
 * rotating code and QR code; members sign in with the code (and their location, for a fenced one),
 * once, `on_time` or `late`. Stats and reminders are src/services/checkin-attendance.ts.
 */
export class CheckinService {
  constructor(private readonly deps: CheckinServiceDeps) {}

  /**
   * A new check-in in `groupId` (its managers): every problem of the body in one 400, then the
   * title through WeChat's content check (`risky` 422; `review` hides it from members).
   */
  async create(
    openid: string,
    groupId: string,
    input: Partial<CheckinInput>,
    shapeProblems: ErrorDetail[] = [],
  ): Promise<CheckinSnapshot> {
    const { store, groups, contentCheck, now: clock } = this.deps;
    const now = clock();
    const { problems, times } = this.rules(input, now);
    const all = [...shapeProblems, ...problems];
    if (all.length > 0) throw invalidRequest(all);
    if (!times || input.title === undefined) throw new Error('a check-in create without its required fields');
    const me = await groups.access(groupId, openid, 'manager');
    const verdict = await contentCheck.check({
      openid,
      scene: CONTENT_SCENES.forum,
      text: input.title,
      path: 'title',
    });
    const checkin: Checkin = {
      id: await store.nextId(),
      groupId,
      title: input.title,
      titleReview: verdict === 'review',
      ...times,
      location: input.location ?? null,
      createdBy: me.memberId,
      createdAt: now,
      secret: newSecret(),
      onTime: 0,
      late: 0,
    };
    const expireAt = this.expiry(checkin);
    // The group's index (another slot) is written beside the record, in the same round trip.
    await Promise.all([store.create(checkin, expireAt), store.indexGroup(groupId, checkin.id, expireAt)]);
    return { checkin, me, sign: null, manager: true, now };
  }

  /**
   * A group's check-ins, newest first: all of them, with their counts, for its managers; for a
   * member only those not ended (the ones they may still sign), with their own sign-in. A page
   * reads `limit` ids of the index, so a member's page may be shorter; `nextCursor` goes on.
   */
  async list(
    openid: string,
    groupId: string,
    page: { cursor?: string; limit: number },
  ): Promise<CheckinPage> {
    const { store, groups, now: clock } = this.deps;
    const me = await groups.access(groupId, openid, 'member');
    const manager = groups.isManager(me);
    const ids = await store.groupCheckinIds(groupId, page.cursor, page.limit);
    const [checkins, signs] = await Promise.all([store.getMany(ids), store.signsOf(ids, openid)]);
    const now = clock();
    const items: CheckinSnapshot[] = [];
    const gone: string[] = [];
    ids.forEach((id, i) => {
      const checkin = checkins[i];
      if (!checkin || checkin.groupId !== groupId) gone.push(id);
      else if (manager || now <= checkin.endsAt) {
        items.push({ checkin, me, sign: signs[i] ?? null, manager, now });
      }
    });
    await store.unindexGroup(groupId, gone); // expired with RETENTION_DAYS: healed here
    const last = ids[ids.length - 1];
    return { items, nextCursor: ids.length === page.limit && last ? last : null };
  }

  /** The check-in with the caller's own sign-in (members). */
  async view(openid: string, id: string): Promise<CheckinSnapshot> {
    const { checkin, me } = await this.access(openid, id, 'member');
    const sign = await this.deps.store.signOf(id, openid);
    return { checkin, me, sign, manager: this.deps.groups.isManager(me), now: this.deps.now() };
  }

  /** The code shown now and the QR code (managers). */
  async code(openid: string, id: string, withQrcode = true): Promise<CodeSnapshot> {
    const { checkin } = await this.access(openid, id, 'manager');
    const now = this.deps.now();
    const step = stepOf(now);
    const rotatesAt = (step + 1) * CODE_PERIOD_MS;
    const qrcode = withQrcode ? await this.deps.qrcodes.of(id, this.expiry(checkin)) : null;
    return {
      checkin,
      code: codeAt(checkin.secret, step),
      step,
      rotatesAt,
      acceptedUntil: rotatesAt + CODE_GRACE_MS,
      qrcode,
    };
  }

  /**
   * Signs the caller in: 403 not a member, 422 outside the window, 400 a wrong or stale code (the
   * fifth wrong one within a minute, and anything after it, 429), 400 no location for a fenced
   * check-in, 422 outside the fence, 409 signed already. Once only, whatever the instances.
   */
  async sign(openid: string, id: string, input: SignInput): Promise<{ checkin: Checkin; sign: Sign }> {
    const { checkin, me } = await this.access(openid, id, 'member');
    const { store, now: clock } = this.deps;
    const now = clock();
    if (now < checkin.startsAt) throw checkinNotStarted(new Date(checkin.startsAt).toISOString());
    if (now > checkin.endsAt) throw checkinEnded(new Date(checkin.endsAt).toISOString());
    const rule: WrongCodeRule = { now, windowMs: WRONG_CODE_WINDOW_MS, limit: WRONG_CODE_LIMIT };
    const expireAt = this.expiry(checkin);
    // The user's index (another slot) is written beside each script, in the same round trip.
    const index = () => store.indexUser(openid, id, now, expireAt);
    const judged = judgeCode(checkin.secret, input.code, now);
    if (judged !== 'ok') {
      const attempt = `${now}:${randomBytes(4).toString('hex')}`;
      const [wrong] = await Promise.all([store.wrongCode(id, openid, rule, attempt), index()]);
      if (wrong.outcome === 'gone') throw checkinNotFound();
      if (wrong.outcome === 'twice') throw checkinAlreadySigned(wrong.sign?.status ?? 'on_time');
      if (wrong.outcome === 'limited' || wrong.wrong >= WRONG_CODE_LIMIT) {
        throw checkinTooManyWrong(Math.max(1, Math.ceil((wrong.retryAt - now) / 1000)));
      }
      throw judged === 'stale' ? checkinCodeStale() : checkinCodeWrong(WRONG_CODE_LIMIT - wrong.wrong);
    }
    const distanceM = this.distance(checkin.location, input.location);
    const status = checkin.lateAfter !== null && now > checkin.lateAfter ? 'late' : 'on_time';
    const sign: Sign = { memberId: me.memberId, status, at: now, distanceM };
    const [done] = await Promise.all([store.sign(checkin, openid, sign, rule, expireAt), index()]);
    switch (done.outcome) {
      case 'signed':
        return { checkin: { ...checkin, onTime: done.onTime, late: done.late }, sign };
      case 'twice':
        throw checkinAlreadySigned(done.sign?.status ?? status);
      case 'limited':
        throw checkinTooManyWrong(Math.max(1, Math.ceil((done.retryAt - now) / 1000)));
      default:
        throw checkinNotFound();
    }
  }

  /** The check-in and the caller's membership when it allows `level`: 404, 403 not a member, 403 not a manager. */
  async access(
    openid: string,
    id: string,
    level: 'member' | 'manager',
  ): Promise<{ checkin: Checkin; me: Member }> {
    const checkin = await this.deps.store.get(id);
    if (!checkin) throw checkinNotFound();
    const me = await this.deps.groups.membership(checkin.groupId, openid);
    if (!me) throw checkinNotMember();
    if (level === 'manager' && !this.deps.groups.isManager(me)) throw checkinManagersOnly();
    return { checkin, me };
  }

  /** When the check-in's records expire: RETENTION_DAYS after its end. */
  expiry(checkin: Pick<Checkin, 'endsAt'>): number {
    return checkin.endsAt + this.deps.retentionMs;
  }

  /** Metres from the fence's centre (null without a fence); 400 without a location, 422 outside. */
  private distance(fence: Fence | null, at: SignLocation | undefined): number | null {
    if (!fence) return null;
    if (!at) {
      throw invalidRequest([
        {
          path: 'location',
          message: 'is required: this check-in has a geofence (send wx.getLocation’s latitude and longitude)',
        },
      ]);
    }
    const distance = Math.round(haversineM(fence, at));
    const slack = Math.min(Math.max(0, at.accuracy ?? 0), LOCATION_SLACK_MAX_M);
    if (distance > fence.radiusM + slack) throw checkinOutsideFence(distance, fence.radiusM);
    return distance;
  }

  /** The times of a create, and what is wrong with them (each problem naming its field). */
  private rules(input: Partial<CheckinInput>, now: number) {
    const problems: ErrorDetail[] = [];
    const ms = (field: 'startsAt' | 'endsAt' | 'lateAfter'): number | undefined => {
      const value = input[field];
      if (value === undefined) return undefined;
      const parsed = typeof value === 'number' ? { ms: value } : parseIsoInstant(value);
      if ('ms' in parsed) return parsed.ms;
      problems.push({ path: field, message: parsed.problem });
      return undefined;
    };
    const startsAt = ms('startsAt');
    const endsAt = ms('endsAt');
    const lateAfter = ms('lateAfter');
    if (startsAt !== undefined && startsAt > now + CHECKIN_LIMITS.maxAheadMs) {
      problems.push({ path: 'startsAt', message: 'must be at most 366 days ahead' });
    }
    if (endsAt !== undefined && endsAt <= now)
      problems.push({ path: 'endsAt', message: 'must be in the future' });
    if (startsAt !== undefined && endsAt !== undefined) {
      if (endsAt <= startsAt) problems.push({ path: 'endsAt', message: 'must be after startsAt' });
      else if (endsAt - startsAt > CHECKIN_LIMITS.maxDurationMs) {
        problems.push({ path: 'endsAt', message: 'must be at most 24 hours after startsAt' });
      }
      if (lateAfter !== undefined && (lateAfter < startsAt || lateAfter > endsAt)) {
        problems.push({ path: 'lateAfter', message: 'must be between startsAt and endsAt' });
      }
    }
    const times =
      startsAt !== undefined && endsAt !== undefined
        ? { startsAt, endsAt, lateAfter: lateAfter ?? null }
        : null;
    return { problems, times };
  }
}
