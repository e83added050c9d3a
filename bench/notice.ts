/**
 * Benchmark `notice` (issue 15): a notice published through the HTTP API of one tixing instance (a
 * real `src/main.ts` process, SEND_CONCURRENCY=32) to a group of 10,000 members, against the same
 * publish to a group of 10, and against the spike (10,000 reminders due at one second,
 * bench/fire-run.ts) in alternating rounds. Targets, in one run:
 * - the create answers within 2 × the time of publishing to 10 (the fan-out does not wait in the
 *   request);
 * - every inbox entry is written (10,000 of 10,000), and every recipient pushed once;
 * - the pushes drain (publish → last push WeChat accepted) within 1.1 × the spike's drain;
 * - inbox list and unread count p99 for a user with 10,000 notices within 1.5 × a user with 10.
 * Groups and the two readers' notices are set up through the product's own services (the lab's
 * in-process creator instance); the readers muted the category, so their notices push nothing.
 */
import { fireWithTixing, type FireRunResult } from './fire-run';
import { Lab, type Tixing } from '../lab/lab';
import { bearer, login } from '../lab/login';
import { timed, type Outcome } from '../lab/report';
import { median, ratio, summarize, type Summary } from '../lab/stats';
import { waitFor } from '../lab/wait';
import type { Instance } from '../src/instance';
import { inboxShardOf } from '../src/store/inbox-store';

export interface NoticeBenchOptions {
  count: number; // members of the big group, default 10,000
  small: number; // members of the small group, default 10
  heavy: number; // notices in the heavy reader's inbox, default 10,000
  light: number; // notices in the light reader's inbox, default 10
  smallPublishes: number; // publishes to the small group per round (their median is the baseline), default 10
  samples: number; // inbox list and unread-count requests per reader per round, default 400
  concurrency: number; // SEND_CONCURRENCY, default 32 (as the spike)
  rounds: number; // default 5, each a notice round and a spike round (a noisy box: medians of 5)
}

interface NoticeRound {
  bigAnswerMs: number;
  smallAnswerMs: number; // median of the small publishes
  drainMs: number; // publish sent → the last push the sandbox accepted
  sendingMs: number; // the first push accepted → the last (the pipeline's part of the drain)
  recipients: number;
  inboxEntries: number; // big-group members whose inbox holds the notice
  statsInbox: number; // what GET /api/notices/:id/stats says
  sends: number;
  lost: number;
  duplicated: number;
  pushLateness: Summary; // accepted − publish, ms
  list: { heavy: Summary; light: Summary };
  count: { heavy: Summary; light: Summary };
  setupS: number;
}

/** Runs `work` on every item, `parallel` at a time. */
async function inBatches<T>(
  items: readonly T[],
  parallel: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < items.length; i += parallel) await Promise.all(items.slice(i, i + parallel).map(work));
}

/** A group of `teacher`'s with these members, through the group service. */
async function groupOf(creator: Instance, teacher: string, name: string, members: string[]): Promise<string> {
  const { group } = await creator.groups.create(teacher, { name });
  await inBatches(members, 200, (openid) => creator.groups.join(openid, group.inviteCode));
  return group.id;
}

async function timedFetch(
  url: string,
  init: RequestInit,
): Promise<{ ms: number; status: number; body: unknown }> {
  const started = performance.now();
  const res = await fetch(url, init);
  const body: unknown = await res.json();
  return { ms: performance.now() - started, status: res.status, body };
}

