/**
 * The bot's rule table (docs/architecture.md#customer-service): ordered rules, each a
 * `match` and either a `reply` or `transfer: true`, then a `default`; the first rule that matches
 * a message answers it. Kept in Redis as JSON (src/store/bot-rules-store.ts), seeded from
 * config/bot.json, replaced through `PUT /api/admin/bot/rules`. This module holds the types and
 * the matching, which is pure.
 */
import { readFileSync } from 'node:fs';
import type { TypedSchema } from '../infra/typed-schema';
import { MATCH_INPUT_CHARS, REGEX_FLAGS } from './bot-regex';

/** Answers that know tixing, composed when they are sent (src/services/bot-answers.ts). */
export const BUILTINS = ['reminders', 'notices', 'help'] as const;
export type Builtin = (typeof BUILTINS)[number];

/** The message types a rule can match; `event` is user_enter_tempsession. */
export const INCOMING_TYPES = ['text', 'image', 'miniprogrampage', 'event'] as const;
export type IncomingType = (typeof INCOMING_TYPES)[number];

/** An image to send: a file of config/bot/ (rules, agents) or its bytes in base64 (agents). */
export type ImageSource = { file: string; data?: never } | { data: string; file?: never };

/** A customer-service message to send, in tixing's names (WeChat's are in custom-message-client.ts). */
export type OutgoingBody =
  | { text: string }
  | { image: ImageSource }
  | { link: { title: string; description: string; url: string; thumbUrl: string } }
  | { miniprogrampage: { title: string; pagePath: string; thumb: ImageSource } };

export type BotReply = OutgoingBody | { builtin: Builtin };

export interface BotMatch {
  msgType?: IncomingType;
  event?: string; // e.g. user_enter_tempsession
  keyword?: string; // the whole text, trimmed, ignoring letter case
  contains?: string; // a part of the text, ignoring letter case
  regex?: string; // a JavaScript pattern, flag i, proven safe (src/services/bot-regex.ts)
}

export interface BotRule {
  name: string; // unique; labels the answer in the conversation and in metrics
  help?: string; // what `帮助` says of a keyword rule
  match: BotMatch;
  reply?: BotReply; // exactly one of reply and transfer
  transfer?: boolean;
}

export interface BotDefault {
  reply?: BotReply;
  transfer?: boolean;
}

export interface BotRuleTable {
  rules: BotRule[];
  default: BotDefault;
}

/** What a message is, as far as the rules look at it. */
export interface Incoming {
  msgType: IncomingType;
  event?: string;
  text?: string; // a text message's Content
}

export type Decision = { rule: string; transfer: true } | { rule: string; reply: BotReply };

export const DEFAULT_RULE = 'default';
/** Longest text the bot or an agent sends (WeChat takes 2,048 bytes: 600 CJK characters fit). */
export const TEXT_MAX_CHARS = 600;

interface CompiledRule {
  rule: BotRule;
  keyword?: string;
  contains?: string;
  regex?: RegExp;
}

/** A table ready to match: texts lower-cased and patterns compiled once. */
export class CompiledRules {
  private readonly compiled: CompiledRule[];

  constructor(readonly table: BotRuleTable) {
    this.compiled = table.rules.map((rule) => ({
      rule,
      ...(rule.match.keyword !== undefined ? { keyword: rule.match.keyword.trim().toLowerCase() } : {}),
      ...(rule.match.contains !== undefined ? { contains: rule.match.contains.toLowerCase() } : {}),
      ...(rule.match.regex !== undefined ? { regex: new RegExp(rule.match.regex, REGEX_FLAGS) } : {}),
    }));
  }

  /** The first rule that matches, else the default. */
  decide(message: Incoming): Decision {
    const hit = this.compiled.find((c) => matches(c, message));
    const rule = hit?.rule;
    const name = rule?.name ?? DEFAULT_RULE;
    const source: BotDefault = rule ?? this.table.default;
    if (source.transfer) return { rule: name, transfer: true };
    if (source.reply) return { rule: name, reply: source.reply };
    return { rule: name, transfer: true }; // a table validated has one of the two
  }

  /** `「keyword」help` for each keyword rule that says what it does, in table order. */
  helpLines(): string[] {
    return this.table.rules
      .filter((r) => r.match.keyword !== undefined && r.help)
      .map((r) => `「${r.match.keyword ?? ''}」${r.help ?? ''}`);
  }
}

function matches(c: CompiledRule, message: Incoming): boolean {
  const { match } = c.rule;
  const wantsText = c.keyword !== undefined || c.contains !== undefined || c.regex !== undefined;
  const type = match.msgType ?? (match.event !== undefined ? 'event' : wantsText ? 'text' : undefined);
  if (type !== undefined && type !== message.msgType) return false;
  if (match.event !== undefined && match.event !== message.event) return false;
  if (!wantsText) return true;
  const text = message.text;
  if (text === undefined) return false;
  if (c.keyword !== undefined && text.trim().toLowerCase() !== c.keyword) return false;
  const head = text.slice(0, MATCH_INPUT_CHARS);
  if (c.contains !== undefined && !head.toLowerCase().includes(c.contains)) return false;
  if (c.regex !== undefined && !c.regex.test(head)) return false;
  return true;
}

/** The image files a table sends (`image.file`, `miniprogrampage.thumb.file`), with where each is named. */
export function imageFilesOf(table: BotRuleTable): { path: string; file: string }[] {
  const out: { path: string; file: string }[] = [];
  const add = (reply: BotReply | undefined, at: string) => {
    if (!reply) return;
    if ('image' in reply && reply.image.file) out.push({ path: `${at}.image.file`, file: reply.image.file });
    if ('miniprogrampage' in reply && reply.miniprogrampage.thumb.file) {
      out.push({ path: `${at}.miniprogrampage.thumb.file`, file: reply.miniprogrampage.thumb.file });
    }
  };
  table.rules.forEach((rule, i) => add(rule.reply, `rules.${i}.reply`));
  add(table.default.reply, 'default.reply');
  return out;
}

/** The regex patterns of a table, with where each is named. */
export function regexesOf(table: BotRuleTable): { path: string; pattern: string }[] {
  return table.rules.flatMap((rule, i) =>
    rule.match.regex === undefined ? [] : [{ path: `rules.${i}.match.regex`, pattern: rule.match.regex }],
  );
}

export class BotConfigError extends Error {
  constructor(file: string, problems: string[]) {
    super(`${file}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'BotConfigError';
  }
}

/** Reads and checks the seed table (config/bot.json) against the route's schema; throws every problem at once. */
export function loadBotConfig(file: string, schema: TypedSchema<BotRuleTable>): BotRuleTable {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new BotConfigError(file, [`cannot be read as JSON: ${(err as Error).message}`]);
  }
  const { value, error } = schema.validate(json, { abortEarly: false, convert: true });
  if (error)
    throw new BotConfigError(
      file,
      error.details.map((d) => d.message.replace(/"/g, '')),
    );
  return value;
}
