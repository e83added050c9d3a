import { readFileSync } from 'node:fs';
import path from 'node:path';
import { api, useSandbox, type TestInstance } from '../support/harness';
import { data, type ErrorBody } from '../support/api-types';
import type { BotRulesView } from '../../src/http/presenters';
import { admin, push, SECURE, settledAnswers, startListening, text, type Listening } from './bot-helpers';

// GET/PUT /api/admin/bot/rules (docs/architecture.md#customer-service): the table every instance answers with.
const env = useSandbox({ push: SECURE });
let one: Listening;
let t: TestInstance;
const seed = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'config', 'bot.json'), 'utf8')) as {
  rules: unknown[];
};

beforeAll(async () => {
  [one] = (await startListening(env, 1)) as [Listening];
  t = one.t;
});

const get = () => api(t).get('/api/admin/bot/rules').set(admin(t));
const put = (body: unknown) =>
  api(t)
    .put('/api/admin/bot/rules')
    .set(admin(t))
    .send(body as object);
const fallback = { reply: { text: '收到' } };

describe('GET /api/admin/bot/rules', () => {
  it('answers the table seeded from config/bot.json at start', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    const view = data<BotRulesView>(res);
    expect(view.rules).toEqual(seed.rules);
    expect(view.updatedAt).toMatch(/^\d{4}-/); // stored in Redis by start()
  });

  it('needs the admin token', async () => {
    expect((await api(t).get('/api/admin/bot/rules')).status).toBe(401);
    expect(
      (await api(t).get('/api/admin/bot/rules').set({ Authorization: 'Bearer wrong-token-0123456789' }))
        .status,
    ).toBe(401);
  });
});

describe('PUT /api/admin/bot/rules', () => {
  it('refuses a regex that could run away with a 400 naming it, and keeps the table', async () => {
    const before = data<BotRulesView>(await get());
    const res = await put({
      rules: [
        { name: 'fine', match: { regex: '^订单\\d{6}$' }, reply: { text: '好' } },
        { name: 'nested', match: { regex: '(a+)+$' }, reply: { text: '坏' } },
        { name: 'overlap', match: { regex: '^(a|a)*$' }, reply: { text: '坏' } },
        { name: 'poly', match: { regex: '\\s*\\s*$' }, reply: { text: '坏' } },
      ],
      default: fallback,
    });
    expect(res.status).toBe(400);
    const body = res.body as ErrorBody;
    expect(body.errcode).toBe(40001);
    expect(body.details?.map((d) => d.path)).toEqual([
      'rules.1.match.regex',
      'rules.2.match.regex',
      'rules.3.match.regex',
    ]);
    expect(body.details?.every((d) => /could run away/.test(d.message))).toBe(true);
    expect(data<BotRulesView>(await get())).toEqual(before);
  });

  it('refuses every shape problem at once: a long or broken regex, duplicate names, a reply and a transfer', async () => {
    const res = await put({
      rules: [
        { name: 'long', match: { regex: 'a'.repeat(101) }, reply: { text: 'x' } },
        { name: 'broken', match: { regex: '(unclosed' }, reply: { text: 'x' } },
        { name: 'twice', match: { keyword: 'a' }, reply: { text: 'x' } },
        { name: 'twice', match: { keyword: 'b' }, reply: { text: 'x' }, transfer: true },
        { name: 'image-text', match: { msgType: 'image', keyword: 'c' }, reply: { text: 'x' } },
        { name: 'none', match: {}, reply: { builtin: 'weather' } },
      ],
      default: {},
    });
    expect(res.status).toBe(400);
    const paths = (res.body as ErrorBody).details?.map((d) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'rules.0.match.regex',
        'rules.1.match.regex',
        'rules.3',
        'rules.4.match',
        'rules.5.match',
        'rules.5.reply.builtin',
        'default',
      ]),
    );
  });

  it('refuses an image file that is not in config/bot/', async () => {
    const res = await put({
      rules: [{ name: 'pic', match: { keyword: '图' }, reply: { image: { file: 'missing.png' } } }],
      default: fallback,
    });
    expect(res.status).toBe(400);
    expect((res.body as ErrorBody).details).toEqual([
      {
        path: 'rules.0.reply.image.file',
        message: expect.stringMatching(/config\/bot\/missing.png does not exist/),
      },
    ]);
  });

  it('replaces the table: the next message is answered by the new rules, first match first', async () => {
    const res = await put({
      rules: [
        { name: 'first', match: { contains: '天气' }, reply: { text: '先到先得' } },
        { name: 'second', match: { keyword: '天气' }, reply: { text: '轮不到我' } },
      ],
      default: fallback,
    });
    expect(res.status).toBe(200);
    expect(data<BotRulesView>(res).rules.map((r) => r.name)).toEqual(['first', 'second']);
    const { sandbox } = env;
    await push(sandbox, one.pushUrl, 'wes', text('天气'));
    expect(await settledAnswers(sandbox, [t], sandbox.openIdFor('wes'), 1)).toEqual(['先到先得']);
    await push(sandbox, one.pushUrl, 'wes', text('明天'));
    expect(await settledAnswers(sandbox, [t], sandbox.openIdFor('wes'), 2)).toEqual(['先到先得', '收到']);
  });
});
