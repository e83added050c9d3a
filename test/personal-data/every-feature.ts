/**
 * A user who uses every feature there is, through the API and the sandbox, for
 * completeness.test.ts: each step is one feature, and names the routes it calls. The test fails
 * while a route the app serves (other than the operator's) is in no step — so a new feature cannot
 * land without being used here, and then without its keys being declared by a personal-data
 * contributor (src/services/personal-data.ts). Add a step for yours.
 */
import { CHECKIN_STEP } from '../checkins/personal-data-step';
import { COMMENT_STEP } from '../comments/personal-data-step';
import { SEARCH_STEP } from '../search/personal-data-step';
import request from 'supertest';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { PushRequests } from '../push/push-requests';
import { bearer, TEST_APPID, waitFor, type TestInstance } from '../support/harness';
import type { PromiseView } from '../../src/http/presenters/promise';
import type { GroupView } from '../../src/http/presenters/group';
import {
  data,
  type ReminderDetailView,
  type ReminderPageView,
  type ReminderView,
} from '../support/api-types';

export const PUSH_TOKEN = 'AAAAA'; // WX_TOKEN of the instance: message push in plain mode
const push = new PushRequests({
  token: PUSH_TOKEN,
  aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' /* plain mode: unused */,
  appId: TEST_APPID,
});

/** What a step can use: the instance, the sandbox, and the people. */
export interface World {
  t: TestInstance;
  sandbox: WeChatSandbox;
  subject: { name: string; openid: string; tokens: string[] }; // the person whose data is checked
  other: { name: string; openid: string; token: string }; // someone they deal with (a promise's other party)
  /** Records a route the step called without `call` (a login, a signed push). */
  mark(route: string): void;
  /** Calls a route as `token` (route = 'METHOD /path/{param}', `params` fill it); expects a 2xx. */
  call(
    token: string,
    route: string,
    params?: Record<string, string>,
    body?: unknown,
    query?: Record<string, string>,
  ): Promise<request.Response>;
}

export interface Step {
  feature: string;
  routes: readonly string[]; // the routes the step calls, as test/docs/routes.ts names them (`POST /api/reminders/{id}/done`)
  run(world: World): Promise<void>;
}

/** Signs and posts a message push as WeChat would (plain mode). */
async function pushMessage(world: World, message: string, type = 'application/json'): Promise<void> {
  const p = push.plain(message, type);
  const res = await request(world.t.instance.app.callback())
    .post('/api/wx/message')
    .query(p.query)
    .set('Content-Type', p.type)
    .send(p.body);
  if (res.text !== 'success') throw new Error(`push answered ${res.status} ${res.text}`);
  world.mark('POST /api/wx/message');
}

function sentEvent(openid: string, templateId: string, msgid: string): string {
  return JSON.stringify({
    ToUserName: 'gh_123456789abc',
    FromUserName: openid,
    CreateTime: Number(push.createTime()),
    MsgType: 'event',
    Event: 'subscribe_msg_sent_event',
    List: { TemplateId: templateId, MsgID: msgid, ErrorCode: '0', ErrorStatus: 'success' },
  });
}

