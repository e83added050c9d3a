import { data, type ReminderView } from '../support/api-types';
import { api, bearer, login, useSandbox } from '../support/harness';

const EDITABLE = ['title', 'detail', 'templateId', 'page', 'timezone', 'repeat', 'data'] as const;

describe('PATCH /api/reminders/:id', () => {
  const env = useSandbox();

  it('stores the edited fields exactly as a create with the same values stores them', async () => {
    const t = await env.start();
    const as = bearer(await login(t, 'alice#1'));
    const fields = {
      title: ' 周会 ',
      detail: '三楼\n会议室',
      page: 'pages/meeting',
      timezone: 'asia/shanghai',
      repeat: { daily: '08:00' },
      data: { thing3: '带电脑' },
    };
    const created = data<ReminderView>(await api(t).post('/api/reminders').set(as).send(fields));
    const other = data<ReminderView>(
      await api(t)
        .post('/api/reminders')
        .set(as)
        .send({ title: 'other', at: Date.now() + 3600_000 }),
    );
    const edited = await api(t).patch(`/api/reminders/${other.id}`).set(as).send(fields);
    expect(edited.status).toBe(200);

    const stored = async (id: string) => {
      const hash = await t.redis.hGetAll(t.instance.keys.reminder(id));
      return Object.fromEntries(EDITABLE.map((field) => [field, hash[field]]));
    };
    expect(await stored(other.id)).toEqual(await stored(created.id));
    // A create's answer also carries the quota hint, which an edit's does not.
    const view = ({ id: _id, createdAt: _c, updatedAt: _u, ...rest }: ReminderView & { quota?: unknown }) => {
      const { quota: _q, ...fields } = rest;
      return fields;
    };
    expect(view(data<ReminderView>(edited))).toEqual(view(created));
  });

  it('clears repeat and data with null, as a create without them stores them', async () => {
    const t = await env.start();
    const as = bearer(await login(t, 'bob#1'));
    const at = Date.now() + 3600_000;
    const bare = data<ReminderView>(await api(t).post('/api/reminders').set(as).send({ title: 'x', at }));
    const full = data<ReminderView>(
      await api(t)
        .post('/api/reminders')
        .set(as)
        .send({ title: 'x', repeat: { daily: '09:00' }, data: { thing3: 'y' } }),
    );
    const edited = await api(t)
      .patch(`/api/reminders/${full.id}`)
      .set(as)
      .send({ repeat: null, data: null, at });
    expect(edited.status).toBe(200);
    const stored = async (id: string) => t.redis.hmGet(t.instance.keys.reminder(id), ['repeat', 'data']);
    expect(await stored(full.id)).toEqual(await stored(bare.id));
    // Neither stores a field for "none": a missing field reads as empty.
    expect(await stored(bare.id)).toEqual([null, null]);
    expect(data<ReminderView>(edited)).toMatchObject({ repeat: null, data: null });
  });
});
