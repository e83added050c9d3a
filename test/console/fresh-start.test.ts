import { readFileSync } from 'node:fs';
import path from 'node:path';
import { login, useMainProcess } from '../support/harness';

/**
 * `npm start` with nothing configured, as a person trying the console would run it: the operator's
 * token is in var/, and a sandbox user can write to customer service, so that the console's
 * conversations page has something to answer (the sandbox's push side needs a message-push token,
 * which this run makes up), while the mini-program's subscription reports still count as grants.
 */
describe('the console on a fresh npm start (sandbox mode)', () => {
  const main = useMainProcess('console-start');

  it('takes a sandbox user’s customer-service message, answers it from the operator’s side, and still counts client grants', async () => {
    const app = await main.start();
    const wxApiBase = /"wxApiBase":"([^"]+)"/.exec(app.output())?.[1] ?? '';
    expect(wxApiBase).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(app.output()).toContain(`${wxApiBase}/__sandbox/push`); // printed for a person to try
    const adminToken = readFileSync(path.join(main.cwd, 'var', 'console-operator-token'), 'utf8').trim();
    const admin = { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' };

    const pushed = await fetch(`${wxApiBase}/__sandbox/push`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: 'walker', message: { MsgType: 'text', Content: '帮助' } }),
    });
    expect(pushed.status).toBe(200);
    expect(((await pushed.json()) as { ok: boolean; delivered: boolean }).delivered).toBe(true);

    const list = await fetch(`${app.url}/api/admin/conversations`, { headers: admin });
    const conversations = ((await list.json()) as { data: { items: { openid: string }[] } }).data.items;
    expect(conversations).toHaveLength(1);
    const openid = conversations[0]?.openid ?? '';
    const reply = await fetch(`${app.url}/api/admin/conversations/${openid}/messages`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ text: '您好，请讲。' }),
    });
    expect(reply.status).toBe(201);

    // The made-up token changes nothing for the mini-program: a reported accept is a grant.
    const token = await login(app.url, 'walker#2');
    const granted = await fetch(`${app.url}/api/subscriptions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ results: { 'Nq8TvGroupNoticePublished_tixing-4mWx7KczRe': 'accept' } }),
    });
    expect(((await granted.json()) as { data: unknown }).data).toMatchObject({
      counted: true,
      quota: { 'Nq8TvGroupNoticePublished_tixing-4mWx7KczRe': 1 },
    });
  }, 60_000);
});
