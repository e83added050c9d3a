/** `POST /api/login`: the bearer token for later requests, and when it expires (ISO). */
export interface LoginView {
  token: string;
  expiresAt: string;
}

export function presentLogin(login: { token: string; expiresAt: number }): LoginView {
  return { token: login.token, expiresAt: new Date(login.expiresAt).toISOString() };
}
