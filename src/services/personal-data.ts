/**
 * A person's own data (docs/architecture.md#a-persons-own-data, PIPL): `GET /api/me/export` and `DELETE /api/me` are built from
 * one registry in which every feature declares what it stores about a user, so that neither can
 * forget a feature. src/services/me-service.ts runs them; src/instance.ts wires the contributors.
 *
 * ## Adding a contributor (every feature that stores anything naming a user)
 *
 * 1. Implement `PersonalData` beside the feature's service (examples:
 *    src/services/reminder-personal-data.ts, src/services/account-personal-data.ts):
 *    - `name`: the export's section (`promises`, `notifications`…), unique;
 *    - `families`: every Redis key family of the feature that can name the user: the key's openid,
 *      one of their ids in the key, or the user in a field, value or member (`KeyFamily` below);
 *    - `export(openid)`: everything of those families about the user, as JSON (ISO times), in the
 *      field names the store uses; never a secret (a session token, a session_key);
 *    - `erase(openid)`: deletes all of it, resolves how many records went. A shared index (a due
 *      zset, a group's member list) loses the user's members; announce removed jobs to every
 *      instance as the feature's cancel does; tell other people what they must know (a promise's
 *      other party).
 * 2. `personalData.add(contributor)` in src/instance.ts. Erase runs contributors in the order they
 *    were added: `account` first (sessions end before anything else), and a feature whose sends
 *    can still be in flight before the ledgers those sends write to (`subscriptions`, `dailySends`).
 * 3. Use the feature in test/personal-data/every-feature.ts: test/personal-data/completeness.test.ts
 *    then SCANs every key of a user who used everything, and fails on a key naming them that no
 *    family declares, on one still there after erasure, and on a record missing from the export.
 */

/** A key family, written after the prefix with placeholders: `user:<openid>:reminders`, `reminder:<id>`. */
export interface KeyFamily {
  pattern: string; // `<openid>` is the user's openid; any other `<name>` is one key segment
  about: string; // what the key holds, for a person reading the registry
  /** A key of everyone (`due`): only its members naming the user are theirs (and erased). */
  shared?: boolean;
  /**
   * What is stored but not exported, and why it may be: `members` or `value` (a session token;
   * an instance's claim token), or hash field names (`sessionKey`).
   */
  notExported?: readonly string[];
}

/** What one feature stores about a user, and how it is exported and erased. */
export interface PersonalData {
  readonly name: string;
  readonly families: readonly KeyFamily[];
  export(openid: string): Promise<unknown>;
  erase(openid: string): Promise<number>;
}

/** The contributors, in the order their data is erased. */
export class PersonalDataRegistry {
  private readonly contributors: PersonalData[] = [];

  add(contributor: PersonalData): this {
    if (this.contributors.some((c) => c.name === contributor.name)) {
      throw new Error(`personal data ${contributor.name} is registered already`);
    }
    this.contributors.push(contributor);
    return this;
  }

  /** Every declared key family, with the contributor that owns it. */
  families(): (KeyFamily & { owner: string })[] {
    return this.contributors.flatMap((c) => c.families.map((f) => ({ ...f, owner: c.name })));
  }

  /** Each contributor's export under its name, read at once. */
  async export(openid: string): Promise<Record<string, unknown>> {
    const sections = await Promise.all(this.contributors.map((c) => c.export(openid)));
    return Object.fromEntries(this.contributors.map((c, i) => [c.name, sections[i]]));
  }

  /** Erases every contributor's data, one after the other; how many records each had. */
  async erase(openid: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const c of this.contributors) counts[c.name] = await c.erase(openid);
    return counts;
  }
}

/** Epoch ms as the export shows times (ISO 8601, UTC); null stays null. */
export function isoTime(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}
