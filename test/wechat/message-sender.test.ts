import path from 'node:path';
import { ReminderOccurrences } from '../../src/delivery/kinds/reminder';
import type { DeliveryAttempt, Reminder } from '../../src/domain/reminder';
import { projectRoot } from '../../src/infra/paths';
import { SendPauseStore } from '../../src/store/send-pause-store';
import { MessageSender } from '../../src/wechat/message-sender';
import {
  loadTemplates,
  parseTemplates,
  type TemplateCatalog,
  type TemplateDefinition,
} from '../../src/wechat/templates';
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
    pauses: new SendPauseStore(t.redis, keys),
    logger: t.logs.logger,
    miniprogramState: 'formal',
    graceMs: 600_000,
  });
}

/** The reminder's occurrence now, rendered by the reminder kind with `catalog`. */
function prepare(catalog: TemplateCatalog) {
  const slot = Date.now();
  const outgoing = new ReminderOccurrences(t.instance.store, catalog).render(reminder, slot);
  return {
    occurrence: `${reminder.id}:${slot}`,
    slot,
    prepared: sender().prepare(outgoing, `${reminder.id}:${slot}`),
  };
}

/** A catalogue whose lookup fails the way a bug would, not the way a missing template does. */
class BrokenCatalog extends Map<string, TemplateDefinition> {
  override get(): TemplateDefinition | undefined {
    throw new TypeError('a bug while rendering');
  }
}

describe('MessageSender', () => {
  it('renders an occurrence and sends it with one call, handing back the attempt that ended it', async () => {
    const { occurrence, slot, prepared } = prepare(
      loadTemplates(path.join(projectRoot(), 'config', 'templates.json')),
    );
    if (prepared.message === null) throw new Error(prepared.errmsg);
    const calls = env.sandbox.stats.sendCalls;
    const onTheWay: DeliveryAttempt[] = [];

    const outcome = await sender().send(prepared.message, occurrence, slot + 60_000, {
      onAttempt: async (attempt) => {
        onTheWay.push(attempt);
      },
      keepClaim: async () => true,
    });

    expect(env.sandbox.stats.sendCalls).toBe(calls + 1);
    const sent = env.sandbox.sent.at(-1);
    expect(sent).toMatchObject({ touser: reminder.openid, template_id: reminder.templateId });
    expect(outcome).toMatchObject({ status: 'sent', errcode: 0, msgid: sent?.msgid, attempts: 1 });
    // The pipeline records the last attempt with the outcome; only attempts on the way go to onAttempt.
    expect(outcome.last).toMatchObject({
      occurrence,
      attempt: 1,
      result: 'sent',
      errcode: 0,
      msgid: sent?.msgid,
    });
    expect(onTheWay).toEqual([]);
  });

  it('turns a template the catalogue no longer has into a failure to record, without calling WeChat', () => {
    const calls = env.sandbox.stats.sendCalls;
    const { prepared } = prepare(parseTemplates({ other: { thing1: '{{title}}' } }));
    expect(prepared.message).toBeNull();
    expect(prepared.message === null && prepared.errmsg).toMatch(
      /^template cannot be rendered: unknown template/,
    );
    expect(env.sandbox.stats.sendCalls).toBe(calls);
    expect(t.logs.text()).toContain('template cannot be rendered');
  });

  it('lets any other exception propagate instead of recording it as a failed delivery', () => {
    expect(() => prepare(new BrokenCatalog())).toThrow(TypeError);
  });
});
