/**
 * The console's one way to the server: the same JSON API as the mini-program, with the session in
 * its HttpOnly cookie (never visible here) and the session's CSRF token in a header on every write.
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: number,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The session is gone (expired, signed out): the page goes back to sign-in. */
  get signedOut(): boolean {
    return this.status === 401;
  }
}

let csrfToken: string | null = null;
let onSignedOut: () => void = () => undefined;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** What to do when an answer says the session is gone. */
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export async function api<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 0, '无法连接服务器，请检查网络后重试');
  }
  const json = (await res.json().catch(() => null)) as {
    errcode?: number;
    errmsg?: string;
    data?: T;
    details?: ErrorDetail[];
  } | null;
  if (!res.ok || !json || json.errcode !== 0) {
    const error = new ApiError(
      res.status,
      json?.errcode ?? res.status * 100,
      json?.errmsg ?? `服务器返回 ${res.status}`,
      json?.details ?? [],
    );
    if (error.signedOut && !path.startsWith('/api/console/login') && path !== '/api/console/operator-login') {
      onSignedOut();
    }
    throw error;
  }
  return json.data as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body);
export const put = <T>(path: string, body: unknown) => api<T>('PUT', path, body);
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const del = <T>(path: string) => api<T>('DELETE', path);

/** A message for a person from any error. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
