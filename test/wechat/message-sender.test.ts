import { ReminderOccurrences } from '../../src/delivery/kinds/reminder';
import type { DeliveryAttempt, Reminder } from '../../src/domain/reminder';
import { QuotaStore } from '../../src/store/quota-store';
import { SendLimiter } from '../../src/store/send-limiter';
import { SendPauseStore } from '../../src/store/send-pause-store';
import { MessageSender } from '../../src/wechat/message-sender';
import { parseTemplates, type TemplateCatalog, type TemplateDefinition } from '../../src/wechat/templates';
import { useSandbox, type TestInstance } from '../support/harness';

const env = useSandbox();
let t: TestInstance;
let reminder: Reminder;

beforeAll(async () => {
  t = await env.start({ start: false });
  const openid = env.sandbox.openIdFor('sender');
  await t.instance.reminders.create(openid, { title: 'sender', at: Date.now() + 3_600_000 });
  const [stored] = (await t.instance.store.listByUser(openid, { limit: 1 })).items;
  if (!stored) throw new Error('the reminder was not stored');
  reminder = stored;
});

/** A sender on the instance's Redis and WeChat client. */
function sender(): MessageSender {
  const { keys } = t.instance;
  return new MessageSender({
    client: t.instance.wechat,
    tokens: t.instance.tokens,
    quota: new QuotaStore(t.redis, keys),
    limiter: new SendLimiter(t.redis, keys, { limit: 50, timezone: 'Asia/Shanghai' }),
    pauses: new SendPauseStore(t.redis, keys),
    logger: t.logs.logger,
    miniprogramState: 'formal',
    quotaMode: 'ignore',
    graceMs: 600_000,
  });
}

/** Delivers the reminder's occurrence now, rendered by the reminder kind with `catalog`. */
async function deliver(catalog: TemplateCatalog, attempts: DeliveryAttempt[]) {
  const slot = Date.now();
  const outgoing = new ReminderOccurrences(t.instance.store, catalog).render(reminder, slot);
  return sender().deliver(outgoing, `${reminder.id}:${slot}`, slot + 60_000, {
    onAttempt: async (attempt) => {
      attempts.push(attempt);
    },
    keepClaim: async () => true,
  });
}

/** A catalogue whose lookup fails the way a bug would, not the way a missing template does. */
class BrokenCatalog extends Map<string, TemplateDefinition> {
  override get(): TemplateDefinition | undefined {
    throw new TypeError('a bug while rendering');
  }
}

describe('MessageSender when the template cannot be rendered', () => {
  it('records a template the catalogue no longer has as a failed delivery, without calling WeChat', async () => {
    const attempts: DeliveryAttempt[] = [];
    const calls = env.sandbox.stats.sendCalls;
    const outcome = await deliver(parseTemplates({ other: { thing1: '{{title}}' } }), attempts);
    expect(outcome).toMatchObject({ status: 'failed', errcode: null });
    expect(outcome.errmsg).toMatch(/^template cannot be rendered: unknown template/);
    expect(attempts).toEqual([expect.objectContaining({ result: 'failed', errcode: null })]);
    expect(env.sandbox.stats.sendCalls).toBe(calls);
  });

  it('lets any other exception propagate instead of recording it as a failed delivery', async () => {
    const attempts: DeliveryAttempt[] = [];
    await expect(deliver(new BrokenCatalog(), attempts)).rejects.toThrow(TypeError);
    expect(attempts).toEqual([]);
  });
});
