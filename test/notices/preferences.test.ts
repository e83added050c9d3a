import { useSandbox } from '../support/harness';
import { data, errorBody } from '../support/api-types';
import type { PreferencesView } from '../../src/http/presenters/notice';
import {
  api,
  group,
  join,
  NOTICE_TEMPLATE,
  person,
  publish,
  pushesOf,
  QUICK,
  recipients,
  settled,
} from './notice-helpers';

const lab = useSandbox();

describe('GET/PUT /api/preferences', () => {
  it('has every category on by default, and sets only the ones named', async () => {
    const t = await lab.start({ tuning: QUICK });
    const me = await person(t, lab.sandbox, 'prefs');
    const first = await api(t).get('/api/preferences').set(me.auth);
    expect(data<PreferencesView>(first)).toEqual({
      categories: { 通知: true, 作业: true, 活动: true, 考试: true },
    });

    await api(t)
      .put('/api/preferences')
      .set(me.auth)
      .send({ categories: { 作业: false } })
      .expect(200);
    const res = await api(t)
      .put('/api/preferences')
      .set(me.auth)
      .send({ categories: { 活动: false } });
    expect(data<PreferencesView>(res).categories).toEqual({
      通知: true,
      作业: false,
      活动: false,
      考试: true,
    });
    const back = await api(t)
      .put('/api/preferences')
      .set(me.auth)
      .send({ categories: { 作业: true } });
    expect(data<PreferencesView>(back).categories).toMatchObject({ 作业: true, 活动: false });
  });

  it('refuses an unknown category or a value that is not a boolean with 400, changing nothing', async () => {
    const t = await lab.start({ tuning: QUICK });
    const me = await person(t, lab.sandbox, 'prefs-bad');
    const unknown = await api(t)
      .put('/api/preferences')
      .set(me.auth)
      .send({ categories: { 通知: false, 八卦: false } });
    expect(unknown.status).toBe(400);
    expect(errorBody(unknown).details).toEqual([expect.objectContaining({ path: 'categories.八卦' })]);
    const wrong = await api(t)
      .put('/api/preferences')
      .set(me.auth)
      .send({ categories: { 通知: 'no' } });
    expect(wrong.status).toBe(400);
    expect(errorBody(wrong).details?.[0]?.path).toBe('categories.通知');
    const now = await api(t).get('/api/preferences').set(me.auth);
    expect(data<PreferencesView>(now).categories.通知).toBe(true);
  });

  it('answers 401 without a session', async () => {
    const t = await lab.start({ tuning: QUICK });
    expect((await api(t).get('/api/preferences')).status).toBe(401);
    expect((await api(t).put('/api/preferences').send({ categories: {} })).status).toBe(401);
  });
});

describe('muted categories and urgency', () => {
  it('does not push a muted category, pushes an urgent notice anyway, and never without a grant', async () => {
    const t = await lab.start({ config: { quotaMode: 'enforce' }, tuning: QUICK });
    const teacher = await person(t, lab.sandbox, 'u-teacher');
    const { id: groupId, code } = await group(t, teacher, '一班');
    const [muted, mutedNoGrant, listening] = [
      await person(t, lab.sandbox, 'u-muted'),
      await person(t, lab.sandbox, 'u-muted-nogrant'),
      await person(t, lab.sandbox, 'u-listening'),
    ];
    for (const p of [muted, mutedNoGrant, listening]) await join(t, p, code);
    for (const p of [muted, mutedNoGrant]) {
      await api(t)
        .put('/api/preferences')
        .set(p.auth)
        .send({ categories: { 作业: false } })
        .expect(200);
    }
    await t.instance.quota.grant(muted.openid, NOTICE_TEMPLATE, 2);
    await t.instance.quota.grant(listening.openid, NOTICE_TEMPLATE, 2);

    const normal = await publish(t, teacher, {
      title: '交作业',
      category: '作业',
      audience: { groups: [groupId] },
    });
    const urgent = await publish(t, teacher, {
      title: '明天停课',
      category: '作业',
      urgency: 'urgent',
      audience: { groups: [groupId] },
    });

    const normalStats = await settled(t, teacher, normal.id);
    expect(normalStats.push).toMatchObject({ sent: 1, muted: 2, no_quota: 0 });
    expect(pushesOf(lab.sandbox, normal.id).map((m) => m.touser)).toEqual([listening.openid]);

    const urgentStats = await settled(t, teacher, urgent.id);
    expect(urgentStats.push).toMatchObject({ sent: 2, muted: 0, no_quota: 1 });
    const urgentPushes = pushesOf(lab.sandbox, urgent.id);
    expect(urgentPushes.map((m) => m.touser).sort()).toEqual([muted.openid, listening.openid].sort());
    expect(urgentPushes[0]?.data.phrase5?.value).toBe('紧急');
    const noGrant = await recipients(t, teacher, urgent.id, { state: 'no_quota' });
    expect(noGrant.items).toHaveLength(1);

    // The muted still have both in their inbox.
    const box = await api(t).get('/api/inbox').set(muted.auth);
    expect(box.body.data.items.map((i: { id: string }) => i.id)).toEqual([urgent.id, normal.id]);
  });
});
