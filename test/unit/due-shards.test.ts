import { ConfigError, loadConfig } from '../../src/config';
import { Keys, userShardOf } from '../../src/store/keys';
import { inboxShardOf } from '../../src/store/inbox-store';
import { slotsOf } from '../../src/store/slot-audit';

// The reminder core's keyspace: DUE_SHARDS shards, a reminder in its owner's shard, and every key a
// script of the core touches with it in one cluster slot.
describe('DUE_SHARDS', () => {
  it('defaults to 16 and takes 1 to 256, naming itself when out of range', () => {
    expect(loadConfig({}).dueShards).toBe(16);
    expect(loadConfig({ DUE_SHARDS: '64' }).dueShards).toBe(64);
    for (const bad of ['0', '257', 'many', '2.5']) {
      let error: unknown;
      try {
        loadConfig({ DUE_SHARDS: bad });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.join('\n')).toContain('DUE_SHARDS');
    }
  });
});

describe('the sharded keyspace', () => {
  const openids = Array.from({ length: 400 }, (_, i) => `o${String(i).padStart(27, '0')}`);

  it('places a reminder in its owner’s shard and reads the shard back from the id', () => {
    for (const shards of [1, 16, 100]) {
      const keys = new Keys('p:', shards);
      for (const openid of openids.slice(0, 50)) {
        const shard = keys.userShard(openid);
        for (const seq of [1, 2, 977]) expect(keys.reminderShard(keys.reminderId(shard, seq))).toBe(shard);
      }
    }
  });

  it('is the inboxes’ shard with the same count, and spreads users over every shard', () => {
    const keys = new Keys('p:', 16);
    const used = new Set<number>();
    for (const openid of openids) {
      expect(keys.userShard(openid)).toBe(inboxShardOf(openid));
      used.add(userShardOf(openid, 16));
    }
    expect(used.size).toBe(16);
  });

  it('keeps every key of one reminder and of its owner in one slot, and two shards in two', () => {
    const keys = new Keys('tixing:', 16);
    const [alice = '', bob = ''] = openids.filter(
      (o, i, all) => all.findIndex((x) => keys.userShard(x) === keys.userShard(o)) === i,
    );
    const shard = keys.userShard(alice);
    const id = keys.reminderId(shard, 7);
    const day = '2026-12-01';
    const all = [
      keys.reminderShardSeq(shard),
      keys.reminder(id),
      keys.deliveries(id),
      keys.claim(id, 1_795_262_251_665),
      keys.due(shard),
      keys.userReminders(alice),
      keys.userPending(alice),
      keys.idempotency(alice, 'k:1'),
      keys.quota(alice),
      keys.subscriptionReports(alice),
      keys.userDailySends(alice, day),
      keys.subscriptionEventSeen(alice, 'digest'),
      keys.sendStats(shard, day),
      keys.retentionCursor(shard),
    ];
    expect(slotsOf(all)).toHaveLength(1);
    expect(slotsOf([keys.due(shard), keys.userPending(bob)])).toHaveLength(2);
  });
});
