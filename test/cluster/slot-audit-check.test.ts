import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/logger';
import { LuaScript } from '../../src/store/lua-script';
import { closeRedis, connectRedis, type Redis } from '../../src/store/redis';
import {
  setSlotAudit,
  UNDECLARED_KEYS_HASH,
  undeclaredKeyPrelude,
  type SlotAuditEntry,
} from '../../src/store/slot-audit';
import { testRedisUrl, uniquePrefix } from '../support/harness';

// The slot audit itself, on the shared single test Redis (the cluster refuses by itself): what
// it records, and that it stays quiet about keys that share a hash tag (the positive control).
let dir: string;
let redis: Redis;
const p = uniquePrefix();

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tixing-audit-check-'));
  setSlotAudit(path.join(dir, 'audit.jsonl'));
  redis = await connectRedis(testRedisUrl(), createLogger({ level: 'silent' }));
});

afterAll(async () => {
  setSlotAudit(undefined);
  await redis?.del(UNDECLARED_KEYS_HASH);
  await closeRedis(redis);
  rmSync(dir, { recursive: true, force: true });
});

function recorded(): SlotAuditEntry[] {
  try {
    return readFileSync(path.join(dir, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as SlotAuditEntry);
  } catch {
    return [];
  }
}

const offenders = () => recorded().filter((e) => e.kind !== 'ran');

describe('the slot audit (TIXING_SLOT_AUDIT)', () => {
  it('names a script whose KEYS span slots, and the script that ran', async () => {
    const script = new LuaScript('compare-and-delete');
    await script.run(redis, [`${p}{a}:lock`], ['x']); // one slot: nothing to say
    expect(offenders()).toEqual([]);
    await redis.eval('return 1', { keys: [`${p}{a}`, `${p}{b}`], arguments: [] }).catch(() => undefined);
    // A raw EVAL is the script's own business (LuaScript names it): not recorded as a command.
    expect(offenders()).toEqual([]);
    const spread = new LuaScript('compare-and-delete');
    await spread.run(redis, [`${p}{a}:x`, `${p}{b}:y`], ['x']);
    expect(offenders()).toEqual([
      expect.objectContaining({ kind: 'script', script: 'compare-and-delete', reason: 'KEYS span slots' }),
    ]);
    expect(recorded()).toContainEqual({ kind: 'ran', script: 'compare-and-delete' });
  });

  it('names a MULTI, a pipeline and a multi-key command spanning slots, not those within one tag', async () => {
    const before = offenders().length;
    await redis.multi().set(`${p}{c}:1`, '1').set(`${p}{c}:2`, '2').exec();
    await redis.multi().get(`${p}{c}:1`).get(`${p}{c}:2`).execAsPipeline();
    await redis.del([`${p}{c}:1`, `${p}{c}:2`]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(offenders()).toHaveLength(before);

    await redis.multi().set(`${p}{c}:1`, '1').set(`${p}{d}:1`, '2').exec();
    await redis.multi().get(`${p}{c}:1`).get(`${p}{d}:1`).execAsPipeline();
    await redis.del([`${p}{c}:1`, `${p}{d}:1`]);
    await new Promise((resolve) => setImmediate(resolve));
    const reasons = offenders()
      .slice(before)
      .map((e) => (e.kind === 'command' ? `${e.command}: ${e.reason}` : e.reason));
    expect(reasons.sort()).toEqual([
      'DEL: keys span slots',
      'MULTI keys span slots',
      'pipeline keys span slots',
    ]);
  });

  it('counts, inside Redis, a key a script touches without declaring it', async () => {
    const body = `redis.call('SET', KEYS[1], 'ok')\nredis.call('SET', '${p}{e}:undeclared', 'no')\nreturn 1`;
    await redis.eval(undeclaredKeyPrelude('probe') + body, { keys: [`${p}{e}:declared`], arguments: [] });
    const counts = await redis.hGetAll(UNDECLARED_KEYS_HASH);
    expect(counts).toEqual({ [`probe|SET|${p}{e}:undeclared`]: '1' });
    expect(await redis.get(`${p}{e}:declared`)).toBe('ok'); // the script still ran, as written
  });
});
