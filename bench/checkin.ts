/**
 * Benchmark `checkin` (issue 16): a meeting of 500 members signing in within 10 s, across two
 * tixing instances (real `src/main.ts` processes) on one Redis. Each member signs with the code
 * on the "screen" (read every second, as the manager's page does) at an even spread over the 10
 * s, on one instance, and taps again at once on the other: every member must be stored and
 * counted once (the second tap 409), nobody lost. Reports the sign latency p50/p99 of the first
 * taps as clients saw it over HTTP.
 */
import { login } from '../lab/login';
import { Lab } from '../lab/lab';
import { timed, type Outcome } from '../lab/report';
import { summarize } from '../lab/stats';

interface Tap {
  member: number;
  instance: number;
  status: number;
  ms: number;
}

async function post(url: string, token: string, body: object): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

export function checkin(options: { members?: number; spreadMs?: number } = {}): Promise<Outcome> {
  const members = options.members ?? 500;
  const spreadMs = options.spreadMs ?? 10_000;
  return timed(
    'checkin',
    `${members} members signing in within ${spreadMs / 1000} s, two instances`,
    async () => {
      const lab = await Lab.open({ name: 'bench-checkin' });
      try {
        const instances = await Promise.all([lab.startTixing('instance-0'), lab.startTixing('instance-1')]);
        const creator = lab.creator(); // in-process, never sends: sets the meeting up through the services
        const manager = lab.openid('bench-manager');
        const { group } = await creator.groups.create(manager, { name: '全体大会' });
        const tokens: string[] = [];
        for (let i = 0; i < members; i += 50) {
          const batch = Array.from({ length: Math.min(50, members - i) }, (_, k) => i + k);
          await Promise.all(
            batch.map((m) => creator.groups.join(lab.openid(`bench-member-${m}`), group.inviteCode)),
          );
          const logged = await Promise.all(
            batch.map((m) => login(instances[m % 2]?.url ?? '', `bench-member-${m}#1`)),
          );
          tokens.push(...logged);
        }
        const now = Date.now();
        const { checkin: meeting } = await creator.checkins.create(manager, group.id, {
          title: '全体大会',
          startsAt: now,
          endsAt: now + 3_600_000,
        });
        let screen = (await creator.checkins.code(manager, meeting.id, false)).code;
        const refresh = setInterval(() => {
          void creator.checkins.code(manager, meeting.id, false).then((shown) => (screen = shown.code));
        }, 1000);

        const taps: Tap[] = [];
        const started = performance.now();
        try {
          await Promise.all(
            tokens.map(async (token, m) => {
              await new Promise((resolve) => setTimeout(resolve, (m * spreadMs) / members));
              const code = screen;
              const first = m % 2;
              for (const instance of [first, 1 - first]) {
                const url = `${instances[instance]?.url ?? ''}/api/checkins/${meeting.id}/sign`;
                taps.push({ member: m, instance, ...(await post(url, token, { code })) });
              }
            }),
          );
        } finally {
          clearInterval(refresh);
        }
        const elapsedMs = performance.now() - started;

        const keys = lab.keys;
        const stored = await lab.redis.hLen(keys.checkinSigns(meeting.id));
        const [onTime, late] = await lab.redis.hmGet(keys.checkin(meeting.id), ['onTime', 'late']);
        const firsts = taps.filter((t) => t.instance === t.member % 2);
        const seconds = taps.filter((t) => t.instance !== t.member % 2);
        const signed = firsts.filter((t) => t.status === 200).length;
        const refusedAgain = seconds.filter((t) => t.status === 409).length;
        const latency = summarize(firsts.map((t) => t.ms));
        const once = stored === members && Number(onTime) === members && Number(late ?? 0) === 0;
        return {
          figures: [
            {
              name: 'members signed in / stored / counted',
              value: `${signed} / ${stored} / ${onTime}`,
              target: `${members} / ${members} / ${members}`,
              met: signed === members && once,
            },
            {
              name: 'second taps refused (409) / stored twice',
              value: `${refusedAgain} / ${stored - members}`,
              target: `${members} / 0`,
              met: refusedAgain === members && stored === members,
            },
            { name: 'sign latency p50', value: latency.p50, unit: 'ms' },
            { name: 'sign latency p99', value: latency.p99, unit: 'ms' },
            {
              name: 'all taps done within',
              value: Math.round(elapsedMs),
              unit: 'ms',
              target: `≤ ${spreadMs} ms + p99`,
              met: elapsedMs <= spreadMs + Math.max(1000, latency.p99 * 2),
            },
          ],
          details: { members, spreadMs, elapsedMs, latency, stored, onTime, late, statuses: count(taps) },
        };
      } finally {
        await lab.close();
      }
    },
  );
}

function count(taps: Tap[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of taps) {
    const key = `${t.instance === t.member % 2 ? 'first' : 'second'}:${t.status}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}
