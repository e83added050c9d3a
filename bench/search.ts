/**
 * Benchmark `search` (issue 16): `GET /api/notices?q=…` against a real tixing process (src/main.ts)
 * over a corpus of 100,000 notices, against a full scan in the same run (the same query answered
 * by reading every notice the caller may see and testing substrings), and against the same search
 * over 1,000 notices. Targets: p99 at 100,000 ≤ 0.05 × the scan's p99, and ≤ 2 × the p99 at 1,000.
 * The corpus: 50 groups, notices spread over them at random; the caller (a student) is a member of
 * 6 of them, so they see about 12 % of the notices (≈ 12,000 at 100,000, ≈ 120 at 1,000). Texts are
 * school notices drawn from a fixed vocabulary (seeded), Chinese with some Latin. Written through
 * the product's stores in pipelined batches (notice hash, recipients, the caller's inbox) and indexed
 * through NoticeSearch.index, the path a create takes; the index's memory is measured on its own.
 */
import { Lab } from '../lab/lab';
import { bearer, login } from '../lab/login';
import { timed, type Outcome } from '../lab/report';
import { ratio, summarize, type Summary } from '../lab/stats';
import { inboxMember, noticeToHash, type Notice, type Urgency } from '../src/domain/notice';
import { matchesText, normalizeText } from '../src/services/notice-search-terms';
import { InboxStore, inboxShardOf } from '../src/store/inbox-store';
import { NoticeRecipientStore } from '../src/store/notice-recipient-store';
import type { Redis } from '../src/store/redis';
import type { Keys } from '../src/store/keys';

export interface SearchBenchOptions {
  large: number; // notices of the big corpus, default 100,000
  small: number; // notices of the small one, default 1,000
  groups: number; // groups the notices are spread over, default 50
  mine: number; // of them, the caller's, default 6
  samples: number; // searches per query per corpus, default 60 (the scan: a third of that)
}

const PAGE = 20;

/** The queries, each run `samples` times, interleaved: common, rare, Latin, one character, none, filters. */
const QUERIES: Record<string, string>[] = [
  { q: '通知' },
  { q: '期末考试' },
  { q: '家长会' },
  { q: '游泳馆' },
  { q: '请各位同学准时' },
  { q: 'exam' },
  { q: 'Sports Day' },
  { q: '会' },
  { q: '火星探险' },
  { q: '考试', category: '考试' },
  { category: '活动' },
  { q: '安排', urgency: 'urgent' },
];

const SUBJECTS = [
  '期末考试',
  '家长会',
  '运动会',
  '春游',
  '体检',
  '升旗仪式',
  '班会',
  '校运会',
  '安全教育',
  '游泳馆开放',
  '艺术节',
  '图书馆',
  '社团招新',
  '月考',
  '研学旅行',
  '消防演练',
];
const VERBS = ['安排', '通知', '提醒', '变更', '报名', '须知', '总结', '延期'];
const PHRASES = [
  '请各位同学准时参加',
  '请家长配合学校工作',
  '具体时间另行通知',
  '地点在学校操场',
  '请带好学生证',
  '如有疑问请联系班主任',
  '注意安全，听从老师指挥',
  '请提前十分钟到场',
  '逾期不予补办',
  '请在周五前完成',
  '相关材料见附件',
  '本周三下午第二节课',
  '雨天改在体育馆举行',
  'Bring your exam card',
  'Sports Day starts at 8:00',
  'Parents are welcome',
];
const CATEGORIES = ['通知', '作业', '活动', '考试'];
const URGENCIES: Urgency[] = ['normal', 'normal', 'normal', 'important', 'urgent'];

/** A small seeded generator (mulberry32): the same corpus every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Corpus {
  notices: number;
  visible: number;
  indexBytes: number; // used_memory grown by the index
  dataBytes: number; // used_memory grown by the notices, recipients and the caller's inbox
  buildS: number;
  index: Record<string, Summary>; // per query, over HTTP
  scan: Record<string, Summary>; // per query, in the bench process
  all: { index: Summary; scan: Summary; hot: Summary };
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

const label = (q: Record<string, string>) => new URLSearchParams(q).toString();

/**
 * The baseline: the same answer without an index. Every notice in the caller's inbox is read
 * (title, body, category, urgency, status) and tested as the search tests its candidates; the newest
 * PAGE matches are the page. In the bench process on the lab's Redis: no HTTP in its way.
 */
