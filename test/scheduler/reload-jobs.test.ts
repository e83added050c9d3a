import request from 'supertest';
import { main } from '../../scripts/reload-jobs';
import { testRedisUrl, uniquePrefix, useSandbox, type TestInstance } from '../support/harness';

const wechat = useSandbox();
const redisPrefix = uniquePrefix();
// Two instances of one deployment, for the whole file: the reload route reuses those of the script's test.
const running: TestInstance[] = [];

beforeAll(async () => {
  for (let i = 0; i < 2; i++) running.push(await wechat.start({ config: { redisPrefix } }));
});

describe('scripts/reload-jobs', () => {
  it('says so when no instance is running', async () => {
    const lines: string[] = [];
    const replies = await main({ REDIS_URL: testRedisUrl(), REDIS_PREFIX: uniquePrefix() }, (l) =>
      lines.push(l),
    );
    expect(replies).toEqual([]);
    expect(lines).toEqual(['no running instance answered: nothing to reload']);
  });

  it('prints each instance’s counts and reschedules exactly the reminder edited by hand', async () => {
    const [a, b] = running;
    const openid = wechat.sandbox.openIdFor('ops');
    const at = Date.now() + 5 * 60_000;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        (await a!.instance.reminders.create(openid, { title: `ops ${i}`, at: at + i * 1000 })).reminder.id,
      );
    }
    const env = { REDIS_URL: testRedisUrl(), REDIS_PREFIX: redisPrefix };
    const lines: string[] = [];
    const first = await main(env, (l) => lines.push(l));
    expect(first.map((r) => r.instance).sort()).toEqual([a!.instance.id, b!.instance.id].sort());
    for (const reply of first)
      expect(reply).toMatchObject({ added: 0, removed: 0, rescheduled: 0, unchanged: 5, held: 5 });
    expect(lines).toHaveLength(3); // header + one line per instance

    // An operator moves one reminder by hand: redis-cli ZADD '<prefix>due:{u<shard>}' <ms> <id>
    const untouched = b!.instance.scheduler.registry.jobOf(ids[1]!);
    await a!.redis.zAdd(a!.instance.keys.due(a!.instance.keys.reminderShard(ids[0]!)), {
      score: at + 60_000,
      value: ids[0]!,
    });
    const second = await main(env, () => undefined);
    for (const reply of second)
      expect(reply).toMatchObject({ added: 0, removed: 0, rescheduled: 1, unchanged: 4 });
    expect(b!.instance.scheduler.registry.fireAtOf(ids[0]!)).toBe(at + 60_000);
    expect(b!.instance.scheduler.registry.jobOf(ids[1]!)).toBe(untouched);
  });
});

describe('POST /api/admin/jobs/reload', () => {
  it('reconciles every instance and returns their counts; 401 without the admin token', async () => {
    const [a] = running;
    const app = a!.instance.app.callback();
    expect((await request(app).post('/api/admin/jobs/reload')).status).toBe(401);
    const res = await request(app)
      .post('/api/admin/jobs/reload')
      .set('Authorization', `Bearer ${a!.config.adminToken}`);
    expect(res.status).toBe(200);
    expect(res.body.data.instances).toBe(2);
    for (const reply of res.body.data.replies) expect(reply).toMatchObject({ removed: 0, held: 5 });
  });
});
