import { Admission } from '../../src/delivery/admission';
import { SendLimiter } from '../../src/store/send-limiter';
import { uniquePrefix, useSandbox, type TestInstance } from '../support/harness';

// docs/architecture.md#per-user-daily-send-limit: before a message goes out, the pipeline's
// admission step takes the user's grant (QUOTA_MODE=enforce) and one of their sends of the day, in
// one script call for every send a turn starts, and not while a 45009 pause is in force.
const env = useSandbox();
const TEMPLATE = 'tpl';
let t: TestInstance;

beforeAll(async () => {
  t = await env.start({ config: { redisPrefix: uniquePrefix() }, start: false });
});

function limiter(limit = 2): SendLimiter {
  return new SendLimiter(t.redis, t.instance.keys, { limit, timezone: 'Asia/Shanghai' });
}

const ledger = async (openid: string) => (await t.instance.quota.remaining(openid))[TEMPLATE];

describe('SendLimiter.admit (admit-sends.lua)', () => {
  it('takes a grant and a send of the day for each send in order, refusing past the limit without touching the grant', async () => {
    const openid = env.sandbox.openIdFor('admit-order');
    await t.instance.quota.grant(openid, TEMPLATE, 3);
    const sends = limiter(2);

    const batch = await sends.admit(
      [1, 2, 3].map(() => ({ openid, templateId: TEMPLATE })),
      true,
    );

    expect(batch.answers?.map((a) => a.status)).toEqual(['ok', 'ok', 'rate_limited']);
    expect(await ledger(openid)).toBe(1); // two taken; the refused one kept its grant
    expect(await sends.used(openid)).toBe(2);
  });

  it('answers no_quota for a user without a grant and takes none of their sends', async () => {
    const openid = env.sandbox.openIdFor('admit-no-grant');
    const sends = limiter();

    const batch = await sends.admit([{ openid, templateId: TEMPLATE }], true);

    expect(batch.answers).toEqual([{ status: 'no_quota' }]);
    expect(await sends.used(openid)).toBe(0);
    expect(await ledger(openid)).toBeUndefined();
    // In QUOTA_MODE=ignore the same user is admitted, and the ledger stays as it was.
    expect((await sends.admit([{ openid, templateId: TEMPLATE }], false)).answers?.[0]?.status).toBe('ok');
    expect(await sends.used(openid)).toBe(1);
    expect(await ledger(openid)).toBeUndefined();
  });

  it('admits nothing while a 45009 pause is in force, and says how long it lasts', async () => {
    const openid = env.sandbox.openIdFor('admit-paused');
    await t.instance.quota.grant(openid, TEMPLATE, 1);
    const sends = limiter();
    await t.redis.set(t.instance.keys.sendPause(), '45009', { PX: 5000 });

    const paused = await sends.admit([{ openid, templateId: TEMPLATE }], true);

    expect(paused.answers).toBeNull();
    expect(paused.pausedMs).toBeGreaterThan(4000);
    expect(paused.pausedMs).toBeLessThanOrEqual(5000);
    expect(await ledger(openid)).toBe(1);
    expect(await sends.used(openid)).toBe(0);
    // Positive control: once the pause is gone the same send is admitted.
    await t.redis.del(t.instance.keys.sendPause());
    expect((await sends.admit([{ openid, templateId: TEMPLATE }], true)).answers?.[0]?.status).toBe('ok');
    expect(await ledger(openid)).toBe(0);
  });

  it('gives back the send of the day, and the grant returned, zeroed (43101) or kept', async () => {
    const sends = limiter(5);
    const users = ['give-return', 'give-zero', 'give-keep'].map((n) => env.sandbox.openIdFor(n));
    for (const openid of users) await t.instance.quota.grant(openid, TEMPLATE, 2);
    const batch = await sends.admit(
      users.map((openid) => ({ openid, templateId: TEMPLATE })),
      true,
    );
    const allowances = (batch.answers ?? []).map((a) => (a.status === 'ok' ? a.allowance : null));
    const [returned, zeroed, kept] = allowances;
    if (!returned || !zeroed || !kept) throw new Error('every send should have been admitted');

    await sends.giveBack([
      { allowance: returned, grant: 'return' },
      { allowance: zeroed, grant: 'zero' },
      { allowance: kept, grant: 'keep' },
    ]);

    expect(await Promise.all(users.map((openid) => ledger(openid)))).toEqual([2, 0, 1]);
    expect(await Promise.all(users.map((openid) => sends.used(openid)))).toEqual([0, 0, 0]);
    // A give-back never takes a count below zero (the counter may have expired meanwhile).
    await sends.giveBack([{ allowance: returned, grant: 'keep' }]);
    expect(await sends.used(users[0] as string)).toBe(0);
  });
});

describe('Admission', () => {
  it('admits the sends asked for in one turn with one script call, each caller getting its own answer', async () => {
    const sends = limiter(1);
    const admit = jest.spyOn(sends, 'admit'); // observed, not replaced
    const admission = new Admission({ limiter: sends, quotaMode: 'enforce' });
    const [granted, other] = ['one-turn', 'one-turn-other'].map((n) => env.sandbox.openIdFor(n));
    await t.instance.quota.grant(granted as string, TEMPLATE, 5);

    const answers = await Promise.all([
      admission.admit(granted as string, TEMPLATE),
      admission.admit(granted as string, TEMPLATE), // past the limit of 1
      admission.admit(other as string, TEMPLATE), // no grant
    ]);

    expect(admit).toHaveBeenCalledTimes(1);
    expect(answers.map((a) => a.status)).toEqual(['ok', 'rate_limited', 'no_quota']);
    expect(answers[1]).toMatchObject({ errmsg: expect.stringMatching(/USER_DAILY_SEND_LIMIT/) });
    expect(answers[2]).toMatchObject({ errmsg: expect.stringMatching(/no subscription grant left/) });
    const [ok] = answers;
    if (ok?.status !== 'ok') throw new Error('the first send should have been admitted');
    await admission.giveBack(ok.ticket);
    expect(await ledger(granted as string)).toBe(5);
    expect(await sends.used(granted as string)).toBe(0);
    // A later turn is a call of its own.
    await admission.admit(granted as string, TEMPLATE);
    expect(admit).toHaveBeenCalledTimes(2);
  });
});
