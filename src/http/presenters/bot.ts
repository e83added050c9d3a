import type { BotDefault, BotRule } from '../../services/bot-rules';
import type { RuleTableState } from '../../services/bot-service';

/**
 * `GET`/`PUT /api/admin/bot/rules`: the table as it answers now, and when it was set (`null`: the
 * seed of config/bot.json, not yet stored in Redis).
 */
export interface BotRulesView {
  rules: BotRule[];
  default: BotDefault;
  updatedAt: string | null;
}

export function presentBotRules(state: RuleTableState): BotRulesView {
  return {
    rules: state.table.rules,
    default: state.table.default,
    updatedAt: state.updatedAt === null ? null : new Date(state.updatedAt).toISOString(),
  };
}
