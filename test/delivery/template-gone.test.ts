import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { parseTemplates } from '../../src/wechat/templates';
import { startInstance, startSandbox, uniquePrefix, waitFor, type TestInstance } from '../support/harness';

let sandbox: WeChatSandbox;
let url: string;
const running: TestInstance[] = [];

beforeAll(async () => {
  ({ sandbox, url } = await startSandbox());
});

afterAll(async () => {
  for (const t of running) await t.close();
  await sandbox.stop();
});

describe('a reminder whose template was removed from config/templates.json', () => {
  it('fails once with a clear message, makes no WeChat call and keeps the user’s grant', async () => {
    const redisPrefix = uniquePrefix();
    const config = { redisPrefix, quotaMode: 'enforce' as const };
    // The instance that accepted the reminder knew the template; the one that sends it no longer does.
    const creator = await startInstance({ wxBase: url, config, start: false });
    const sender = await startInstance({
      wxBase: url,
      config,
      tuning: { sweepIntervalMs: 200 },
      templates: parseTemplates({ otherTemplate: { thing1: '{{title}}' } }),
    });
    running.push(creator, sender);
    const openid = sandbox.openIdFor('gone');
    const templateId = creator.config.wx.templateId;
    await creator.instance.quota.grant(openid, templateId);
    const { reminder } = await creator.instance.reminders.create(openid, {
      title: 'gone',
      at: Date.now() + 500,
    });
    const id = reminder.id as string;
    // The creator's scheduler never started: it must not hold (and fire) a timer of its own.
    expect(creator.instance.scheduler.size).toBe(0);

    const failed = await waitFor(async () => {
      const r = await sender.instance.store.get(id);
      return r?.status === 'failed' ? r : undefined;
    }, 5000);
    expect(failed.lastResult?.errmsg).toMatch(/^template cannot be rendered: unknown template/);
    expect(sandbox.stats.sendCalls).toBe(0);
    expect(await creator.instance.quota.remaining(openid)).toEqual({ [templateId]: 1 });
    expect(sender.logs.text()).toContain('template cannot be rendered');
  });
});
