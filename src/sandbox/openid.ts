import { createHash } from 'node:crypto';

/**
 * The sandbox's user behind a js_code: the part before the first `#`. `alice#1` and `alice#2` are
 * two logins of one user, so a test can log the same person in many times (each code works once).
 */
export function userOfCode(code: string): string {
  const hash = code.indexOf('#');
  return hash < 0 ? code : code.slice(0, hash);
}

/**
 * A stable openid for (app, user), shaped like WeChat's: 28 URL-safe characters starting with `o`
 * (`o7esq5PHRGBQYmeNyfG064wEFVpQ`). Like WeChat's, it differs between apps for the same person.
 */
export function openIdFor(appId: string, user: string): string {
  return `o${createHash('sha256').update(`${appId}\0${user}`).digest('base64url').slice(0, 27)}`;
}

const OPENID_SHAPE = /^o[A-Za-z0-9_-]{27}$/;

export function looksLikeOpenId(value: unknown): value is string {
  return typeof value === 'string' && OPENID_SHAPE.test(value);
}
