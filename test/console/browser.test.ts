import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser as Chromium, Page } from 'playwright-core';
import { api, bearer, login, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { data } from '../support/api-types';
import {
  browserAvailable,
  buildConsole,
  context,
  launch,
  screenshot,
  type Troubles,
} from './browser-support';

// The web console (README.md#web-console) in a real browser: Debian's chromium, headless, against an instance listening on
// loopback with the WeChat sandbox, as a person uses the console on a fresh `npm start`.
const PUSH_TOKEN = 'consoleBrowserTest1';
const run = browserAvailable() ? describe : describe.skip;

run('the web console in chromium', () => {
  const env = useSandbox({ push: { token: PUSH_TOKEN } });
  let t: TestInstance;
  let url: string;
  let chromium: Chromium;
  const watched: Troubles[] = [];

  beforeAll(async () => {
    buildConsole();
    t = await env.start({
      config: { wx: { sandbox: true, token: PUSH_TOKEN } },
      tuning: { sweepIntervalMs: 100, backoffBaseMs: 10 },
    });
    ({ url } = await t.instance.listen(0, '127.0.0.1'));
    env.sandbox.pushSide.target = `${url}/api/wx/message`;
    chromium = await launch();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
  });

  afterEach(() => {
    // No page broke the CSP (no inline script or style, nothing from elsewhere) or threw.
    for (const troubles of watched.splice(0)) expect(troubles).toEqual({ csp: [], errors: [] });
  });

  async function open(viewport?: { width: number; height: number }) {
    const opened = await context(chromium, viewport);
    watched.push(opened.troubles);
    await opened.page.goto(`${url}/console`);
    return opened;
  }

  const heading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name }).waitFor();
  const textOf = async (page: Page, testId: string) => (await page.getByTestId(testId).textContent()) ?? '';
  async function until(page: Page, testId: string, pattern: RegExp): Promise<string> {
    let text = '';
    return waitFor(
      async () => {
        text = await textOf(page, testId);
        return pattern.test(text) ? text : undefined;
      },
      { what: `${testId} to match ${pattern} (it reads ${JSON.stringify(text)})` },
    );
  }

  it('an operator signs in with ADMIN_TOKEN: health and instances, sends, a bot rule edited, a conversation answered', async () => {
    const adminToken = t.config.adminToken ?? '';
    // A user writes to customer service, so that there is a conversation with an open window.
    const dora = env.sandbox.openIdFor('dora');
    const pushed = await fetch(`${env.sandbox.url}/__sandbox/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'dora', message: { MsgType: 'text', Content: '你好，请问怎么退订？' } }),
    });
    expect(pushed.status).toBe(200);

    // Something to show: a daily reminder due tomorrow, and a one-shot sent a moment ago.
    const olga = await login(t, 'olga#1');
    const daily = await api(t)
      .post('/api/reminders')
      .set(bearer(olga))
      .send({ title: '早读', repeat: { daily: '07:30' } });
    const soon = await api(t)
      .post('/api/reminders')
      .set(bearer(olga))
      .send({ title: '喝水', at: Date.now() + 100 });
    await waitFor(
      async () =>
        (await api(t).get(`/api/reminders/${soon.body.data.id}`).set(bearer(olga))).body.data.status ===
          'sent' || undefined,
    );

    const { page, context: ctx } = await open();
    await page.getByRole('tab', { name: '运维登录' }).click();
    await page.getByLabel('ADMIN_TOKEN').fill(adminToken);
    await page.getByRole('button', { name: '登录' }).click();
    await heading(page, '运行概况');
    await page.getByText(t.instance.id).first().waitFor();
    await page.getByRole('cell', { name: daily.body.data.id, exact: true }).waitFor(); // among the next due
    // The token went to the server once: it is not in the page, and the session cookie is HttpOnly.
    expect(await page.content()).not.toContain(adminToken);
    expect(await page.evaluate('document.cookie')).toBe('');
    // Nor in the page's scripts, nor kept by it.
    const kept = (await page.evaluate(`(async () => {
      const scripts = await Promise.all([...document.scripts].map(async (s) => (await fetch(s.src)).text()));
      return [...scripts, JSON.stringify({ ...localStorage }), JSON.stringify({ ...sessionStorage })];
    })()`)) as string[];
    expect(kept.length).toBeGreaterThanOrEqual(3); // at least the app's bundle was read
    expect(kept.filter((text) => text.includes(adminToken))).toEqual([]);
    expect((await ctx.cookies()).find((c) => c.name === 'tixing_console')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });
    await screenshot(page, 'ops-overview', true);

    await page.getByRole('link', { name: '发送统计' }).click();
    await heading(page, '发送统计');
    await page.locator('.chart canvas').first().waitFor();
    await screenshot(page, 'ops-sends', true);

    // A rule edited: a bad regex is refused with its field named; a good rule is saved.
    await page.getByRole('link', { name: '机器人规则' }).click();
    await heading(page, '机器人规则');
    const editor = page.getByRole('textbox', { name: /规则表/ });
    const table = JSON.parse(await editor.inputValue()) as { rules: object[]; default: object };
    const withRule = (rule: object) => JSON.stringify({ ...table, rules: [rule, ...table.rules] }, null, 2);
    await editor.fill(withRule({ name: 'runaway', match: { regex: '(a+)+$' }, reply: { text: 'x' } }));
    await page.getByRole('button', { name: '校验并保存' }).click();
    await page
      .getByRole('alert')
      .getByText(/^rules\.0\.match\.regex$/)
      .waitFor();
    await editor.fill(
      withRule({ name: 'hours', match: { keyword: '营业时间' }, reply: { text: '周一至周五 9:00-18:00' } }),
    );
    await page.getByRole('button', { name: '校验并保存' }).click();
    await page.getByText('已保存').waitFor();
    const rules = await api(t).get('/api/admin/bot/rules').set(bearer(adminToken));
    expect(rules.body.data.rules[0]).toMatchObject({ name: 'hours' });
    expect(JSON.stringify(rules.body.data)).not.toContain('runaway');
    await screenshot(page, 'ops-bot', true);

    // The conversation, and an agent's reply that reaches the user through custom/send.
    await page.getByRole('link', { name: '客服会话' }).click();
    await page.getByRole('link', { name: dora }).click();
    await page.getByText('你好，请问怎么退订？').waitFor();
    await page.getByLabel('回复内容（文本）').fill('在「我的」页面关闭订阅即可。');
    await page.getByRole('button', { name: '发送' }).click();
    await waitFor(() =>
      env.sandbox.custom.sent.find(
        (m) => m.touser === dora && m.text?.content === '在「我的」页面关闭订阅即可。',
      ),
    );
    await page.locator('.chat li.out').getByText('在「我的」页面关闭订阅即可。').waitFor();
    await screenshot(page, 'ops-conversation', true);
    await ctx.close();
  }, 40_000);

  it('a publisher signs in by simulating the scan, runs a group, and follows a notice as it is read and confirmed', async () => {
    const { page, context: ctx } = await open();
    await page.locator('img.qr').waitFor();
    await screenshot(page, 'login');
    await page.getByLabel('模拟扫码的沙箱用户').fill('mei');
    await page.getByRole('button', { name: '模拟扫码登录' }).click();
    await heading(page, '我的群组');

    await page.getByLabel('名称').fill('三年二班');
    await page.getByRole('button', { name: '创建' }).click();
    await heading(page, '三年二班');
    const code = (await textOf(page, 'invite-code')).trim();
    expect(code).toMatch(/^[A-Z2-7]{8}$/);
    // Three sandbox users join with the code shown, as they would from the mini-program.
    const people: Record<string, string> = {};
    for (const [user, name] of [
      ['bob', '鲍勃'],
      ['carol', '卡萝'],
      ['dan', '丹丹'],
    ] as const) {
      const token = await login(t, `${user}#1`);
      const joined = await api(t).post('/api/groups/join').set(bearer(token)).send({ code });
      expect(joined.status).toBe(201);
      await api(t)
        .put(`/api/groups/${joined.body.data.id}/me`)
        .set(bearer(token))
        .send({ displayName: name })
        .expect(200);
      people[user] = token;
    }
    await page.reload();
    await page.getByRole('cell', { name: '卡萝', exact: true }).waitFor();
    // Carol becomes a class cadre (a tag), from the members table.
    await page.getByRole('button', { name: '编辑 卡萝' }).click();
    await page.getByLabel('标签（空格分隔）').fill('班干部');
    await page.getByRole('button', { name: '保存' }).click();
    await page.locator('.tag', { hasText: '班干部' }).waitFor();
    await screenshot(page, 'group', true);

    // Compose: the live count follows the audience picker.
    await page.getByRole('link', { name: '给本群发通知' }).click();
    await heading(page, '发布通知');
    await until(page, 'recipient-count', /将发给 3 人/);
    await page.getByRole('checkbox', { name: '班干部' }).check();
    await until(page, 'recipient-count', /将发给 1 人/);
    await page.getByRole('checkbox', { name: '班干部' }).uncheck();
    await until(page, 'recipient-count', /将发给 3 人/);
    await page.getByLabel('标题').fill('期末考试安排');
    await page.getByLabel('正文').fill('周五上午九点，带好学生证。');
    await page.getByRole('radio', { name: '重要' }).check();
    await page.getByRole('checkbox', { name: '需要收件人确认（回执）' }).check();
    await screenshot(page, 'compose', true);
    await page.getByRole('button', { name: '预览并发布' }).click();
    const dialog = page.getByRole('dialog', { name: '确认发布这条通知？' });
    await dialog.getByText('发给 3 人').waitFor();
    await dialog.getByRole('button', { name: '立即发布' }).click();
    await heading(page, '期末考试安排');
    const id = /#\/notices\/(\d+)/.exec(page.url())?.[1] ?? '';
    expect(id).toMatch(/^\d+$/);

    // Bob reads and confirms in the mini-program; the page's numbers move, and he leaves the unread list.
    await page.locator('.stat', { hasText: '收件人' }).getByText('3').waitFor();
    await page.getByTestId('unread-names').getByText('鲍勃').waitFor();
    await waitFor(
      async () =>
        (
          await api(t)
            .post(`/api/notices/${id}/read`)
            .set(bearer(people.bob ?? ''))
            .send({})
        ).status === 200 || undefined,
    );
    await api(t)
      .post(`/api/notices/${id}/confirm`)
      .set(bearer(people.bob ?? ''))
      .send({})
      .expect(200);
    await page.locator('.stat', { hasText: '已确认' }).getByText('1').waitFor();
    // The chart's series is the server's: its totals move too, and a page opened later has it all.
    await until(page, 'progress-totals', /已读 1 · 已确认 1/);
    await page.reload();
    await until(page, 'progress-totals', /已读 1 · 已确认 1/);
    await page.locator('.chart canvas').first().waitFor();
    await waitFor(async () => ((await textOf(page, 'unread-names')).includes('鲍勃') ? undefined : true));
    expect(await textOf(page, 'unread-names')).toContain('卡萝');
    await page.getByRole('button', { name: '提醒未读的人' }).click();
    await page.getByText(/已再次推送给 \d+ 人/).waitFor();
    await screenshot(page, 'notice', true);

    // Comments: one held by WeChat's content check is approved from the page; a question answered.
    const comment = (token: string, body: object) =>
      api(t).post(`/api/notices/${id}/comments`).set(bearer(token)).send(body);
    const held = await comment(people.carol ?? '', { text: '要带的资料可以加微信问吗' });
    expect(held.status).toBe(201);
    const asked = await comment(people.dan ?? '', { text: '可以带计算器吗？', private: true });
    expect(asked.status).toBe(201);
    const pendingList = page.getByTestId('pending-comments');
    await pendingList.getByText('要带的资料可以加微信问吗').waitFor();
    await pendingList.getByRole('button', { name: '通过：要带的资料可以加微信问吗' }).click();
    await page.getByText('没有待审核的评论。').waitFor();
    const seen = await api(t)
      .get(`/api/notices/${id}/comments`)
      .set(bearer(people.bob ?? ''));
    expect(seen.body.data.items.map((c: { text: string }) => c.text)).toContain('要带的资料可以加微信问吗');
    const box = page.locator(`#reply-${asked.body.data.id}`);
    await box.fill('可以，带普通计算器。');
    await page.locator('form', { has: box }).getByRole('button', { name: '回复', exact: true }).click();
    await page.getByTestId('comment-threads').getByText('可以，带普通计算器。', { exact: false }).waitFor();
    const answered = await api(t)
      .get(`/api/notices/${id}/comments/${asked.body.data.id}/replies`)
      .set(bearer(people.dan ?? ''));
    expect(answered.body.data.items.map((c: { text: string }) => c.text)).toEqual(['可以，带普通计算器。']);

    // The CSV export, as the page's link downloads it.
    const [bom, csv] = await page.evaluate(async (path) => {
      const bytes = new Uint8Array(await (await fetch(path)).arrayBuffer());
      return [[...bytes.slice(0, 3)], new TextDecoder().decode(bytes)] as const;
    }, `/api/console/notices/${id}/stats.csv`);
    expect(bom).toEqual([0xef, 0xbb, 0xbf]); // UTF-8 with a BOM, as Excel needs for Chinese
    expect(csv.startsWith('"姓名"')).toBe(true);
    expect(csv).toMatch(/"鲍勃".*"已确认"/);

    // A check-in: the code shown full screen is the one a member signs with; the count moves.
    await page.getByRole('link', { name: '会议签到' }).click();
    await heading(page, '会议签到');
    await page.getByLabel('会议名称').fill('班会');
    await page.getByRole('button', { name: '发起签到' }).click();
    await heading(page, '班会');
    await page.getByRole('link', { name: '全屏显示签到码' }).click();
    const shown = await until(page, 'checkin-code', /^\d{6}$/);
    await until(page, 'screen-count', /已签到 0 \/ 4/); // the three and mei, a member too
    await screenshot(page, 'checkin-screen');
    const checkinId = /#\/checkins\/(\d+)\/screen/.exec(page.url())?.[1] ?? '';
    const signed = await api(t)
      .post(`/api/checkins/${checkinId}/sign`)
      .set(bearer(people.bob ?? ''))
      .send({ code: shown });
    expect(signed.status).toBe(200);
    await until(page, 'screen-count', /已签到 1 \/ 4/);
    await page.keyboard.press('Escape');
    await heading(page, '班会');
    await until(page, 'absent-names', /卡萝/);
    expect(await textOf(page, 'absent-names')).not.toContain('鲍勃');
    const checkinCsv = await page.evaluate(
      async (path) => (await fetch(path)).text(),
      `/api/console/checkins/${checkinId}/stats.csv`,
    );
    expect(checkinCsv).toMatch(/"鲍勃".*"准时"/);
    expect(checkinCsv).toMatch(/"卡萝".*"缺席"/);

    // The check-in page lists the group's check-ins from the API, with the live count, in any browser.
    await page.getByRole('link', { name: '← 会议签到' }).click();
    await heading(page, '会议签到');
    const row = page.getByTestId('checkin-list').getByRole('row', { name: /班会/ });
    await row.getByRole('cell', { name: '进行中' }).waitFor();
    expect(await row.getByRole('cell').allTextContents()).toEqual(
      expect.arrayContaining(['班会', '进行中', '1', '0']),
    );
    await screenshot(page, 'checkins', true);
    await row.getByRole('link', { name: '全屏显示「班会」的签到码' }).click();
    await until(page, 'screen-count', /已签到 1 \/ 4/);
    await ctx.close();
  }, 60_000);

  it('shows a publisher only their own groups, and another’s group, notice or check-in not at all', async () => {
    const owner = await open();
    await owner.page.getByLabel('模拟扫码的沙箱用户').fill('jun');
    await owner.page.getByRole('button', { name: '模拟扫码登录' }).click();
    await heading(owner.page, '我的群组');
    await owner.page.getByLabel('名称').fill('初一三班');
    await owner.page.getByRole('button', { name: '创建' }).click();
    await heading(owner.page, '初一三班');
    const groupId = /#\/groups\/(\d+)/.exec(owner.page.url())?.[1] ?? '';
    const created = (await owner.page.evaluate(
      `(async () => {
        const csrf = (await (await fetch('/api/console/session')).json()).data.csrfToken;
        const post = (path, body) => fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: JSON.stringify(body) }).then((r) => r.json());
        const notice = await post('/api/notices', { title: '春游', body: '周三出发。', category: '通知', audience: { groups: ['${groupId}'] } });
        const checkin = await post('/api/groups/${groupId}/checkins', { title: '晨会', startsAt: Date.now(), endsAt: Date.now() + 3600000 });
        return [notice.data.id, checkin.data.id];
      })()`,
    )) as [string, string];
    const [noticeId, checkinId] = created;

    const other = await open();
    await other.page.getByLabel('模拟扫码的沙箱用户').fill('kai');
    await other.page.getByRole('button', { name: '模拟扫码登录' }).click();
    await heading(other.page, '我的群组');
    await other.page.getByLabel('名称').fill('初二一班');
    await other.page.getByRole('button', { name: '创建' }).click();
    await heading(other.page, '初二一班');
    await other.page.getByRole('link', { name: '我的群组', exact: true }).click();
    await heading(other.page, '我的群组');
    await other.page.getByRole('link', { name: '初二一班' }).waitFor(); // positive control: their own
    expect(await other.page.locator('main').textContent()).not.toContain('初一三班');
    for (const path of [`#/groups/${groupId}`, `#/notices/${noticeId}`, `#/checkins/${checkinId}`]) {
      await other.page.goto(`${url}/console${path}`);
      await other.page
        .getByRole('alert')
        .getByText(/^(没有找到|你没有权限)/)
        .waitFor();
      expect(await other.page.locator('main').textContent()).not.toMatch(/初一三班|春游|晨会/);
    }
    // Nor through the API the pages call, with their session.
    const statuses = (await other.page.evaluate(
      `Promise.all(${JSON.stringify([
        `/api/groups/${groupId}`,
        `/api/groups/${groupId}/members`,
        `/api/groups/${groupId}/checkins`,
        `/api/notices/${noticeId}/stats`,
        `/api/notices/${noticeId}/progress`,
        `/api/checkins/${checkinId}/stats`,
        `/api/console/notices/${noticeId}/stats.csv`,
        `/api/console/checkins/${checkinId}/stats.csv`,
      ])}.map((p) => fetch(p).then((r) => r.status)))`,
    )) as number[];
    expect(statuses.every((s) => s === 403 || s === 404)).toBe(true);
    expect(await owner.page.evaluate(`fetch('/api/groups/${groupId}/checkins').then((r) => r.status)`)).toBe(
      200,
    );
    // The 404s of the pages are expected; nothing else may have gone wrong in them.
    await owner.context.close();
    await other.context.close();
  }, 40_000);

  it('signs a publisher in when the mini-program user approves the scanned nonce, and fits a phone', async () => {
    const { page, context: ctx, troubles } = await open({ width: 390, height: 844 });
    const started = await page.waitForResponse(
      (r) => r.url().endsWith('/api/console/login') && r.request().method() === 'POST',
    );
    const { nonce } = data<{ nonce: string }>({ status: started.status(), body: await started.json() });
    await page.locator('img.qr').waitFor();
    const token = await login(t, 'erin#1');
    const approved = await api(t).post(`/api/console/login/${nonce}/approve`).set(bearer(token)).send({});
    expect(approved.status).toBe(200);
    await heading(page, '我的群组');
    // Nothing wider than the phone: tables scroll in their own box.
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await screenshot(page, 'phone-groups');
    // Positive control of the CSP watch every test ends with: an image from elsewhere is refused and seen.
    await page.evaluate(
      `document.body.insertAdjacentHTML('beforeend', '<img src="http://127.0.0.1:9/x.png" alt="">')`,
    );
    await waitFor(() => troubles.csp.length > 0 || undefined);
    expect(troubles.csp.splice(0)).toEqual([
      expect.stringMatching(/^img-src http:\/\/127\.0\.0\.1:9\/x\.png/),
    ]);
    await ctx.close();
  }, 30_000);

  it('refuses a write a page of another origin makes with the console’s cookie (CSRF)', async () => {
    const { page, context: ctx } = await open();
    await page.getByLabel('模拟扫码的沙箱用户').fill('hana');
    await page.getByRole('button', { name: '模拟扫码登录' }).click();
    await heading(page, '我的群组');
    await page.getByLabel('名称').fill('社团');
    await page.getByRole('button', { name: '创建' }).click();
    await heading(page, '社团');
    const groupId = /#\/groups\/(\d+)/.exec(page.url())?.[1] ?? '';
    const before = (await textOf(page, 'invite-code')).trim();

    // Another origin (another port on loopback: the same site, so SameSite lets the cookie go).
    const rotate = `${url}/api/groups/${groupId}/invite-code/rotate`;
    const evil: Server = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(
        `<!doctype html><script>fetch(${JSON.stringify(rotate)}, {method: 'POST', credentials: 'include', mode: 'no-cors'})` +
          `.then(() => { document.title = 'sent'; }, () => { document.title = 'sent'; });</script>`,
      );
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    try {
      const attacker = await ctx.newPage();
      const refused = attacker.waitForResponse((r) => r.url() === rotate);
      await attacker.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
      const answer = await refused;
      // 403, not 401: the cookie went with it (hana owns the group, so no other 403 applies), and
      // the Origin check refused it (test/console/sessions.test.ts reads the errcode, 40390).
      // The page of the other origin cannot read the answer at all (no CORS).
      expect(answer.status()).toBe(403);
      await attacker.close();
    } finally {
      await new Promise((resolve) => evil.close(resolve));
    }
    const group = (await page.evaluate(
      async (path) => (await fetch(path)).json(),
      `/api/groups/${groupId}`,
    )) as {
      data: { invite: { code: string } };
    };
    expect(group.data.invite.code).toBe(before);
    // Positive control: the console's own page rotates it (same origin, with its CSRF token).
    await page.getByRole('button', { name: '更换邀请码' }).click();
    await page.getByRole('dialog', { name: '更换邀请码？' }).getByRole('button', { name: '更换' }).click();
    await waitFor(async () => ((await textOf(page, 'invite-code')).trim() !== before ? true : undefined));
    await ctx.close();
  }, 30_000);
});
