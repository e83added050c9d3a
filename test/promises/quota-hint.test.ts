import { api, grant, person, PROMISE_TEMPLATE, REMINDER_TEMPLATE } from './promise-helpers';
import { useSandbox } from '../support/harness';

// docs/architecture.md#the-quota-hint: a promise's create answer says whether the author holds a
// grant for what they will receive — a give's daily reminders, an ask's kept/missed notices.
const env = useSandbox();

describe('the quota hint on a promise create', () => {
  it('names the reminder template for a give and the promise template for an ask, with the ledger count', async () => {
    const t = await env.start({ config: { quotaMode: 'enforce' }, start: false });
    const author = await person(t, env.sandbox, 'hint-author');
    await grant(t, author, PROMISE_TEMPLATE, 2);

    const give = await api(t)
      .post('/api/promises/give')
      .set(author.auth)
      .send({ hour: 7, min: 0, detail: '早起' });
    const ask = await api(t)
      .post('/api/promises/ask')
      .set(author.auth)
      .send({ hour: 7, min: 0, detail: '早起' });

    expect(give.status).toBe(201);
    expect(give.body.data.quota).toEqual({ templateId: REMINDER_TEMPLATE, remaining: 0, mode: 'enforce' });
    expect(ask.status).toBe(201);
    expect(ask.body.data.quota).toEqual({ templateId: PROMISE_TEMPLATE, remaining: 2, mode: 'enforce' });
  });
});
