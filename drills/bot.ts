/**
 * Drill: the customer-service bot under WeChat's retries. Two instances on one Redis, in secure
 * mode; the sandbox, as WeChat's push side, delivers 1,000 user messages (1,000 users, one each)
 * over 10 s, going round the two instances as a load balancer would, and re-sends 20 % of them three
 * more times (WeChat's retries of a push whose answer it lost), each re-send to the other instance.
 * Targets: every push answered `success` within WeChat's 5 s, and exactly one answer per message
 * (docs/architecture.md#customer-service).
 */
import { timed, type Outcome } from '../lab/report';
import { summarize } from '../lab/stats';
import { sleep, waitFor } from '../lab/wait';
import { Lab } from '../lab/lab';
import type { PushReport } from '../src/sandbox/wechat-sandbox';

const WX_TOKEN = 'tixingdrill';
const WX_AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

export function botDrill(
  options: { count?: number; spreadMs?: number; retriedShare?: number } = {},
): Promise<Outcome> {
  const count = options.count ?? 1000;
  const spreadMs = options.spreadMs ?? 10_000;
  const retriedShare = options.retriedShare ?? 0.2;
  const title = `${count} customer-service messages over ${spreadMs / 1000} s to 2 instances, ${retriedShare * 100} % re-sent 3 times`;
  return timed('bot', title, async () => {
    const lab = await Lab.open({ name: 'drill-bot' });
    let failed = true;
    try {
      const env = { WX_TOKEN, WX_AES_KEY };
      const instances = await Promise.all([0, 1].map((i) => lab.startTixing(`instance-${i}`, env)));
      const urls = instances.map((t) => `${t.url}/api/wx/message`);
      lab.sandbox.pushSide.configure({ token: WX_TOKEN, aesKey: WX_AES_KEY });
      const every = Math.round(1 / retriedShare);

      const started = Date.now();
      const reports: Promise<PushReport>[] = [];
      for (let i = 0; i < count; i++) {
        await sleep(started + Math.floor((i * spreadMs) / count) - Date.now());
        const to = i % 2 === 0 ? urls : [...urls].reverse();
        reports.push(
          lab.sandbox.pushSide.deliver({
            to,
            user: `drill-user-${i}`,
            message: { MsgType: 'text', Content: `第${i}条消息` },
            resend: i % every === 0 ? 3 : 0,
          }),
        );
      }
      const done = await Promise.all(reports);
      const pushS = +((Date.now() - started) / 1000).toFixed(1);
      const attempts = done.flatMap((r) => r.attempts);
      const latency = summarize(attempts.map((a) => a.ms));
      const bad = attempts.filter((a) => !a.ok || a.status !== 200 || a.answer !== 'success' || a.ms >= 5000);

      // Every message was answered (each duplicate was decided before its push was answered): wait
      // for the answers, then a quiet spell in which no further one may arrive.
      const sent = lab.sandbox.custom.sent;
      const answered = await waitFor(() => sent.length >= count, {
        timeoutMs: 60_000,
        what: 'the answers',
      }).catch(() => false);
      let seen = sent.length;
      for (let quiet = Date.now(); Date.now() - quiet < 3000; await sleep(100)) {
        if (sent.length !== seen) [seen, quiet] = [sent.length, Date.now()];
      }
      const perUser = new Map<string, number>();
      for (const m of sent) perUser.set(m.touser, (perUser.get(m.touser) ?? 0) + 1);
      const users = done.map((r) => String(r.message.FromUserName));
      const once = users.filter((u) => perUser.get(u) === 1).length;
      const none = users.filter((u) => !perUser.has(u)).length;
      const twice = users.filter((u) => (perUser.get(u) ?? 0) > 1).length;
      const retried = done.filter((r) => r.attempts.length > 1).length;
      const crashed = instances.filter((t) => !t.alive).length;
      const exact = answered !== false && once === count && none === 0 && twice === 0;
      failed = !exact || bad.length > 0 || crashed > 0;
      return {
        figures: [
          {
            name: 'pushes delivered / re-sent',
            value: `${attempts.length} / ${retried}`,
            target: `${count + 3 * Math.ceil(count / every)} / ${Math.ceil(count / every)}`,
          },
          {
            name: 'answers: once / none / more',
            value: `${once} / ${none} / ${twice}`,
            target: `${count} / 0 / 0`,
            met: exact,
          },
          {
            name: 'push answer p50 / p99 / max',
            value: `${latency.p50} / ${latency.p99} / ${latency.max}`,
            unit: 'ms',
            target: 'every one `success` < 5000 ms',
            met: bad.length === 0,
          },
          { name: 'instances crashed', value: crashed, target: '0', met: crashed === 0 },
        ],
        notes: [
          `The ${count} pushes (${attempts.length} deliveries with the re-sends) took ${pushS} s; the answers went out through the sandbox's custom/send within each user's window.`,
        ],
        details: {
          count,
          spreadMs,
          retriedShare,
          latency,
          bad: bad.slice(0, 10),
          perUserMax: Math.max(0, ...perUser.values()),
          pushS,
        },
      };
    } finally {
      await lab.close({ keepDir: failed });
      if (failed) process.stderr.write(`bot drill: logs kept in ${lab.dir}\n`);
    }
  });
}
