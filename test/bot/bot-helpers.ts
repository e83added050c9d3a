/**
 * What the customer-service tests share: instances with message push in secure mode that listen
 * on loopback (the sandbox's push side reaches them over HTTP, as WeChat would), pushes through
 * `POST /__sandbox/push`, the admin token, and the bot's answers as the sandbox received them.
 */
import type { BotRule, BotRuleTable } from '../../src/services/bot-rules';
import type { PushReport, WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import {
  api,
  uniquePrefix,
  waitFor,
  type InstanceOptions,
  type SandboxEnv,
  type TestInstance,
} from '../support/harness';

export const PUSH_TOKEN = 'tixingBotTest1';
export const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
export const SECURE = { token: PUSH_TOKEN, aesKey: AES_KEY };

/** One instance that listens, with its push URL. */
export interface Listening {
  t: TestInstance;
  pushUrl: string;
}

/**
 * Starts `count` instances on one Redis prefix (as several processes behind a load balancer),
 * in secure mode, each listening on a free loopback port.
 */
export async function startListening(
  env: SandboxEnv,
  count: number,
  options: InstanceOptions = {},
): Promise<Listening[]> {
  const prefix = uniquePrefix();
  const out: Listening[] = [];
  for (let i = 0; i < count; i++) {
    const t = await env.start({
      ...options,
      config: { redisPrefix: prefix, ...options.config, wx: { ...SECURE, ...options.config?.wx } },
    });
    const { url } = await t.instance.listen(0, '127.0.0.1');
    out.push({ t, pushUrl: `${url}/api/wx/message` });
  }
  return out;
}

/** `POST /__sandbox/push`: the sandbox delivers `message` from `user` as WeChat would; its report. */
export async function push(
  sandbox: WeChatSandbox,
  to: string | string[],
  user: string,
  message: Record<string, unknown>,
  options: {
    format?: 'json' | 'xml';
    encrypt?: boolean;
    compatible?: boolean;
    retries?: number;
    resend?: number;
    timeoutMs?: number;
  } = {},
): Promise<PushReport> {
  const res = await fetch(`${sandbox.url ?? ''}/__sandbox/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ to, user, message, ...options }),
  });
  const body = (await res.json()) as PushReport & { ok: boolean; problems?: string[] };
  if (res.status !== 200) throw new Error(`sandbox push answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

export const text = (content: string) => ({ MsgType: 'text', Content: content });

export const admin = (t: TestInstance) => ({ Authorization: `Bearer ${t.config.adminToken ?? ''}` });

/** Replaces the rule table through the admin API; expects a 200. */
export async function putRules(
  t: TestInstance,
  rules: BotRule[],
  fallback: BotRuleTable['default'],
): Promise<void> {
  const res = await api(t).put('/api/admin/bot/rules').set(admin(t)).send({ rules, default: fallback });
  if (res.status !== 200) throw new Error(`PUT rules answered ${res.status}: ${res.text}`);
}

/** The texts the sandbox's custom/send took for `openid`, oldest first. */
export function answersTo(sandbox: WeChatSandbox, openid: string): string[] {
  return sandbox.custom.sent
    .filter((m) => m.touser === openid)
    .map((m) => m.text?.content ?? `<${m.msgtype}>`);
}

/** Waits until `openid` got at least `count` answers and no instance has one still queued; their texts. */
export async function settledAnswers(
  sandbox: WeChatSandbox,
  instances: readonly TestInstance[],
  openid: string,
  count: number,
): Promise<string[]> {
  return waitFor(
    () =>
      answersTo(sandbox, openid).length >= count &&
      instances.every((t) => t.instance.customerService.pending === 0) &&
      answersTo(sandbox, openid),
    { what: `${count} answer(s) to ${openid}` },
  );
}