export const STEPS: readonly Step[] = [
  {
    feature: 'login (two sessions) and message-push verification',
    routes: ['POST /api/login', 'GET /api/wx/message'],
    async run(world) {
      // The subject's logins happen in the test's setup (two sessions); the push URL is verified here.
      const timestamp = String(Math.floor(Date.now() / 1000));
      const nonce = `verify${Date.now()}`;
      const res = await request(world.t.instance.app.callback())
        .get('/api/wx/message')
        .query({
          signature: push.crypto.signature(timestamp, nonce),
          timestamp,
          nonce,
          echostr: '1234567890',
        });
      if (res.text !== '1234567890') throw new Error(`verification answered ${res.status} ${res.text}`);
      world.mark('GET /api/wx/message');
      world.mark('POST /api/login'); // the subject's two logins, in the test's setup
    },
  },
  {
    feature: 'subscriptions: a client report, and grants from popup events',
    routes: ['POST /api/subscriptions', 'GET /api/subscriptions', 'POST /api/wx/message'],
    async run(world) {
      const templateId = world.t.config.wx.templateId;
      const token = world.subject.tokens[0] ?? '';
      await world.call(
        token,
        'POST /api/subscriptions',
        {},
        {
          errMsg: 'requestSubscribeMessage:ok',
          [templateId]: 'accept',
        },
      );
      for (let i = 0; i < 4; i++) {
        await pushMessage(world, push.popupJson(world.subject.openid, [[templateId, 'accept']]));
      }
      await world.call(token, 'GET /api/subscriptions');
    },
  },
  {
    feature: 'reminders of each kind, sent through the sandbox, confirmed by push; the lifecycle',
    routes: [
      'POST /api/reminders',
      'GET /api/reminders',
      'GET /api/reminders/{id}',
      'PATCH /api/reminders/{id}',
      'PUT /api/reminders/{id}',
      'DELETE /api/reminders/{id}',
      'POST /api/reminders/{id}/done',
      'POST /api/reminders/{id}/snooze',
      'POST /api/reminder',
      'DELETE /api/reminder/{id}',
      'POST /api/wx/message',
    ],
    async run(world) {
      const token = world.subject.tokens[1] ?? '';
      const inAnHour = Date.now() + 3_600_000;
      const create = async (body: object, key?: string) => {
        const req = request(world.t.instance.app.callback()).post('/api/reminders').set(bearer(token));
        if (key) req.set('Idempotency-Key', key);
        const res = await req.send(body);
        if (res.status !== 201) throw new Error(`create answered ${res.status} ${res.text}`);
        world.mark('POST /api/reminders');
        return data<ReminderView>(res);
      };
      // A one-shot sent now (a grant, the day's counter, a msgid), idempotent, then confirmed.
      const sent = await create({ title: '喝水', detail: '一杯', at: Date.now() + 300 }, 'every-1');
      await create({ title: '喝水', detail: '一杯', at: Date.now() + 300 }, 'every-1').catch(() => undefined);
      const view = await waitFor(async () => {
        const res = await world.call(token, 'GET /api/reminders/{id}', { id: sent.id });
        const v = data<ReminderDetailView>(res);
        return v.status === 'sent' ? v : undefined;
      });
      const msgid = view.lastResult?.msgid ?? '';
      await pushMessage(world, sentEvent(world.subject.openid, view.templateId, msgid));
      await world.call(token, 'POST /api/reminders/{id}/snooze', { id: sent.id }, { minutes: 5 });
      // Daily, cron with data, a one-shot done, one cancelled, one edited.
      const daily = await create({ title: '站起来', repeat: { daily: '06:30' }, timezone: 'Asia/Shanghai' });
      await world.call(token, 'POST /api/reminders/{id}/done', { id: daily.id });
      const cron = await create({ title: '周报', repeat: { cron: '0 17 * * 5' }, data: { thing3: '写完' } });
      await world.call(token, 'PATCH /api/reminders/{id}', { id: cron.id }, { detail: '周五' });
      await world.call(token, 'PUT /api/reminders/{id}', { id: cron.id }, { page: 'pages/detail/detail' });
      const once = await create({ title: '取快递', at: inAnHour });
      await world.call(token, 'POST /api/reminders/{id}/done', { id: once.id });
      const cancelled = await create({ title: '不去了', at: inAnHour });
      await world.call(token, 'DELETE /api/reminders/{id}', { id: cancelled.id });
      // The original client's shapes.
      const legacy = await world.call(
        token,
        'POST /api/reminder',
        {},
        {
          title: '开会',
          time: '明天',
          reminderTime: inAnHour,
          enableSubscribe: true,
        },
      );
      const legacyId = data<ReminderView>(legacy).id;
      await world.call(token, 'POST /api/reminder', {}, { title: '留着', reminderTime: inAnHour });
      await world.call(token, 'DELETE /api/reminder/{id}', { id: legacyId });
      await world.call(token, 'GET /api/reminders', {}, undefined);
    },
  },
  {
    feature: 'promises: as author (give, ask) and as counterpart (ask), kept, read, ended',
    routes: [
      'POST /api/promises/{type}',
      'GET /api/promises/invites/{code}',
      'POST /api/promises/invites/{code}/accept',
      'POST /api/promises/{id}/keep',
      'GET /api/promises',
      'GET /api/promises/{id}',
      'DELETE /api/promises/{id}',
    ],
    async run(world) {
      const me = world.subject.tokens[0] ?? '';
      const them = world.other.token;
      const { timezone, hour } = daytimeZone();
      const body = (detail: string) => ({ hour, min: 0, detail, timezone, counterpartName: '小明' });
      const create = async (token: string, type: string, detail: string) =>
        data<PromiseView>(
          await world.call(token, 'POST /api/promises/{type}', { type }, { cid: 7, ...body(detail) }),
        );
      const bind = async (token: string, promise: PromiseView) => {
        const code = promise.invite?.code ?? '';
        await world.call(token, 'GET /api/promises/invites/{code}', { code });
        await world.call(token, 'POST /api/promises/invites/{code}/accept', { code }, {});
      };
      // Author of a give, the other party accepts; the author keeps today.
      const give = await create(me, 'give', '早睡');
      await bind(them, give);
      await world.call(me, 'POST /api/promises/{id}/keep', { id: give.id }, {});
      // Counterpart of the other's ask: reminded, and keeps.
      const asked = await create(them, 'ask', '跑步');
      await bind(me, asked);
      await world.call(me, 'POST /api/promises/{id}/keep', { id: asked.id }, {});
      // Author of an ask that the other accepts, then ends.
      const ask = await create(me, 'ask', '读书');
      await bind(them, ask);
      // The other keeps it: the author is told (a notification to them, src/services/notification-service.ts).
      await world.call(them, 'POST /api/promises/{id}/keep', { id: ask.id }, {});
      await world.call(me, 'GET /api/promises');
      await world.call(me, 'GET /api/promises/{id}', { id: ask.id });
      await world.call(me, 'DELETE /api/promises/{id}', { id: ask.id });
    },
  },
  {
    feature: 'groups: owner of one with a manager, owner of one alone, member of another with a profile',
    routes: [
      'POST /api/groups',
      'GET /api/groups',
      'GET /api/groups/{id}',
      'PATCH /api/groups/{id}',
      'PUT /api/groups/{id}',
      'DELETE /api/groups/{id}',
      'POST /api/groups/{id}/invite-code/rotate',
      'GET /api/groups/{id}/qrcode',
      'POST /api/groups/join',
      'PUT /api/groups/{id}/me',
      'GET /api/groups/{id}/members',
      'PATCH /api/groups/{id}/members/{memberId}',
      'PUT /api/groups/{id}/members/{memberId}',
      'DELETE /api/groups/{id}/members/{memberId}',
    ],
    async run(world) {
      const me = world.subject.tokens[0] ?? '';
      const them = world.other.token;
      const group = async (token: string, name: string) =>
        data<GroupView>(await world.call(token, 'POST /api/groups', {}, { name, description: '班级' }));
      const join = async (token: string, g: GroupView) =>
        data<GroupView>(await world.call(token, 'POST /api/groups/join', {}, { code: g.invite?.code ?? '' }));
      // Owned, the other person its manager (erasure hands it over), code rotated, QR made.
      const owned = await group(me, '三年二班');
      await world.call(me, 'PATCH /api/groups/{id}', { id: owned.id }, { name: '三年三班' });
      await world.call(me, 'PUT /api/groups/{id}', { id: owned.id }, { description: '通知' });
      const rotated = data<GroupView>(
        await world.call(me, 'POST /api/groups/{id}/invite-code/rotate', { id: owned.id }, {}),
      );
      await world.call(me, 'GET /api/groups/{id}/qrcode', { id: owned.id });
      const theirs = (await join(them, rotated)).me.memberId;
      const member = { id: owned.id, memberId: theirs };
      await world.call(me, 'PATCH /api/groups/{id}/members/{memberId}', member, { role: 'manager' });
      await world.call(me, 'PUT /api/groups/{id}/members/{memberId}', member, { tags: ['班干部'] });
      await world.call(me, 'PUT /api/groups/{id}/me', { id: owned.id }, { displayName: '班主任' });
      await world.call(me, 'GET /api/groups/{id}/members', { id: owned.id });
      // Owned alone (erasure deletes it), after removing the other person from it.
      const alone = await group(me, '社团');
      const removed = (await join(them, alone)).me.memberId;
      await world.call(me, 'DELETE /api/groups/{id}/members/{memberId}', { id: alone.id, memberId: removed });
      await world.call(me, 'DELETE /api/groups/{id}', { id: (await group(me, '不要了')).id });
      // A member of the other person's group, with a profile and a tag.
      const other = await group(them, '学生会');
      const mine = await join(me, other);
      await world.call(
        me,
        'PUT /api/groups/{id}/me',
        { id: other.id },
        { displayName: '乌玛', studentNo: '42' },
      );
      const tagged = { id: other.id, memberId: mine.me.memberId };
      await world.call(them, 'PATCH /api/groups/{id}/members/{memberId}', tagged, { tags: ['干事'] });
      await world.call(me, 'GET /api/groups');
      await world.call(me, 'GET /api/groups/{id}', { id: other.id });
    },
  },
  {
    feature: 'notices: author of one (edited, cancelled, published), recipient of another (read, confirmed)',
    routes: [
      'GET /api/preferences',
      'PUT /api/preferences',
      'POST /api/notices',
      'GET /api/notices/{id}',
      'PATCH /api/notices/{id}',
      'PUT /api/notices/{id}',
      'DELETE /api/notices/{id}',
      'GET /api/notices/{id}/stats',
      'GET /api/notices/{id}/progress',
      'GET /api/notices/{id}/recipients',
      'POST /api/notices/{id}/remind',
      'POST /api/notices/{id}/read',
      'POST /api/notices/{id}/confirm',
      'GET /api/inbox',
      'GET /api/inbox/unread-count',
    ],
    async run(world) {
      const me = world.subject.tokens[0] ?? '';
      const them = world.other.token;
      type Notice = { id: string; status: string };
      // Muted: the notices they receive push nothing (pushes are notifications, not this step's).
      await world.call(me, 'PUT /api/preferences', {}, { categories: { 通知: false } });
      await world.call(me, 'GET /api/preferences');
      const group = async (token: string, name: string) =>
        data<GroupView>(await world.call(token, 'POST /api/groups', {}, { name }));
      const mine = await group(me, '通知组');
      await world.call(them, 'POST /api/groups/join', {}, { code: mine.invite?.code ?? '' });
      const theirs = await group(them, '家委会');
      await world.call(me, 'POST /api/groups/join', {}, { code: theirs.invite?.code ?? '' });
      // Written by the subject: one published (with an Idempotency-Key), one scheduled, edited, cancelled.
      const created = await request(world.t.instance.app.callback())
        .post('/api/notices')
        .set(bearer(me))
        .set('Idempotency-Key', 'every-notice-1')
        .send({ title: '开会', body: '三点', category: '通知', audience: { groups: [mine.id] } });
      if (created.status !== 201) throw new Error(`notice create answered ${created.status} ${created.text}`);
      world.mark('POST /api/notices');
      const published = data<Notice>(created);
      const later = data<Notice>(
        await world.call(
          me,
          'POST /api/notices',
          {},
          {
            title: '下周',
            category: '活动',
            audience: { groups: [mine.id] },
            publishAt: Date.now() + 3_600_000,
          },
        ),
      );
      await world.call(me, 'PATCH /api/notices/{id}', { id: later.id }, { title: '下下周' });
      await world.call(me, 'PUT /api/notices/{id}', { id: later.id }, { urgency: 'important' });
      await world.call(me, 'DELETE /api/notices/{id}', { id: later.id });
      await waitFor(async () => {
        const res = await world.call(me, 'GET /api/notices/{id}/stats', { id: published.id });
        return data<Notice>(res).status === 'published';
      });
      await world.call(me, 'GET /api/notices/{id}/progress', { id: published.id }); // counts, no one's data
      await world.call(me, 'GET /api/notices/{id}/recipients', { id: published.id });
      await world.call(me, 'POST /api/notices/{id}/remind', { id: published.id }, {});
      // Received by the subject: read and confirmed.
      const received = data<Notice>(
        await world.call(
          them,
          'POST /api/notices',
          {},
          {
            title: '交材料',
            category: '通知',
            requireConfirm: true,
            audience: { groups: [theirs.id] },
          },
        ),
      );
      await waitFor(async () => {
        const res = await world.call(me, 'GET /api/inbox');
        return data<{ items: Notice[] }>(res).items.some((n) => n.id === received.id);
      });
      await world.call(me, 'GET /api/inbox/unread-count');
      await world.call(me, 'GET /api/notices/{id}', { id: received.id });
      await world.call(me, 'POST /api/notices/{id}/read', { id: received.id }, {});
      await world.call(me, 'POST /api/notices/{id}/confirm', { id: received.id }, {});
    },
  },
  CHECKIN_STEP,
  COMMENT_STEP,
  SEARCH_STEP,
];

