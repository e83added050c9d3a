import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { PURGEABLE_STATUSES } from '../../src/scheduler/retention';
import { ConsoleSessionStore } from '../../src/store/console-session-store';
import { ConversationStore } from '../../src/store/conversation-store';
import { NoticeStore } from '../../src/store/notice-store';
import { NotificationStore, shardOf as notificationShardOf } from '../../src/store/notification-store';
import { PromiseStore } from '../../src/store/promise-store';
import { SendLimiter } from '../../src/store/send-limiter';
import { SendPauseStore } from '../../src/store/send-pause-store';
import { setSlotAudit, type SlotAuditEntry } from '../../src/store/slot-audit';
import { data, type ReminderView } from '../support/api-types';
import { TestCluster } from '../support/cluster';
import { api, bearer, login, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { PUSH_TOKEN, STEPS, type World } from '../personal-data/every-feature';

// The slot audit on a real Redis Cluster: one user goes through every feature (the steps of
// test/personal-data/every-feature.ts, which a new route must add to), gets a reminder sent, and
// erases their data, on an instance whose Redis is the cluster. Each Lua script and MULTI must keep
// its keys in one slot (the cluster refuses the rest, and the managed cluster editions' proxies
// refuse a key a script did not declare); every script of src/store/lua/ must have run here.
const env = useSandbox();
let cluster: TestCluster;
let auditDir: string;
let t: TestInstance;
let sandbox: WeChatSandbox;
const stepFailures: string[] = [];
let deliveredId: string | undefined; // the reminder the scenario got sent

function entries(): SlotAuditEntry[] {
  const file = path.join(auditDir, 'audit.jsonl');
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as SlotAuditEntry);
}

function describeEntry(entry: SlotAuditEntry): string {
  switch (entry.kind) {
    case 'ran':
      return `ran ${entry.script}`;
    case 'script':
      return `script ${entry.script} (${entry.reason}): ${entry.keys.join(' ')} — at ${entry.at}`;
    case 'multi':
      return `${entry.reason}: ${entry.commands.join(',')} on ${entry.keys.join(' ')} — at ${entry.at}`;
    case 'command':
      return `${entry.command} (${entry.reason}): ${entry.args.join(' ')} — at ${entry.at}`;
  }
}

beforeAll(async () => {
  cluster = await TestCluster.start();
  auditDir = mkdtempSync(path.join(tmpdir(), 'tixing-slot-audit-'));
  // Before the instance connects: its connections are audited from their first command.
  setSlotAudit(path.join(auditDir, 'audit.jsonl'));
  ({ sandbox } = env);
  t = await env.start({
    config: { redisUrl: cluster.url, quotaMode: 'enforce', wx: { token: PUSH_TOKEN } },
    tuning: { sweepIntervalMs: 200, retentionIntervalMs: 200, promiseEvaluationIntervalMs: 200 },
  });
  // A refusal that stops the scenario (a login's MULTI) is a failure of its own; the audit
  // still names what was refused.
  await everyFeature().catch((err: Error) => stepFailures.push(`stopped: ${err.message}`));
}, 120_000);

/** The scenario: every feature's steps, a delivery, an erasure. */
async function everyFeature(): Promise<void> {
  const subject = {
    name: 'uma',
    openid: sandbox.openIdFor('uma'),
    tokens: [await login(t, 'uma#1'), await login(t, 'uma#2')],
  };
  const other = { name: 'pat', openid: sandbox.openIdFor('pat'), token: await login(t, 'pat#1') };
  const world: World = {
    t,
    sandbox,
    subject,
    other,
    mark: () => undefined,
    async call(token, route, params = {}, body, query) {
      const [method = '', template = ''] = route.split(' ');
      const url = template.replace(/\{([a-z]+)\}/gi, (_, name: string) =>
        encodeURIComponent(params[name] ?? ''),
      );
      let req = request(t.instance.app.callback())[method.toLowerCase() as 'get'](url).set(bearer(token));
      if (query) req = req.query(query);
      const res = await (body === undefined ? req : req.send(body as object));
      if (res.status >= 300) throw new Error(`${route} answered ${res.status} ${res.text}`);
      return res;
    },
  };
  // Every step, even after one failed: a cross-slot refusal fails its step, and the next
  // offender must show too.
  for (const step of STEPS) {
    await step.run(world).catch((err: Error) => stepFailures.push(`${step.feature}: ${err.message}`));
  }
  // The delivery path: claimed, admitted, sent, recorded.
  const created = await api(t)
    .post('/api/reminders')
    .set(bearer(other.token))
    .send({ title: '到点', at: Date.now() + 300 });
  if (created.status === 201) {
    const id = data<ReminderView>(created).id;
    deliveredId = id;
    await waitFor(
      async () => {
        const res = await api(t).get(`/api/reminders/${id}`).set(bearer(other.token));
        return res.status === 200 && data<ReminderView>(res).status !== 'pending';
      },
      { timeoutMs: 10_000, what: 'the reminder sent' },
    ).catch((err: Error) => stepFailures.push(`delivery: ${err.message}`));
  } else {
    stepFailures.push(`delivery: create answered ${created.status} ${created.text}`);
  }
  await storeLevel(other.openid).catch((err: Error) => stepFailures.push(`store level: ${err.message}`));
  // Erasure of everything the subject has, across every feature.
  const erased = await api(t)
    .delete('/api/me')
    .set(bearer(subject.tokens[0] ?? ''));
  if (erased.status >= 300) stepFailures.push(`DELETE /api/me answered ${erased.status} ${erased.text}`);
}

