/**
 * Drill: three instances on one Redis, 10,000 reminders created through the HTTP API (spread
 * over the three) and due over one minute. Target: exactly 10,000 sends, each reminder once.
 */
import { summarize } from '../lab/stats';
import { onRedis, timed, type Outcome } from '../lab/report';
import { lateness, plan, settle, tally } from '../lab/deliveries';
import { Lab, type Tixing } from '../lab/lab';
import { login } from '../lab/login';

async function post(url: string, path: string, body: object, token?: string): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

export function threeInstances(
  options: { count?: number; spreadMs?: number; leadMs?: number; cluster?: boolean } = {},
): Promise<Outcome> {
  const count = options.count ?? 10_000;
  const spreadMs = options.spreadMs ?? 60_000;
  const [id, title] = onRedis(
    'three-instances',
    `3 instances, ${count} reminders created over HTTP, due over ${spreadMs / 1000} s`,
    options.cluster,
  );
  return timed(id, title, async () => {
    const lab = await Lab.open({ name: 'drill-three', cluster: options.cluster });
    let failed = true;
    try {
      const instances = await Promise.all([0, 1, 2].map((i) => lab.startTixing(`instance-${i}`)));
      const users = 50; // 500 pending each at most
      const tokens: { instance: Tixing; token: string }[] = [];
      for (let u = 0; u < users; u++) {
        const instance = instances[u % 3] as Tixing;
        tokens.push({ instance, token: await login(instance.url, `three-user${u}#1`) });
      }
      // Every create must be in before the first is due. Over HTTP on a cluster sharing two cores
      // with its three instances, 10,000 creates took 25-64 s, against 9-24 s on one redis-server.
      const start = Date.now() + (options.leadMs ?? (options.cluster ? 90_000 : 45_000));
      const planned = plan('t', count, (i) => start + Math.floor((i * spreadMs) / count), users);
      const statuses = new Map<number, number>();
      let next = 0;
      const createStarted = Date.now();
      await Promise.all(
        Array.from({ length: 48 }, async () => {
          while (next < planned.length) {
            const i = next++;
            const p = planned[i];
            const session = tokens[i % users];
            if (!p || !session) continue;
            const res = await post(
              session.instance.url,
              '/api/reminders',
              { title: p.title, at: p.at },
              session.token,
            );
            await res.arrayBuffer();
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          }
        }),
      );
      const createS = +((Date.now() - createStarted) / 1000).toFixed(1);
      if (Date.now() > start) throw new Error(`creating took ${createS} s, past the first due time`);
      const settled = await settle(lab, { timeoutMs: start + spreadMs - Date.now() + 60_000, quietMs: 2000 });
      const t = tally(lab.sandbox.sent, planned);
      const late = summarize(lateness(lab.sandbox.sent, planned));
      const created = statuses.get(201) ?? 0;
      const exact = settled && created === count && t.sends === count && t.lost === 0 && t.duplicated === 0;
      const crashed = instances.filter((i) => !i.alive).length;
      failed = !exact || crashed > 0;
      return {
        figures: [
          { name: 'created (201) over HTTP', value: created, target: String(count), met: created === count },
          {
            name: 'sends / lost / duplicated',
            value: `${t.sends} / ${t.lost} / ${t.duplicated}`,
            target: `${count} / 0 / 0`,
            met: exact,
          },
          { name: 'lateness p50 / p99 / max', value: `${late.p50} / ${late.p99} / ${late.max}`, unit: 'ms' },
          { name: 'instances crashed', value: crashed, target: '0', met: crashed === 0 },
        ],
        notes: [`The ${count} creates took ${createS} s through the three instances' HTTP APIs.`],
        details: {
          count,
          spreadMs,
          statuses: Object.fromEntries(statuses),
          tally: t,
          lateness: late,
          createS,
        },
      };
    } finally {
      await lab.close({ keepDir: failed });
      if (failed) process.stderr.write(`three-instances drill: logs kept in ${lab.dir}\n`);
    }
  });
}