/** A zone where it is daytime now, and an hour two hours ahead there: today's promise day is owed. */
function daytimeZone(): { timezone: string; hour: number } {
  const zones = [
    'Asia/Shanghai',
    'Europe/London',
    'America/New_York',
    'America/Los_Angeles',
    'Pacific/Auckland',
  ];
  for (const timezone of zones) {
    const hour = Number(
      new Intl.DateTimeFormat('en-GB', { hour: '2-digit', hourCycle: 'h23', timeZone: timezone }).format(
        new Date(),
      ),
    );
    if (hour >= 6 && hour <= 18) return { timezone, hour: hour + 2 };
  }
  throw new Error('no zone in daytime');
}

/**
 * Routes no step needs to call: the operator's API (`/api/admin/…`: what it shows of users comes
 * from their own use, which the steps cover, e.g. their messages to customer service through the
 * push URL), health, metrics, the console's static files, and the two the test itself calls.
 */
export function notPersonal(route: string): boolean {
  const [, path = ''] = route.split(' ');
  return (
    path.startsWith('/api/admin/') ||
    // The web console's browser routes (cookie sessions, src/http/routes/console*.ts): a publisher's
    // console sessions are declared by ConsolePersonalData and their erasure is
    // test/console/sessions.test.ts's (DELETE /api/me ends them); what the pages show is the
    // user's groups, notices and check-ins, stepped above through the mini-program's routes.
    path.startsWith('/api/console/') ||
    ['GET /api/health', 'GET /metrics', 'GET /console', 'GET /console/{file}'].includes(route) ||
    ['GET /api/me/export', 'DELETE /api/me'].includes(route)
  );
}

/** The ids of the subject's reminders, from the list the API gives them. */
export async function reminderIdsOf(world: World, token: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const query: Record<string, string> = cursor ? { cursor, limit: '100' } : { limit: '100' };
    const res = await world.call(token, 'GET /api/reminders', {}, undefined, query);
    const page = data<ReminderPageView>(res);
    for (const r of page.items) ids.add(r.id);
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

/** The ids of the promises the subject is a party to. */
export async function promiseIdsOf(world: World, token: string): Promise<Set<string>> {
  const res = await world.call(token, 'GET /api/promises', {}, undefined, { limit: '100' });
  return new Set(data<{ items: PromiseView[] }>(res).items.map((p) => p.id));
}
