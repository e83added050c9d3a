import { useSandbox, waitFor } from '../support/harness';
import { accept, api, create, grant, person, PROMISE_TEMPLATE, statesTo } from './promise-helpers';

/** A person's promises when they ask to be forgotten (DELETE /api/me, src/services/promise-personal-data.ts). */
const env = useSandbox();

describe('DELETE /api/me and promises', () => {
  it('exports their promises and days, then ends each (the other party told), leaving nothing of them', async () => {
    const t = await env.start({ config: { quotaMode: 'enforce' } });
    const ann = await person(t, env.sandbox, 'ann');
    const bo = await person(t, env.sandbox, 'bo');
    await grant(t, bo, PROMISE_TEMPLATE, 3);
    const ask = await create(t, ann, 'ask', { hour: 22, min: 0, detail: '早睡', counterpartName: '波' });
    await accept(t, bo, ask.invite?.code ?? '');
    const give = await create(t, ann, 'give', { hour: 6, min: 0, detail: '晨跑' });
    await accept(t, bo, give.invite?.code ?? '');
    const open = await create(t, ann, 'ask', { hour: 9, min: 0, detail: '没人接' });
    const boReminder = (await api(t).get('/api/reminders').set(bo.auth)).body.data.items[0];
    expect(boReminder).toMatchObject({ kind: 'ask', status: 'pending' });

    const exported = await api(t).get('/api/me/export').set(ann.auth);
    expect(exported.status).toBe(200);
    const promises = exported.body.data.promises as {
      id: string;
      role: string;
      author: string;
      counterpart: string;
    }[];
    expect(promises.map((p) => [p.id, p.role, p.author, p.counterpart]).sort()).toEqual(
      [
        [ask.id, 'author', 'me', 'other'],
        [give.id, 'author', 'me', 'other'],
        [open.id, 'author', 'me', null],
      ].sort(),
    );
    expect(JSON.stringify(promises)).not.toContain(bo.openid);

    expect((await api(t).delete('/api/me').set(ann.auth)).status).toBe(200);
    // Bo is told of both promises he was part of; the unaccepted one had nobody to tell.
    await waitFor(() => statesTo(env.sandbox, bo).length === 2, { what: 'the two ended notices' });
    expect(statesTo(env.sandbox, bo)).toEqual(['已结束', '已结束']);
    expect((await api(t).get(`/api/reminders/${boReminder.id}`).set(bo.auth)).body.data.status).toBe(
      'cancelled',
    );
    expect((await api(t).get('/api/promises').set(bo.auth)).body.data.items).toEqual([]);
    for (const p of [ask, give, open]) {
      expect(await t.redis.exists([t.instance.keys.promise(p.id), t.instance.keys.promiseDays(p.id)])).toBe(
        0,
      );
      expect((await api(t).get(`/api/promises/invites/${p.invite?.code}`).set(bo.auth)).status).toBe(404);
    }
    expect(await t.redis.zCard(t.instance.keys.promisesDue())).toBe(0);
    expect(await t.redis.exists(t.instance.keys.userPromises(ann.openid))).toBe(0);
    expect((await api(t).get('/api/promises').set(ann.auth)).status).toBe(401);
  });
});
