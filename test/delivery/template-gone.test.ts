import { parseTemplates } from '../../src/wechat/templates';
import { uniquePrefix, useSandbox, waitFor } from '../support/harness';

const env = useSandbox();

describe('a reminder whose template was removed from config/templates.json', () => {
  it('fails once with a clear message, makes no WeChat call and keeps the user’s grant', async () => {
    const redisPrefix = uniquePrefix();
    const config = { redisPrefix, quotaMode: 'enforce' as const };
    // The instance that accepted the reminder knew the template; the one that sends it no longer does.
    const creator = await env.start({ config, start: false });
    const sender = await env.start({
      config,
      tuning: { sweepIntervalMs: 200 },
      templates: parseTemplates({ otherTemplate: { thing1: '{{title}}' } }),
    });
    const openid = env.sandbox.openIdFor('gone');
    const templateId = creator.config.wx.templateId;
    await creator.instance.quota.grant(openid, templateId);
    const { reminder } = await creator.instance.reminders.create(openid, {
      title: 'gone',
      at: Date.now() + 500,
    });
    const id = reminder.id;
    // The creator's scheduler never started: it must not hold (and fire) a timer of its own.
    expect(creator.instance.scheduler.size).toBe(0);

    const failed = await waitFor(async () => {
      const r = await sender.instance.store.get(id);
      return r?.status === 'failed' ? r : undefined;
    }, 5000);
    expect(failed.lastResult?.errmsg).toMatch(/^template cannot be rendered: unknown template/);
    expect(env.sandbox.stats.sendCalls).toBe(0);
    expect(await creator.instance.quota.remaining(openid)).toEqual({ [templateId]: 1 });
    expect(sender.logs.text()).toContain('template cannot be rendered');
  });
});
