import { WeChatSandbox, type WeChatSandboxOptions } from '../../src/sandbox/wechat-sandbox';

export const APPID = 'wx5a1d0b0c0ffee123';
export const SECRET = 'sandbox-secret-for-tests-000000000';
export const TEMPLATE_ID = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w';
export const RID = / rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;

/**
 * A hand-moved clock for token expiry, starting at 2026-01-01T00:00Z: the sandbox's own tests need
 * a fixed time, where app tests move real time on (test/support/clock.ts).
 */
export class Clock {
  ms = Date.UTC(2026, 0, 1);
  readonly now = (): number => this.ms;
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export interface Harness {
  sandbox: WeChatSandbox;
  url: string;
  clock: Clock;
}

export async function startSandbox(options: Partial<WeChatSandboxOptions> = {}): Promise<Harness> {
  const clock = new Clock();
  const sandbox = new WeChatSandbox({ appId: APPID, appSecret: SECRET, now: clock.now, ...options });
  const url = await sandbox.start(0, '127.0.0.1');
  return { sandbox, url, clock };
}

export interface Answer {
  status: number;
  contentType: string | null;
  text: string;
  // Test-only: answers are arbitrary JSON and assertions read fields freely.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

async function toAnswer(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Non-JSON answers (HTTP faults) keep json null.
  }
  return { status: res.status, contentType: res.headers.get('content-type'), text, json };
}

export async function get(url: string): Promise<Answer> {
  return toAnswer(await fetch(url, { signal: AbortSignal.timeout(5000) }));
}

export async function post(url: string, body: unknown): Promise<Answer> {
  return toAnswer(
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    }),
  );
}

export async function stableToken(h: Harness, forceRefresh = false): Promise<Answer> {
  return post(`${h.url}/cgi-bin/stable_token`, {
    grant_type: 'client_credential',
    appid: APPID,
    secret: SECRET,
    force_refresh: forceRefresh,
  });
}

export async function plainToken(h: Harness): Promise<Answer> {
  return get(`${h.url}/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${SECRET}`);
}

export function message(h: Harness, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    touser: h.sandbox.openIdFor('alice'),
    template_id: TEMPLATE_ID,
    page: 'pages/index/index',
    miniprogram_state: 'formal',
    lang: 'zh_CN',
    data: {
      thing1: { value: '喝水' },
      time2: { value: '2026年11月21日 08:30' },
      thing3: { value: '一杯温水' },
    },
    ...over,
  };
}

export async function send(h: Harness, token: string, body: unknown = message(h)): Promise<Answer> {
  return post(`${h.url}/cgi-bin/message/subscribe/send?access_token=${encodeURIComponent(token)}`, body);
}

export async function code2Session(h: Harness, code: string): Promise<Answer> {
  const q = new URLSearchParams({
    appid: APPID,
    secret: SECRET,
    js_code: code,
    grant_type: 'authorization_code',
  });
  return get(`${h.url}/sns/jscode2session?${q.toString()}`);
}