/**
 * The scripts no user route reaches in a few seconds (retries, pauses, a console sign-in, a
 * promise's day, a stopped fan-out, retention): each run once through its store, on keys of a
 * real record where there is one.
 */
async function storeLevel(openid: string): Promise<void> {
  const { keys, store } = t.instance;
  const redis = t.redis;
  const now = Date.now();
  const attempt = {
    occurrence: '1:0',
    attempt: 2,
    at: new Date(now).toISOString(),
    latencyMs: 1,
    errcode: -1,
    errmsg: 'system busy',
    msgid: null,
    result: 'retry' as const,
  };
  const id = deliveredId ?? '1';
  await store.extendClaim(id, 0, 'audit', 1000);
  await store.appendDeliveries([{ id, attempt }]);
  await store.purgeFinished([id], now + 60_000, PURGEABLE_STATUSES);
  const notifications = new NotificationStore(redis, keys, 86_400_000);
  await notifications.extendClaim('1', 'audit', 1000);
  await notifications.appendDeliveries([{ id: '1', attempt }]);
  // A notification that was sent (its last result): the delivery report's script then runs.
  await redis.hSet(
    keys.notification(notificationShardOf('1'), '1'),
    'lastResult',
    JSON.stringify({ at: attempt.at }),
  );
  await notifications.confirm('1', 'msgid-1', openid, {
    confirmed: { at: attempt.at, errorCode: '0', status: 'success' },
    failed: false,
    errcode: 0,
    now,
  });
  await new SendPauseStore(redis, keys).pause(now, 1, 1);
  await new SendLimiter(redis, keys, { limit: 50, timezone: 'Asia/Shanghai' }).giveBack([
    { allowance: { openid, templateId: 'tpl', day: '2026-01-01', granted: true }, grant: 'return' },
  ]);
  const consoleStore = new ConsoleSessionStore(redis, keys);
  await consoleStore.approveLogin('digest', openid, now, now - 1000);
  await consoleStore.takeLogin('digest', 'poller', now - 1000);
  await new ConversationStore(redis, keys, 86_400_000).closeWindow(openid, now + 1000, now);
  const promises = new PromiseStore(redis, keys);
  await promises.unbind('1', openid, now);
  await promises.evaluate('1', '2026-01-01', '2026-01-02', now + 86_400_000, now);
  await new NoticeStore(redis, keys).releaseJob('1', 'audit');
}

afterAll(async () => {
  setSlotAudit(undefined);
  await t?.close();
  await cluster?.stop();
  if (auditDir) rmSync(auditDir, { recursive: true, force: true });
});

describe('the slot audit on a real cluster', () => {
  it('finds no script, MULTI, pipeline or multi-key command whose keys span slots', () => {
    const offenders = [
      ...new Set(
        entries()
          .filter((e) => e.kind !== 'ran')
          .map(describeEntry),
      ),
    ];
    expect(offenders).toEqual([]);
    expect(stepFailures).toEqual([]);
  });

  it('has run every script of src/store/lua/ (a new script cannot skip the audit)', () => {
    const ran = new Set(entries().flatMap((e) => (e.kind === 'ran' ? [e.script] : [])));
    const scripts = readdirSync(path.join(__dirname, '../../src/store/lua'))
      .filter((name) => name.endsWith('.lua'))
      .map((name) => name.replace(/\.lua$/, ''));
    expect(scripts.length).toBeGreaterThan(40);
    expect(scripts.filter((name) => !ran.has(name))).toEqual([]);
  });
});
