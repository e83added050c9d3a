import type { ConsoleSessionStore } from '../store/console-session-store';
import { isoTime, type KeyFamily, type PersonalData } from './personal-data';

/** One live console session in a person's data export: never its token, never its CSRF token. */
export interface ConsoleSessionExport {
  createdAt: string | null;
  expiresAt: string | null;
}

const FAMILIES: readonly KeyFamily[] = [
  {
    pattern: 'console:session:<digest>',
    about: 'hash with TTL: one web console session of a publisher (their openid in a field)',
    notExported: ['csrf'], // the session's CSRF token: a secret of the session
  },
  {
    pattern: 'user:{u<shard>}:<openid>:console-sessions',
    about: 'zset: the digests of the user’s console session tokens by expiry',
    notExported: ['members'], // digests of bearer secrets: nothing a person needs, nothing to show
  },
  {
    pattern: 'console:login:<digest>',
    about: 'hash with TTL (2 min): a console QR sign-in the user approved, until their page takes it',
    notExported: ['poller'],
  },
];

/**
 * The web console's sessions as personal data: a publisher's console sessions, listed
 * in the export and ended by erasure like their mini-program sessions (an approved sign-in not
 * yet taken lives 2 minutes and is then gone by itself).
 */
export class ConsolePersonalData implements PersonalData {
  readonly name = 'consoleSessions';
  readonly families = FAMILIES;

  constructor(
    private readonly deps: {
      store: Pick<ConsoleSessionStore, 'sessionsOf' | 'eraseUser'>;
      now: () => number;
    },
  ) {}

  async export(openid: string): Promise<ConsoleSessionExport[]> {
    const sessions = await this.deps.store.sessionsOf(openid, this.deps.now());
    return sessions.map((s) => ({ createdAt: isoTime(s.createdAt), expiresAt: isoTime(s.expiresAt) }));
  }

  erase(openid: string): Promise<number> {
    return this.deps.store.eraseUser(openid);
  }
}
