import path from 'node:path';
import { projectRoot } from '../../src/infra/paths';
import { loadCategories } from '../../src/services/notice-categories';
import { NoticePublisher } from '../../src/services/notice-publisher';
import { InboxStore, inboxShardOf } from '../../src/store/inbox-store';
import { NoticeRecipientStore } from '../../src/store/notice-recipient-store';
import { NoticeStore } from '../../src/store/notice-store';
import { loadTemplates } from '../../src/wechat/templates';
import { uniquePrefix, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { data, errorBody } from '../support/api-types';
import type { NoticeView } from '../../src/http/presenters/notice';
import {
  api,
  group,
  inbox,
  pushesOf,
  join,
  members,
  person,
  publish,
  QUICK,
  settled,
  unreadCount,
  type Person,
} from './notice-helpers';

const lab = useSandbox();

describe('GET /api/inbox, read and confirm', () => {
  let t: TestInstance;
  let teacher: Person;
  let reader: Person;
  let groupId: string;

  beforeEach(async () => {
    t = await lab.start({ tuning: QUICK });
    teacher = await person(t, lab.sandbox, 'i-teacher');
    reader = await person(t, lab.sandbox, 'i-reader');
    const created = await group(t, teacher, '四班');
    groupId = created.id;
    await join(t, reader, created.code);
  });

  async function notices(count: number, extra: (i: number) => Record<string, unknown> = () => ({})) {
    const made: NoticeView[] = [];
    for (let i = 0; i < count; i++) {
      made.push(
        await publish(t, teacher, { title: `通知${i}`, audience: { groups: [groupId] }, ...extra(i) }),
      );
    }
    for (const n of made) await settled(t, teacher, n.id);
    return made;
  }

  it('lists newest first in pages, filters by unread and category, and counts the unread', async () => {
    const made = await notices(25, (i) => ({ category: i % 5 === 0 ? '作业' : '通知' }));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await inbox(t, reader, { limit: '10', ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(made.map((n) => n.id).reverse());
    expect(await unreadCount(t, reader)).toBe(25);

    const homework = await inbox(t, reader, { category: '作业' });
    expect(homework.items.map((i) => i.title)).toEqual(['通知20', '通知15', '通知10', '通知5', '通知0']);

    const readIt = await api(t).post(`/api/notices/${made[3]?.id}/read`).set(reader.auth).send({});
    expect(data<NoticeView>(readIt).me).toMatchObject({ state: 'read', readAt: expect.any(String) });
    await api(t).post(`/api/notices/${made[3]?.id}/read`).set(reader.auth).send({}).expect(200); // idempotent
    await api(t).post(`/api/notices/${made[5]?.id}/read`).set(reader.auth).send({}).expect(200);
    expect(await unreadCount(t, reader)).toBe(23);
    const unreadHomework = await api(t)
      .get('/api/inbox/unread-count')
      .query({ category: '作业' })
      .set(reader.auth);
    expect(data<{ unread: number }>(unreadHomework).unread).toBe(4);
    const unread = await inbox(t, reader, { unread: 'true', limit: '100' });
    expect(unread.items).toHaveLength(23);
    expect(unread.items.map((i) => i.id)).not.toContain(made[3]?.id);
    const all = await inbox(t, reader, { limit: '100' });
    expect(all.items.find((i) => i.id === made[3]?.id)).toMatchObject({
      state: 'read',
      page: `pages/notice/detail?id=${made[3]?.id}`,
    });
  });

  it('confirms only a notice that asks for it, and a confirm reads it too', async () => {
    const [plain, asking] = await notices(2, (i) => ({ requireConfirm: i === 1 }));
    const refused = await api(t).post(`/api/notices/${plain?.id}/confirm`).set(reader.auth).send({});
    expect(refused.status).toBe(409);
    expect(errorBody(refused).errcode).toBe(40951);
    const confirmed = await api(t).post(`/api/notices/${asking?.id}/confirm`).set(reader.auth).send({});
    expect(data<NoticeView>(confirmed).me).toMatchObject({ state: 'confirmed' });
    expect(await unreadCount(t, reader)).toBe(1);
    // The manager is no recipient: 403 for read and confirm.
    expect((await api(t).post(`/api/notices/${asking?.id}/read`).set(teacher.auth).send({})).status).toBe(
      403,
    );
  });

  it('refuses a cursor that is not one and an unknown category with 400', async () => {
    for (const query of [{ cursor: 'abc' }, { category: '八卦' }, { limit: '1000' }]) {
      const res = await api(t).get('/api/inbox').query(query).set(reader.auth);
      expect(res.status).toBe(400);
      expect(errorBody(res).details?.[0]?.path).toBe(Object.keys(query)[0]);
    }
  });

  it('retracts a published notice from every inbox (DELETE), which its recipients then cannot see', async () => {
    const [kept, retracted] = await notices(2);
    const res = await api(t).delete(`/api/notices/${retracted?.id}`).set(teacher.auth);
    expect(data<NoticeView>(res).status).toBe('retracted');
    await waitFor(async () => (await unreadCount(t, reader)) === 1);
    expect((await inbox(t, reader)).items.map((i) => i.id)).toEqual([kept?.id]);
    expect((await api(t).get(`/api/notices/${retracted?.id}`).set(reader.auth)).status).toBe(404);
    const managerView = await api(t).get(`/api/notices/${retracted?.id}`).set(teacher.auth);
    expect(data<NoticeView>(managerView).status).toBe('retracted');
    await waitFor(
      async () => (await t.instance.notices.access(teacher.openid, retracted?.id ?? '')).notice.job === null,
    );
  });
});

describe('a retraction while the fan-out runs', () => {
  it('shows it to the recipients reached so far, then stops the fan-out and leaves no inbox entry behind', async () => {
    const redisPrefix = uniquePrefix();
    // Not started: no sweep of its own claims the publication before the slow publisher does.
    const t = await lab.start({ config: { redisPrefix }, tuning: QUICK, start: false });
    const teacher = await person(t, lab.sandbox, 'r-teacher');
    const { id: groupId, code } = await group(t, teacher, '五班');
    const openids = await members(
      t,
      lab.sandbox,
      code,
      Array.from({ length: 60 }, (_, i) => `r${i}`),
    );

    // A publisher (10 a step) whose second step's pushes wait until the retraction came in.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let steps = 0;
    const catalog = loadTemplates(path.join(projectRoot(), 'config', 'templates.json'));
    const slow = new NoticePublisher({
      store: new NoticeStore(t.redis, t.instance.keys),
      recipients: new NoticeRecipientStore(t.redis, t.instance.keys),
      inbox: new InboxStore(t.redis, t.instance.keys),
      groups: t.instance.groups,
      notifications: {
        prepare: (content) => t.instance.notifications.prepare(content),
        sendPrepared: async (prepared, to) => {
          if (++steps === 2) await held;
          return t.instance.notifications.sendPrepared(prepared, to);
        },
      },
      categories: loadCategories(path.join(projectRoot(), 'config', 'categories.json'), catalog),
      instanceId: 'slow',
      timezone: 'Asia/Shanghai',
      logger: t.logs.logger,
      now: Date.now,
      chunkSize: 10,
      chunksPerStep: 4,
    });
    const notice = await publish(t, teacher, {
      title: '撤回测试',
      audience: { groups: [groupId] },
      publishAt: Date.now() + 300,
    });
    await waitFor(() => Date.now() > Date.parse(notice.publishAt));
    const running = slow.sweep();
    await waitFor(() => steps >= 2);
    // The first step's recipients have their entry (and push) already: they can open it.
    const early = await person(t, lab.sandbox, 'r0');
    const opened = await api(t).get(`/api/notices/${notice.id}`).set(early.auth);
    expect(data<NoticeView>(opened)).toMatchObject({
      status: 'publishing',
      me: { state: expect.stringMatching(/^(pending|sent)$/) },
    });
    const res = await api(t).delete(`/api/notices/${notice.id}`).set(teacher.auth);
    expect(data<NoticeView>(res).status).toBe('retracted');
    release();
    await running;

    await waitFor(
      async () => (await t.instance.notices.access(teacher.openid, notice.id)).notice.job === null,
    );
    for (const openid of openids) {
      const entries = await t.redis.zRange(t.instance.keys.inbox(inboxShardOf(openid), openid), 0, -1);
      expect(entries).toEqual([]);
    }
    // The step under way when it was retracted finished (40 pushes: 4 chunks of 10); none after it.
    await waitFor(() => pushesOf(lab.sandbox, notice.id).length >= 40);
    await t.instance.notifications.sweep();
    const pushed = new Set(pushesOf(lab.sandbox, notice.id).map((m) => m.touser));
    expect(pushed).toEqual(new Set(openids.slice(0, 40)));
    await slow.stop();
  });
});
