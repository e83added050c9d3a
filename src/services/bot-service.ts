/**
 * The bot's rule table as every instance sees it (docs/architecture.md#customer-service): read from
 * Redis (one GET per message; compiled once per version), seeded from config/bot.json when Redis has
 * none, replaced whole by `PUT /api/admin/bot/rules` after the checks only a service can make: its
 * image files exist and are images, its regexes cannot run away (src/services/bot-regex.ts).
 */
import { invalidRequest, type ErrorDetail } from '../errors';
import type { Logger } from '../logger';
import type { BotRulesStore, StoredRules } from '../store/bot-rules-store';
import { regexProblem } from './bot-regex';
import { BotConfigError, CompiledRules, imageFilesOf, regexesOf, type BotRuleTable } from './bot-rules';
import { ImageProblem, loadImage } from './customer-service-media';

export interface BotServiceDeps {
  store: Pick<BotRulesStore, 'read' | 'write' | 'seed'>;
  seed: BotRuleTable; // config/bot.json, shape-checked at load
  seedFile: string; // for messages
  imageDir: string; // config/bot/
  logger: Logger;
  now: () => number;
}

/** The table with when it was set (null: the seed, not yet stored). */
export interface RuleTableState {
  table: BotRuleTable;
  updatedAt: number | null;
}

export class BotService {
  private compiled: { json: string; rules: CompiledRules } | undefined;

  constructor(private readonly deps: BotServiceDeps) {}

  /** Checks the seed (an unsafe regex or a missing image stops the start) and stores it if Redis has no table. */
  async start(): Promise<void> {
    const { seed, seedFile, store, logger, now } = this.deps;
    const problems = await this.problems(seed);
    if (problems.length > 0)
      throw new BotConfigError(
        seedFile,
        problems.map((p) => p.message),
      );
    if (await store.seed({ json: JSON.stringify(seed), updatedAt: now() })) {
      logger.info({ rules: seed.rules.length }, 'bot rules seeded from config/bot.json');
    }
  }

  /** The rules to answer with now, compiled; the seed while Redis holds none. */
  async current(): Promise<CompiledRules> {
    const stored = await this.deps.store.read();
    const json = stored?.json ?? JSON.stringify(this.deps.seed);
    if (this.compiled?.json !== json) {
      this.compiled = { json, rules: new CompiledRules(JSON.parse(json) as BotRuleTable) };
    }
    return this.compiled.rules;
  }

  /** `GET /api/admin/bot/rules`. */
  async rules(): Promise<RuleTableState> {
    const stored = await this.deps.store.read();
    return stored ? fromStored(stored) : { table: this.deps.seed, updatedAt: null };
  }

  /** `PUT /api/admin/bot/rules`: a shape-checked table, refused with every problem (400) or stored whole. */
  async replace(table: BotRuleTable): Promise<RuleTableState> {
    const problems = await this.problems(table);
    if (problems.length > 0) throw invalidRequest(problems);
    const stored: StoredRules = { json: JSON.stringify(table), updatedAt: this.deps.now() };
    await this.deps.store.write(stored);
    this.deps.logger.info({ rules: table.rules.length }, 'bot rules replaced');
    return fromStored(stored);
  }

  /** What only the service can check of a table: image files, and regex safety. */
  async problems(table: BotRuleTable): Promise<ErrorDetail[]> {
    const images = imageFilesOf(table).map(async ({ path, file }) => {
      try {
        await loadImage(this.deps.imageDir, { file });
        return null;
      } catch (err) {
        if (!(err instanceof ImageProblem)) throw err;
        return { path, message: `${path} ${err.message}` };
      }
    });
    const regexes = regexesOf(table).map(async ({ path, pattern }) => {
      const problem = await regexProblem(pattern);
      return problem ? { path, message: `${path} ${problem}` } : null;
    });
    const found = await Promise.all([...images, ...regexes]);
    return found.filter((p): p is ErrorDetail => p !== null);
  }
}

function fromStored(stored: StoredRules): RuleTableState {
  return { table: JSON.parse(stored.json) as BotRuleTable, updatedAt: stored.updatedAt };
}
