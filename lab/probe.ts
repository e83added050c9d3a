import { sleep } from './wait';

/** One request of a probe round and how it was answered; status 0: no answer within the limit. */
export interface Probe {
  route: 'health' | 'list' | 'create' | 'login';
  at: number; // when it was sent, epoch ms
  ms: number;
  status: number;
  errcode?: number;
  redis?: string; // health's data.redis
}

let codes = 0;

async function send(route: Probe['route'], url: string, init: RequestInit, limitMs: number): Promise<Probe> {
  const at = Date.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(limitMs) });
    const body = (await res.json().catch(() => ({}))) as { errcode?: number; data?: { redis?: string } };
    return {
      route,
      at,
      ms: Date.now() - at,
      status: res.status,
      errcode: body.errcode,
      redis: body.data?.redis,
    };
  } catch {
    return { route, at, ms: Date.now() - at, status: 0 };
  }
}

/**
 * One round against a tixing instance, all at once: health, a list and a create of `token`'s user,
 * and a fresh login — a read, a write, a script, a MULTI and the health probe.
 */
export function probeRound(base: string, token: string, limitMs: number): Promise<Probe[]> {
  const json = { 'content-type': 'application/json' };
  const auth = { ...json, authorization: `Bearer ${token}` };
  return Promise.all([
    send('health', `${base}/api/health`, {}, limitMs),
    send('list', `${base}/api/reminders?limit=5`, { headers: auth }, limitMs),
    send(
      'create',
      `${base}/api/reminders`,
      {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ title: 'probe', at: Date.now() + 3600_000 }),
      },
      limitMs,
    ),
    send(
      'login',
      `${base}/api/login`,
      { method: 'POST', headers: json, body: JSON.stringify({ code: `prober#${++codes}` }) },
      limitMs,
    ),
  ]);
}

/** `loops` probers running rounds every `everyMs` until `done()`; resolves every answer. */
export async function probeWhile(
  base: string,
  token: string,
  done: () => boolean,
  options: { limitMs: number; everyMs?: number; loops?: number },
): Promise<Probe[]> {
  const out: Probe[] = [];
  const loop = async () => {
    while (!done()) {
      out.push(...(await probeRound(base, token, options.limitMs)));
      await sleep(options.everyMs ?? 200);
    }
  };
  await Promise.all(Array.from({ length: options.loops ?? 2 }, loop));
  return out;
}