/** Latencies of `samples` GETs of `path` by each reader, interleaved. */
async function latencies(
  url: string,
  path: string,
  readers: { heavy: string; light: string },
  samples: number,
): Promise<{ heavy: Summary; light: Summary }> {
  const heavy: number[] = [];
  const light: number[] = [];
  for (let i = 0; i < samples; i++) {
    for (const [token, out] of [
      [readers.heavy, heavy],
      [readers.light, light],
    ] as const) {
      const r = await timedFetch(`${url}${path}`, { headers: bearer(token) });
      if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status} ${JSON.stringify(r.body)}`);
      out.push(r.ms);
    }
  }
  return { heavy: summarize(heavy, 2), light: summarize(light, 2) };
}

async function noticeRound(o: NoticeBenchOptions): Promise<NoticeRound> {
  const lab = await Lab.open({ name: 'bench-notice' });
  try {
    const setupStarted = Date.now();
    const tixing: Tixing = await lab.startTixing('tixing', { SEND_CONCURRENCY: String(o.concurrency) });
    const creator = lab.creator();
    const teacher = lab.openid('teacher');
    const token = await login(tixing.url, 'teacher#1');
    const readers = { heavy: await login(tixing.url, 'heavy#1'), light: await login(tixing.url, 'light#1') };
    // The group has `count` members, the teacher (its owner, the author) among them.
    const members = Array.from({ length: o.count - 1 }, (_, i) => lab.openid(`m${i}`));
    const big = await groupOf(creator, teacher, '全校', members);
    const small = await groupOf(
      creator,
      teacher,
      '一班',
      Array.from({ length: o.small - 1 }, (_, i) => lab.openid(`s${i}`)),
    );

    // The readers' inboxes: notices to a group of one, category muted by the reader (no push).
    for (const [name, who, n] of [
      ['重', readers.heavy, o.heavy],
      ['轻', readers.light, o.light],
    ] as const) {
      const res = await fetch(`${tixing.url}/api/preferences`, {
        method: 'PUT',
        headers: { ...bearer(who), 'content-type': 'application/json' },
        body: JSON.stringify({ categories: { 作业: false } }),
      });
      if (res.status !== 200) throw new Error(`preferences answered ${res.status}`);
      const groupId = await groupOf(creator, teacher, name, [lab.openid(name === '重' ? 'heavy' : 'light')]);
      const input = { title: '作业', category: '作业', audience: { groups: [groupId] } };
      await inBatches(
        Array.from({ length: n }, (_, i) => i),
        50,
        () => creator.notices.create(teacher, input),
      );
    }
    const heavyInbox = lab.keys.inbox(inboxShardOf(lab.openid('heavy')), lab.openid('heavy'));
    await waitFor(async () => (await lab.redis.zCard(heavyInbox)) === o.heavy, {
      timeoutMs: 300_000,
      what: `the heavy reader's ${o.heavy} notices`,
    });
    await waitFor(async () => (await lab.redis.zCard(lab.keys.noticesDue())) === 0, { timeoutMs: 60_000 });
    const setupS = Math.round((Date.now() - setupStarted) / 1000);

    // Pages of 10 for both: the light reader's whole inbox is one page of 10, so the two requests
    // do the same work per item and differ only in the size of the inbox they read from.
    const list = await latencies(tixing.url, `/api/inbox?limit=${o.light}`, readers, o.samples);
    const count = await latencies(tixing.url, '/api/inbox/unread-count', readers, o.samples);

    const publish = (groupId: string, title: string) =>
      timedFetch(`${tixing.url}/api/notices`, {
        method: 'POST',
        headers: { ...bearer(token), 'content-type': 'application/json' },
        body: JSON.stringify({ title, category: '通知', audience: { groups: [groupId] } }),
      });
    // Each small publish, as the big one, on a quiet instance: its pushes out and its job done first.
    const quiet = async (sent: number) => {
      await waitFor(() => lab.sandbox.sent.length >= sent, { timeoutMs: 300_000, what: `${sent} pushes` });
      await waitFor(async () => (await lab.redis.zCard(lab.keys.noticesDue())) === 0, { timeoutMs: 60_000 });
    };
    const smallAnswers: number[] = [];
    for (let i = 0; i < o.smallPublishes; i++) {
      const sent = lab.sandbox.sent.length;
      const r = await publish(small, `小通知${i}`);
      if (r.status !== 201) throw new Error(`small publish answered ${r.status} ${JSON.stringify(r.body)}`);
      smallAnswers.push(r.ms);
      await quiet(sent + o.small - 1);
    }

    const before = lab.sandbox.sent.length;
    const publishedAt = Date.now();
    const bigAnswer = await publish(big, '全校通知');
    if (bigAnswer.status !== 201) throw new Error(`big publish answered ${bigAnswer.status}`);
    const id = (bigAnswer.body as { data: { id: string } }).data.id;
    await waitFor(() => lab.sandbox.sent.length >= before + members.length, {
      timeoutMs: 300_000,
      what: `${members.length} pushes`,
    });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // late duplicates would land here
    const pushes = lab.sandbox.sent.filter((m) => m.page === `pages/notice/detail?id=${id}`);
    const distinct = new Set(pushes.map((m) => m.touser));
    const stats = await timedFetch(`${tixing.url}/api/notices/${id}/stats`, { headers: bearer(token) });
    if (stats.status !== 200) throw new Error(`stats answered ${stats.status} ${JSON.stringify(stats.body)}`);
    const statsData = (stats.body as { data: { recipients: number; inbox: number } }).data;
    const held = await Promise.all(
      members.map((openid) => lab.redis.zCard(lab.keys.inbox(inboxShardOf(openid), openid))),
    );
    return {
      bigAnswerMs: +bigAnswer.ms.toFixed(1),
      smallAnswerMs: +median(smallAnswers).toFixed(1),
      drainMs: Math.max(...pushes.map((m) => m.at)) - publishedAt,
      sendingMs: Math.max(...pushes.map((m) => m.at)) - Math.min(...pushes.map((m) => m.at)),
      recipients: statsData.recipients,
      inboxEntries: held.filter((n) => n === 1).length,
      statsInbox: statsData.inbox,
      sends: pushes.length,
      lost: members.filter((m) => !distinct.has(m)).length,
      duplicated: pushes.length - distinct.size,
      pushLateness: summarize(pushes.map((m) => m.at - publishedAt)),
      list,
      count,
      setupS,
    };
  } finally {
    await lab.close();
  }
}

