import { NoticeStore } from '../../src/store/notice-store';
import { TestClock, uniquePrefix, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { data, errorBody } from '../support/api-types';
import type { NoticeView } from '../../src/http/presenters/notice';
import {
  api,
  group,
  inbox,
  members,
  person,
  publish,
  pushesOf,
  QUICK,
  settled,
  type Person,
} from './notice-helpers';

// docs/architecture.md#notices-to-groups: `publishAt` in the future schedules a notice, published once at its time however many
// instances run (claim-notice-job.lua moves it from scheduled to publishing once); cancelled
// before, it is never published.
const lab = useSandbox();

describe('scheduled notices with two instances running', () => {
  let clock: TestClock;
  let a: TestInstance;
  let b: TestInstance;
  let teacher: Person;
  let reader: Person;
  let groupId: string;

  beforeEach(async () => {
    clock = new TestClock();
    const redisPrefix = uniquePrefix();
    a = await lab.start({ now: clock.now, config: { redisPrefix }, tuning: QUICK });
    b = await lab.start({ now: clock.now, config: { redisPrefix }, tuning: QUICK });
    teacher = await person(a, lab.sandbox, 's-teacher');
    reader = await person(a, lab.sandbox, 's-reader');
    const created = await group(a, teacher, '二班');
    groupId = created.id;
    await api(a).post('/api/groups/join').set(reader.auth).send({ code: created.code }).expect(201);
    await members(a, lab.sandbox, created.code, ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9']);
  });

  /** Both instances have swept (claimed what was due) at least once more. */
  async function bothSwept(): Promise<void> {
    await Promise.all([a.instance.noticePublisher.sweep(), b.instance.noticePublisher.sweep()]);
    await waitFor(() => a.instance.noticePublisher.active === 0 && b.instance.noticePublisher.active === 0);
  }

  it('publishes once at its time: one claim wins, each recipient is pushed once', async () => {
    const claims = jest.spyOn(NoticeStore.prototype, 'claimJob');
    const at = clock.now() + 60_000;
    const scheduled = await publish(a, teacher, {
      title: '下周一开学',
      audience: { groups: [groupId] },
      publishAt: at,
    });
    expect(scheduled).toMatchObject({
      status: 'scheduled',
      publishAt: new Date(at).toISOString(),
      publishedAt: null,
    });

    // Positive control: a notice published now goes out through the same sweeps and pipelines.
    const now = await publish(b, teacher, { title: '今天大扫除', audience: { groups: [groupId] } });
    await settled(b, teacher, now.id);
    await bothSwept();
    expect(pushesOf(lab.sandbox, now.id)).toHaveLength(10);
    expect(pushesOf(lab.sandbox, scheduled.id)).toHaveLength(0);
    expect((await inbox(a, reader)).items.map((i) => i.id)).toEqual([now.id]);

    clock.advance(60_000);
    const done = await settled(a, teacher, scheduled.id);
    expect(done).toMatchObject({ recipients: 10, inbox: 10 });
    await bothSwept();
    await bothSwept();
    const pushed = pushesOf(lab.sandbox, scheduled.id);
    expect(pushed).toHaveLength(10);
    expect(new Set(pushed.map((m) => m.touser)).size).toBe(10);
    expect((await inbox(b, reader)).items.map((i) => i.id)).toEqual([scheduled.id, now.id]);

    // Of every claim of its publication, by either instance, exactly one was won.
    const results = await Promise.all(
      claims.mock.calls.map(async (call, i) => ({
        id: call[0],
        result: await claims.mock.results[i]?.value,
      })),
    );
    const won = results.filter((r) => r.id === scheduled.id && (r.result as { ok: boolean }).ok);
    expect(won).toHaveLength(1);
    claims.mockRestore();
  });

  it('never publishes a notice cancelled before its time', async () => {
    const at = clock.now() + 60_000;
    const cancelled = await publish(a, teacher, {
      title: '取消的通知',
      audience: { groups: [groupId] },
      publishAt: at,
    });
    const control = await publish(a, teacher, {
      title: '照常的通知',
      audience: { groups: [groupId] },
      publishAt: at,
    });
    const res = await api(b).delete(`/api/notices/${cancelled.id}`).set(teacher.auth);
    expect(data<NoticeView>(res).status).toBe('cancelled');

    clock.advance(60_000);
    await settled(a, teacher, control.id); // the control, due at the same time, is published
    await bothSwept();
    expect(pushesOf(lab.sandbox, control.id)).toHaveLength(10);
    expect(pushesOf(lab.sandbox, cancelled.id)).toHaveLength(0);
    const view = await api(a).get(`/api/notices/${cancelled.id}`).set(teacher.auth);
    expect(data<NoticeView>(view)).toMatchObject({ status: 'cancelled', publishedAt: null });
    expect((await inbox(a, reader)).items.map((i) => i.id)).toEqual([control.id]);
    // A recipient-to-be never sees it.
    expect((await api(a).get(`/api/notices/${cancelled.id}`).set(reader.auth)).status).toBe(404);
  });

  it('edits a scheduled notice (PATCH or PUT) until it is published, then refuses with 409', async () => {
    const first = clock.now() + 60_000;
    const notice = await publish(a, teacher, {
      title: '初稿',
      audience: { groups: [groupId] },
      publishAt: first,
    });
    const edited = await api(b)
      .put(`/api/notices/${notice.id}`)
      .set(teacher.auth)
      .send({ title: '定稿', publishAt: first + 60_000, urgency: 'important' });
    expect(data<NoticeView>(edited)).toMatchObject({
      title: '定稿',
      urgency: 'important',
      status: 'scheduled',
    });

    clock.advance(60_000); // the first time: no longer due
    const control = await publish(a, teacher, { title: '对照', audience: { groups: [groupId] } });
    await settled(a, teacher, control.id);
    await bothSwept();
    expect(pushesOf(lab.sandbox, notice.id)).toHaveLength(0);

    clock.advance(60_000);
    await settled(a, teacher, notice.id);
    const pushed = pushesOf(lab.sandbox, notice.id);
    expect(pushed).toHaveLength(10);
    expect(pushed[0]?.data).toMatchObject({ thing1: { value: '定稿' }, phrase5: { value: '重要' } });

    const late = await api(a).patch(`/api/notices/${notice.id}`).set(teacher.auth).send({ title: '再改' });
    expect(late.status).toBe(409);
    expect(errorBody(late).errcode).toBe(40950);
  });
});
