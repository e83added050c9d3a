import type { OccurrenceKind, OccurrenceRecord } from '../../src/delivery/occurrence-kind';
import type { DeliveryAttempt } from '../../src/domain/reminder';
import type { Redis } from '../../src/store/redis';
import { afterSweeps, uniquePrefix, useSandbox, waitFor, type TestInstance } from '../support/harness';

const lab = useSandbox();
const TEMPLATE = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w'; // config/templates.json

// Claims like claim-occurrences.lua: only while the notice is not done, one owner at a time.
const CLAIM = `
if redis.call('HGET', KEYS[1], 'done') then return false end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
return redis.call('HGET', KEYS[1], 'openid')`;
// Records like finish-occurrences.lua: only the claim's owner.
const RECORD = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 'lost' end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'done', ARGV[2])
return 'ok'`;
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** A kind that is not a reminder: one notice to one recipient, stored by the test itself. */
class NoticeRecipients implements OccurrenceKind<{ id: string; openid: string }> {
  readonly name = 'test-notice';
  readonly attempts: DeliveryAttempt[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private hash = (id: string) => `${this.prefix}test:notice:${id}`;
  private claimKey = (id: string, slot: number) => `${this.prefix}test:notice:${id}:${slot}:claim`;

  async create(id: string, openid: string): Promise<void> {
    await this.redis.hSet(this.hash(id), { openid });
  }

  async claim(id: string, slot: number, owner: string, leaseMs: number) {
    const openid = await this.redis.eval(CLAIM, {
      keys: [this.hash(id), this.claimKey(id, slot)],
      arguments: [owner, String(leaseMs)],
    });
    return typeof openid === 'string' ? { id, openid } : null;
  }

  async extendClaim(id: string, slot: number, owner: string, leaseMs: number) {
    const kept = await this.redis.eval(EXTEND, {
      keys: [this.claimKey(id, slot)],
      arguments: [owner, String(leaseMs)],
    });
    return kept === 1;
  }

  async releaseClaim(id: string, slot: number, owner: string) {
    return (await this.redis.eval(RELEASE, { keys: [this.claimKey(id, slot)], arguments: [owner] })) === 1;
  }

  nextSlot = () => null; // a notice is sent once
  latestSlot = () => null;

  render(notice: { id: string; openid: string }) {
    return {
      openid: notice.openid,
      templateId: TEMPLATE,
      render: () => ({
        thing1: { value: `notice ${notice.id}` },
        time2: { value: '15:01' },
        thing3: { value: 'n' },
      }),
    };
  }

  async recordAttempt(_id: string, attempt: DeliveryAttempt) {
    this.attempts.push(attempt);
  }

  async record(id: string, _notice: unknown, record: OccurrenceRecord) {
    this.attempts.push(record.attempt);
    const result = await this.redis.eval(RECORD, {
      keys: [this.hash(id), this.claimKey(id, record.slot)],
      arguments: [record.owner, record.outcome],
    });
    return result as 'ok' | 'lost';
  }
}

describe('a second kind of occurrence through the same pipeline', () => {
  it('sends 100 occurrences of a non-reminder kind once each, however many instances are offered them', async () => {
    const redisPrefix = uniquePrefix();
    const instances: TestInstance[] = [];
    for (let i = 0; i < 2; i++) instances.push(await lab.start({ config: { redisPrefix } }));
    const kinds = instances.map((t) => new NoticeRecipients(t.redis, redisPrefix));
    for (const [i, t] of instances.entries()) t.instance.dispatcher.register(kinds[i]!);
    const slot = Date.now();
    const openid = lab.sandbox.openIdFor('notice');
    for (let n = 0; n < 100; n++) await kinds[0]!.create(String(n), openid);

    // Both instances are offered every occurrence, twice: only one claim wins each.
    for (let round = 0; round < 2; round++) {
      for (const t of instances)
        for (let n = 0; n < 100; n++) t.instance.dispatcher.submit('test-notice', String(n), slot);
    }
    await waitFor(() => lab.sandbox.sent.length >= 100, 15_000);
    await Promise.all(instances.map((t) => afterSweeps(t)));
    // Offered again once recorded: nothing more goes out.
    for (const t of instances)
      for (let n = 0; n < 100; n++) t.instance.dispatcher.submit('test-notice', String(n), slot);
    await waitFor(() => instances.every((t) => t.instance.dispatcher.pending === 0), 5000);

    expect(lab.sandbox.sent).toHaveLength(100);
    expect(new Set(lab.sandbox.sent.map((m) => m.data.thing1?.value)).size).toBe(100);
    const done = await Promise.all(
      Array.from({ length: 100 }, (_, n) =>
        instances[0]!.redis.hGet(`${redisPrefix}test:notice:${n}`, 'done'),
      ),
    );
    expect(done.every((outcome) => outcome === 'sent')).toBe(true);
    const sentAttempts = kinds.flatMap((k) => k.attempts).filter((a) => a.result === 'sent');
    expect(sentAttempts).toHaveLength(100);
  });
});