export function notice(options: Partial<NoticeBenchOptions> = {}): Promise<Outcome> {
  const o: NoticeBenchOptions = {
    count: 10_000,
    small: 10,
    heavy: 10_000,
    light: 10,
    smallPublishes: 10,
    samples: 400,
    concurrency: 32,
    rounds: 5,
    ...options,
  };
  const title = `a notice to ${o.count} members through the API vs to ${o.small}; its pushes vs the spike; inboxes of ${o.heavy} vs ${o.light}; ${o.rounds} rounds`;
  return timed('notice', title, async () => {
    const rounds: NoticeRound[] = [];
    const spikes: FireRunResult[] = [];
    const spikeRun = {
      tag: 'spike',
      count: o.count,
      offsetMs: () => 0,
      leadMs: 8000,
      concurrency: o.concurrency,
      timeoutMs: 120_000,
    };
    for (let round = 0; round < o.rounds; round++) {
      const order = round % 2 === 0 ? ['notice', 'spike'] : ['spike', 'notice'];
      for (const which of order) {
        if (which === 'notice') {
          const r = await noticeRound(o);
          rounds.push(r);
          process.stdout.write(
            `  round ${round + 1} notice: answer ${r.bigAnswerMs} ms (10: ${r.smallAnswerMs} ms), drain ${r.drainMs} ms, ` +
              `inbox ${r.inboxEntries}/${o.count - 1}, sends ${r.sends}, lost ${r.lost}, dup ${r.duplicated}, ` +
              `list p99 ${r.list.heavy.p99}/${r.list.light.p99} ms, count p99 ${r.count.heavy.p99}/${r.count.light.p99} ms (setup ${r.setupS} s)\n`,
          );
        } else {
          const r = await fireWithTixing(spikeRun);
          spikes.push(r);
          process.stdout.write(`  round ${round + 1} spike: drain ${r.drainMs} ms, sends ${r.sends}\n`);
        }
      }
    }
    const m = (f: (r: NoticeRound) => number) => median(rounds.map(f));
    const answer = m((r) => r.bigAnswerMs);
    const answerSmall = m((r) => r.smallAnswerMs);
    const drain = m((r) => r.drainMs);
    const drainSpike = median(spikes.map((r) => r.drainMs));
    const listHeavy = m((r) => r.list.heavy.p99);
    const listLight = m((r) => r.list.light.p99);
    const countHeavy = m((r) => r.count.heavy.p99);
    const countLight = m((r) => r.count.light.p99);
    const entries = rounds.reduce((s, r) => s + r.inboxEntries, 0);
    const sends = rounds.reduce((s, r) => s + r.sends, 0);
    const lost = rounds.reduce((s, r) => s + r.lost, 0);
    const dup = rounds.reduce((s, r) => s + r.duplicated, 0);
    return {
      baselineName: `publishing to ${o.small} members; the spike's tixing run (alternating rounds); a reader with ${o.light} notices`,
      figures: [
        {
          name: `POST /api/notices answer, ${o.count} members (median of rounds)`,
          value: answer,
          unit: 'ms',
          baseline: answerSmall,
          ratio: ratio(answer, answerSmall),
          target: `≤ 2 × ${o.small} members`,
          met: ratio(answer, answerSmall) <= 2,
        },
        {
          name: `inbox entries written (all rounds; ${o.count - 1} recipients a round: the members but the author)`,
          value: entries,
          target: `${(o.count - 1) * o.rounds}`,
          met:
            entries === (o.count - 1) * o.rounds &&
            rounds.every((r) => r.statsInbox === o.count - 1 && r.recipients === o.count - 1),
        },
        {
          name: 'pushes drained: publish → last accepted (median)',
          value: drain,
          unit: 'ms',
          baseline: drainSpike,
          ratio: ratio(drain, drainSpike),
          target: '≤ 1.1 × spike',
          met: ratio(drain, drainSpike) <= 1.1,
        },
        {
          name: 'sending: first → last push accepted (median), vs the spike’s first → last send',
          value: m((r) => r.sendingMs),
          unit: 'ms',
          baseline: median(spikes.map((r) => Math.round((r.count / r.throughputPerS) * 1000))),
          ratio: ratio(
            m((r) => r.sendingMs),
            median(spikes.map((r) => Math.round((r.count / r.throughputPerS) * 1000))),
          ),
        },
        {
          name: 'per-round drain ratios',
          value: rounds.map((r, i) => ratio(r.drainMs, spikes[i]?.drainMs ?? NaN)).join(', '),
        },
        {
          name: `GET /api/inbox p99, ${o.heavy} notices (median of rounds)`,
          value: listHeavy,
          unit: 'ms',
          baseline: listLight,
          ratio: ratio(listHeavy, listLight),
          target: `≤ 1.5 × ${o.light} notices`,
          met: ratio(listHeavy, listLight) <= 1.5,
        },
        {
          name: `GET /api/inbox/unread-count p99, ${o.heavy} notices (median of rounds)`,
          value: countHeavy,
          unit: 'ms',
          baseline: countLight,
          ratio: ratio(countHeavy, countLight),
          target: `≤ 1.5 × ${o.light} notices`,
          met: ratio(countHeavy, countLight) <= 1.5,
        },
        {
          name: 'pushes / lost / duplicated (all rounds)',
          value: `${sends} / ${lost} / ${dup}`,
          target: `${(o.count - 1) * o.rounds} / 0 / 0`,
          met: sends === (o.count - 1) * o.rounds && lost === 0 && dup === 0,
        },
      ],
      notes: [
        'drain counts from the moment the publish request is sent: the audience resolution and the ' +
          'fan-out (inbox writes, one push each handed to the pipeline) are inside it; the spike counts ' +
          'from the reminders’ due second.',
        `latencies are sequential requests over HTTP/1.1 keep-alive, ${o.samples} per reader and route per round; ` +
          `inbox pages of ${o.light} (limit=${o.light}) for both readers, so each page carries as many notices.`,
      ],
      details: { options: o, rounds, spikes },
    };
  });
}
