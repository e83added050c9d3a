import { NotificationRenderError, type PreparedNotification } from '../../src/services/notification-service';
import { useSandbox, waitFor, type TestInstance } from '../support/harness';
import { NOTICE_TEMPLATE, QUICK } from './notice-helpers';

// A notice's fan-out checks its push once per audience group (NotificationService.prepare) and
// hands it to many recipients (sendPrepared): the check cannot be skipped by a caller.
const lab = useSandbox();
let t: TestInstance;

const content = {
  templateId: NOTICE_TEMPLATE,
  page: 'pages/notice/detail?id=prepared',
  title: '期末考试安排',
  detail: '三年二班',
  timezone: 'Asia/Shanghai',
  fireAt: Date.UTC(2026, 11, 1, 2, 0),
  source: 'test:prepared',
};

beforeAll(async () => {
  t = await lab.start({ config: { quotaMode: 'ignore' }, tuning: QUICK });
});

describe('NotificationService.prepare / sendPrepared', () => {
  it('sends one checked content to each recipient once, as send would render it', async () => {
    const prepared = t.instance.notifications.prepare(content);
    const to = ['p1', 'p2', 'p3'].map((name) => ({
      openid: lab.sandbox.openIdFor(name),
      dedupe: `test:prepared:${name}`,
    }));
    const made = await t.instance.notifications.sendPrepared(prepared, to);
    expect(made.every((m) => m.created)).toBe(true);
    // The same dedupe keys again: the first notifications, nothing stored or sent twice.
    const again = await t.instance.notifications.sendPrepared(prepared, to);
    expect(again).toEqual(made.map((m) => ({ id: m.id, created: false })));

    const pushes = () => lab.sandbox.sent.filter((m) => m.page === content.page);
    await waitFor(() => pushes().length === 3);
    expect(new Set(pushes().map((m) => m.touser))).toEqual(new Set(to.map((r) => r.openid)));
    const [one] = await t.instance.notifications.send([{ ...content, openid: lab.sandbox.openIdFor('p4') }]);
    await waitFor(() => pushes().length === 4);
    const data = pushes().map((m) => JSON.stringify(m.data));
    expect(new Set(data).size).toBe(1); // the prepared pushes read as send()'s
    expect((await t.instance.notifications.get(one!.id))?.title).toBe(content.title);
    expect((await t.instance.notifications.get(made[0]!.id))?.openid).toBe(to[0]!.openid);
  });

  it('refuses content that breaks a field rule at prepare, and stores nothing', async () => {
    const sent = lab.sandbox.sent.length;
    expect(() => t.instance.notifications.prepare({ ...content, title: '长'.repeat(21) })).toThrow(
      NotificationRenderError,
    );
    // Positive control in the same wait: a valid send after it goes out.
    await t.instance.notifications.send([
      { ...content, page: 'pages/x', openid: lab.sandbox.openIdFor('p5') },
    ]);
    await waitFor(() => lab.sandbox.sent.length === sent + 1);
    expect(lab.sandbox.sent.slice(sent).map((m) => m.page)).toEqual(['pages/x']);
  });

  it('refuses what it did not prepare, and a prepared content cannot be changed', async () => {
    const forged: PreparedNotification = { content: { ...content, title: '长'.repeat(21) } };
    await expect(
      t.instance.notifications.sendPrepared(forged, [{ openid: lab.sandbox.openIdFor('p6') }]),
    ).rejects.toThrow('not prepared by this service');

    const prepared = t.instance.notifications.prepare(content);
    expect(() => {
      (prepared.content as { title: string }).title = '长'.repeat(21);
    }).toThrow(TypeError);
    expect(() => {
      (prepared as { content: unknown }).content = forged.content;
    }).toThrow(TypeError);
    expect(prepared.content.title).toBe(content.title);
  });
});
