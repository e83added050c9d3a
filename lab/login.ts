import type { RequestListener } from 'node:http';
import request from 'supertest';
import type { Envelope, LoginView } from '../src/http/presenters';

/** Where a client logs in: a tixing process's base URL, or an in-process instance (its Koa app). */
export type LoginTarget = string | { instance: { app: { callback(): RequestListener } } };

/**
 * Logs a sandbox user in and returns the bearer token. In the sandbox every code works once and
 * the part before '#' names the user: `alice#1` and `alice#2` are both alice.
 */
export async function login(target: LoginTarget, code: string): Promise<string> {
  const { status, body } =
    typeof target === 'string'
      ? await fetch(`${target}/api/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ code }),
        }).then(async (res) => ({
          status: res.status,
          body: (await res.json().catch(() => null)) as unknown,
        }))
      : await request(target.instance.app.callback()).post('/api/login').send({ code });
  // An answer that is not a 200 may have any shape: the token is read only when it is there.
  const token = (body as Partial<Envelope<LoginView>> | null)?.data?.token;
  if (status !== 200 || typeof token !== 'string') {
    throw new Error(`login ${code} answered ${status}: ${JSON.stringify(body)}`);
  }
  return token;
}

/** The Authorization header of a session. */
export const bearer = (token: string): { Authorization: string } => ({ Authorization: `Bearer ${token}` });
