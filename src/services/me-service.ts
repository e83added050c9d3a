import type { SessionStore } from '../store/session-store';
import type { PersonalDataRegistry } from './personal-data';

// How long pushes about an erased user are dropped unless they log in again (which lifts it):
// WeChat pushes about a person come from their use of the mini-program, which logs in first.
const TOMBSTONE_TTL_SECONDS = 366 * 86_400;

/** Everything stored about one user: each contributor's section under its name. */
export interface PersonalExport {
  openid: string;
  exportedAt: number;
  sections: Record<string, unknown>;
}

export interface Erasure {
  erasedAt: number;
  records: Record<string, number>; // contributor → records erased
}

export interface MeServiceDeps {
  registry: Pick<PersonalDataRegistry, 'export' | 'erase'>;
  sessions: Pick<SessionStore, 'markErased'>;
  now: () => number;
}

/** `GET /api/me/export` and `DELETE /api/me` over the personal-data registry (src/services/personal-data.ts). */
export class MeService {
  constructor(private readonly deps: MeServiceDeps) {}

  async export(openid: string): Promise<PersonalExport> {
    const exportedAt = this.deps.now();
    return { openid, exportedAt, sections: await this.deps.registry.export(openid) };
  }

  /**
   * Erases the user: the tombstone first, so that a push about them arriving meanwhile is already
   * dropped (src/services/push-service.ts), then every contributor in order — sessions first. Safe
   * to repeat: a retry after a failure (a 503) erases what is left.
   */
  async erase(openid: string): Promise<Erasure> {
    const erasedAt = this.deps.now();
    await this.deps.sessions.markErased(openid, TOMBSTONE_TTL_SECONDS);
    return { erasedAt, records: await this.deps.registry.erase(openid) };
  }
}