async function scanSearch(
  redis: Redis,
  keys: Keys,
  openid: string,
  q: Record<string, string>,
): Promise<string[]> {
  const members = await redis.zRange(keys.inbox(inboxShardOf(openid), openid), '+', '-', {
    BY: 'LEX',
    REV: true,
  });
  const text = q.q === undefined ? null : normalizeText(q.q);
  const rows = await Promise.all(
    members.map((m) =>
      redis.hmGet(keys.notice(String(Number(m.slice(14)))), [
        'title',
        'body',
        'category',
        'urgency',
        'status',
      ]),
    ),
  );
  const out: string[] = [];
  rows.forEach(([title, body, category, urgency, status], i) => {
    if (status !== 'published') return;
    if (text !== null && !matchesText({ title: title ?? '', body: body ?? '' }, text)) return;
    if (q.category !== undefined && category !== q.category) return;
    if (q.urgency !== undefined && urgency !== q.urgency) return;
    if (out.length < PAGE) out.push(members[i] as string);
  });
  return out;
}

async function corpus(n: number, o: SearchBenchOptions): Promise<Corpus> {
  const lab = await Lab.open({ name: `bench-search-${n}`, appendOnly: false });
  try {
    const started = Date.now();
    const creator = lab.creator();
    const rand = random(16);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
    const teacher = lab.openid('teacher');
    const student = lab.openid('student');
    const groups: { id: string; name: string; mine: boolean }[] = [];
    for (let g = 0; g < o.groups; g++) {
      const { group } = await creator.groups.create(teacher, { name: `${g + 1}班` });
      const mine = g < o.mine;
      if (mine) await creator.groups.join(student, group.inviteCode);
      groups.push({ id: group.id, name: group.name, mine });
    }
    const recipients = new NoticeRecipientStore(lab.redis, lab.keys);
    const inbox = new InboxStore(lab.redis, lab.keys);
    const first = (await lab.redis.incrBy(lab.keys.noticeSeq(), n)) - n + 1;
    // Spread over the last 20 days: inside RETENTION_DAYS, so that no retention pass takes any away.
    const step = Math.floor((20 * 86_400_000) / n);
    const t0 = Date.now() - n * step;
    const notices: Notice[] = [];
    for (let i = 0; i < n; i++) {
      const group = pick(groups);
      const subject = pick(SUBJECTS);
      const at = t0 + i * step;
      notices.push({
        id: String(first + i),
        author: teacher,
        publisher: '王老师',
        title: `${subject}${pick(VERBS)}`,
        body:
          Array.from({ length: 3 + Math.floor(rand() * 4) }, () => pick(PHRASES)).join('。') +
          `（${subject}）`,
        category: pick(CATEGORIES),
        urgency: pick(URGENCIES),
        audience: { groups: [group.id], tags: [], members: [] },
        groupNames: { [group.id]: group.name },
        attachments: [],
        requireConfirm: false,
        publishAt: at,
        publishedAt: at,
        status: 'published',
        job: null,
        recipients: 1,
        inboxed: 1,
        createdAt: at,
        updatedAt: at,
      });
    }
    const mineIds = new Set(groups.filter((g) => g.mine).map((g) => g.id));
    const before = await usedMemory(lab.redis);
    for (let i = 0; i < n; i += 500) {
      await Promise.all(
        notices.slice(i, i + 500).map(async (notice) => {
          const mine = mineIds.has(notice.audience.groups[0] as string);
          const who = mine ? student : lab.openid(`other${Number(notice.id) % 100}`);
          await Promise.all([
            lab.redis.hSet(lab.keys.notice(notice.id), noticeToHash(notice)),
            recipients.writeRecipients(notice.id, [
              {
                openid: who,
                index: 0,
                memberId: '2',
                groups: notice.audience.groups,
                displayName: '',
                studentNo: '',
                notificationId: null,
                muted: true,
              },
            ]),
            mine
              ? inbox.deliver([who], inboxMember(notice.publishedAt ?? 0, notice.id), notice.category)
              : null,
          ]);
        }),
      );
    }
    const indexed = await usedMemory(lab.redis);
    for (let i = 0; i < n; i += 200) {
      await Promise.all(notices.slice(i, i + 200).map((notice) => creator.noticeSearch.index(notice)));
    }
    const after = await usedMemory(lab.redis);
    const buildS = Math.round((Date.now() - started) / 1000);
    const visible = await lab.redis.zCard(lab.keys.inbox(inboxShardOf(student), student));
    process.stdout.write(`  ${n} notices built in ${buildS} s (the caller sees ${visible})\n`);

    const tixing = await lab.startTixing('tixing', { RETENTION_DAYS: '3650' });
    const token = await login(tixing.url, 'student#1');
    const get = async (q: Record<string, string>): Promise<{ ms: number; ids: string[] }> => {
      const began = performance.now();
      const res = await fetch(`${tixing.url}/api/notices?${label({ limit: String(PAGE), ...q })}`, {
        headers: bearer(token),
      });
      const body = (await res.json()) as { data?: { items: { id: string }[] } };
      const ms = performance.now() - began;
      if (res.status !== 200 || !body.data) throw new Error(`search ${label(q)} answered ${res.status}`);
      return { ms, ids: body.data.items.map((i) => i.id) };
    };
    // Warm both paths, and check they agree: the index answers what the scan answers.
    for (const q of QUERIES) {
      const [indexed, scanned] = [await get(q), await scanSearch(lab.redis, lab.keys, student, q)];
      const expected = scanned.map((m) => String(Number(m.slice(14))));
      if (indexed.ids.join() !== expected.join())
        throw new Error(`search ${label(q)}: index ${indexed.ids.join()} ≠ scan ${expected.join()}`);
    }
    const index: Record<string, number[]> = {};
    const scan: Record<string, number[]> = {};
    const hot: number[] = [];
    for (let s = 0; s < o.samples; s++) {
      for (const q of QUERIES) {
        (index[label(q)] ??= []).push((await get(q)).ms);
        if (s % 3 === 0) {
          const began = performance.now();
          await scanSearch(lab.redis, lab.keys, student, q);
          (scan[label(q)] ??= []).push(performance.now() - began);
        }
      }
      if (s % 3 === 0) hot.push((await get({ q: '通知', sort: 'hot' })).ms);
    }
    const each = (m: Record<string, number[]>) =>
      Object.fromEntries(Object.entries(m).map(([k, v]) => [k, summarize(v, 2)]));
    return {
      notices: n,
      visible,
      indexBytes: after - indexed,
      dataBytes: indexed - before,
      buildS,
      index: each(index),
      scan: each(scan),
      all: {
        index: summarize(Object.values(index).flat(), 2),
        scan: summarize(Object.values(scan).flat(), 2),
        hot: summarize(hot, 2),
      },
    };
  } finally {
    await lab.close();
  }
}

