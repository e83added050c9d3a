/**
 * What the console tests share: a cookie jar per browser-like client over supertest (the session
 * cookie, the CSRF token it came with), sign-in both ways, and the cookie's attributes.
 */
import request from 'supertest';
import type { ConsoleLoginView, ConsoleSessionView } from '../../src/http/presenters/console';
import { api, bearer, login, type TestInstance } from '../support/harness';
import { data } from '../support/api-types';
import { holdToDocument } from '../docs/openapi-doc';

export const CONSOLE_COOKIE = 'tixing_console';
export const LOGIN_COOKIE = 'tixing_console_login';
/** The Host every request of a Browser names, so that its origin is known (supertest picks a port). */
export const HOST = 'console.test';

/** One Set-Cookie header as name, value and attributes (lower-case names). */
export interface SetCookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
}

export function setCookies(res: request.Response): SetCookie[] {
  const raw = res.headers['set-cookie'] as unknown as string[] | undefined;
  return (raw ?? []).map((line) => {
    const [pair = '', ...rest] = line.split(';').map((s) => s.trim());
    const at = pair.indexOf('=');
    const attributes: Record<string, string | true> = {};
    for (const part of rest) {
      const eq = part.indexOf('=');
      if (eq < 0) attributes[part.toLowerCase()] = true;
      else attributes[part.slice(0, eq).toLowerCase()] = part.slice(eq + 1);
    }
    return { name: pair.slice(0, at), value: pair.slice(at + 1), attributes };
  });
}

/**
 * A browser as the server sees it: the cookies it was given (by name), sent back on every
 * request, and the CSRF token of its console session, sent on writes unless told not to.
 */
export class Browser {
  readonly cookies = new Map<string, string>();
  csrf: string | null = null;

  constructor(
    private readonly t: TestInstance,
    readonly origin = `http://${HOST}`, // what its pages send as Origin on writes
  ) {}

  /** A request with the jar's cookies; writes carry Origin and (with `csrf`) X-CSRF-Token. */
  call(
    method: 'get' | 'post' | 'put' | 'patch' | 'delete',
    path: string,
    options: { csrf?: boolean; origin?: string | null } = {},
  ) {
    let req = api(this.t)[method](path).set('Host', HOST);
    const jar = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (jar) req = req.set('Cookie', jar);
    if (method !== 'get') {
      const origin = options.origin === undefined ? this.origin : options.origin;
      if (origin !== null) req = req.set('Origin', origin);
      if (options.csrf !== false && this.csrf) req = req.set('X-CSRF-Token', this.csrf);
    }
    return req;
  }

  /** Keeps the cookies an answer set (an empty value deletes). */
  keep(res: request.Response): request.Response {
    for (const c of setCookies(res)) {
      if (c.value === '' || c.attributes.expires === 'Thu, 01 Jan 1970 00:00:00 GMT')
        this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    return res;
  }

  async operatorLogin(): Promise<ConsoleSessionView> {
    const res = this.keep(
      await this.call('post', '/api/console/operator-login').send({ token: this.t.config.adminToken }),
    );
    if (res.status !== 200) throw new Error(`operator-login answered ${res.status} ${res.text}`);
    const session = data<ConsoleSessionView>(res);
    this.csrf = session.csrfToken;
    return session;
  }

  async startLogin(): Promise<ConsoleLoginView> {
    const res = this.keep(await this.call('post', '/api/console/login').send({}));
    if (res.status !== 201) throw new Error(`console login answered ${res.status} ${res.text}`);
    return data<ConsoleLoginView>(res);
  }

  async poll(nonce: string): Promise<request.Response> {
    return this.keep(await this.call('get', `/api/console/login/${nonce}`));
  }

  /** The QR sign-in of `user` (a sandbox user name): start, the mini-program's approve, the poll. */
  async publisherLogin(user: string): Promise<ConsoleSessionView> {
    const { nonce } = await this.startLogin();
    const token = await login(this.t, `${user}#console-${Math.random().toString(36).slice(2)}`);
    const approved = await api(this.t)
      .post(`/api/console/login/${nonce}/approve`)
      .set(bearer(token))
      .send({});
    if (approved.status !== 200) throw new Error(`approve answered ${approved.status} ${approved.text}`);
    const res = await this.poll(nonce);
    const body = data<{ status: string; session: ConsoleSessionView }>(res);
    if (body.status !== 'approved') throw new Error(`poll answered ${res.text}`);
    this.csrf = body.session.csrfToken;
    return body.session;
  }
}

/** Holds an answer to docs/openapi.yaml: its status is listed, and its JSON body fits the schema. */
export function documented(method: string, docPath: string, res: request.Response): request.Response {
  return holdToDocument(method, docPath, res);
}