export function search(options: Partial<SearchBenchOptions> = {}): Promise<Outcome> {
  const o: SearchBenchOptions = {
    large: 100_000,
    small: 1_000,
    groups: 50,
    mine: 6,
    samples: 60,
    ...options,
  };
  const title = `GET /api/notices over ${o.large} notices vs a full scan of what the caller sees, and vs over ${o.small}`;
  return timed('search', title, async () => {
    const small = await corpus(o.small, o);
    const large = await corpus(o.large, o);
    const worst = (c: Corpus) =>
      Object.entries(c.index).reduce((w, [q, s]) => (s.p99 > w.p99 ? { q, p99: s.p99 } : w), {
        q: '',
        p99: 0,
      });
    const line = (c: Corpus) =>
      `p50 ${c.all.index.p50} ms, p99 ${c.all.index.p99} ms (slowest query ${worst(c).q}: p99 ${worst(c).p99} ms)`;
    return {
      baselineName: `a full scan of the caller's notices (same run, in the bench process); the same search over ${o.small} notices`,
      figures: [
        {
          name: `search p99 at ${o.large} notices (caller sees ${large.visible}), ${QUERIES.length} queries × ${o.samples}, over HTTP`,
          value: large.all.index.p99,
          unit: 'ms',
          baseline: large.all.scan.p99,
          ratio: ratio(large.all.index.p99, large.all.scan.p99, 3),
          target: '≤ 0.05 × full scan',
          met: ratio(large.all.index.p99, large.all.scan.p99, 3) <= 0.05,
        },
        {
          name: `search p50 at ${o.large} notices (vs full scan p50)`,
          value: large.all.index.p50,
          unit: 'ms',
          baseline: large.all.scan.p50,
          ratio: ratio(large.all.index.p50, large.all.scan.p50, 3),
        },
        {
          name: `search p99 at ${o.large} notices vs at ${o.small} (caller sees ${small.visible})`,
          value: large.all.index.p99,
          unit: 'ms',
          baseline: small.all.index.p99,
          ratio: ratio(large.all.index.p99, small.all.index.p99),
          target: `≤ 2 × at ${o.small}`,
          met: ratio(large.all.index.p99, small.all.index.p99) <= 2,
        },
        {
          name: `sort=hot p99 at ${o.large} (q=通知: ranks the newest 1,000 matches of each group)`,
          value: large.all.hot.p99,
          unit: 'ms',
          baseline: small.all.hot.p99,
          ratio: ratio(large.all.hot.p99, small.all.hot.p99),
        },
        {
          name: `index memory per notice at ${o.large} (notice data itself: ${Math.round(large.dataBytes / o.large)} B)`,
          value: Math.round(large.indexBytes / o.large),
          unit: 'B',
          baseline: Math.round(small.indexBytes / o.small),
        },
      ],
      notes: [
        `at ${o.large}: ${line(large)}; at ${o.small}: ${line(small)}; the scan at ${o.large}: p50 ${large.all.scan.p50} ms, p99 ${large.all.scan.p99} ms.`,
        'every query is first checked to answer the same page as the scan, in both corpora.',
        `sequential requests over HTTP/1.1 keep-alive, pages of ${PAGE}; the scan runs without HTTP (in its favour). Build: ${small.buildS} s and ${large.buildS} s.`,
      ],
      details: { options: o, small, large },
    };
  });
}
