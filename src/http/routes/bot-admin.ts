import Router from '@koa/router';
import Joi from 'joi';
import { compileProblem, REGEX_MAX_CHARS } from '../../services/bot-regex';
import {
  BUILTINS,
  INCOMING_TYPES,
  TEXT_MAX_CHARS,
  type BotDefault,
  type BotMatch,
  type BotReply,
  type BotRule,
  type BotRuleTable,
  type ImageSource,
  type OutgoingBody,
} from '../../services/bot-rules';
import type { BotService } from '../../services/bot-service';
import { TEMPSESSION_EVENT } from '../../services/customer-service-incoming';
import { IMAGE_FILE } from '../../services/customer-service-media';
import { inputOf, reply, type AppContext, type AppState } from '../context';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';
import { presentBotRules } from '../presenters/bot';
import { required, text, typedCustom, typedObject } from '../schemas';

export const MAX_RULES = 100;
const IMAGE_DATA_MAX_CHARS = 54_616; // base64 of 40 KiB: an agent's image fits in a 64 KiB body

const url = Joi.string()
  .uri({ scheme: ['http', 'https'] })
  .max(1024);

/** An image: a file of config/bot/ (`help.png`), or for agents also its bytes in base64. */
function imageSource(allowData: boolean): Joi.ObjectSchema<ImageSource> {
  const file = Joi.string().pattern(IMAGE_FILE, 'a .png or .jpg file name of config/bot/');
  if (!allowData) return Joi.object<ImageSource>({ file: file.required() });
  const data = Joi.string()
    .max(IMAGE_DATA_MAX_CHARS)
    .pattern(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'base64');
  return Joi.object<ImageSource>({ file, data }).xor('file', 'data');
}

/** A message to send: exactly one of text, image, link, miniprogrampage (and, in a rule, builtin). */
function outgoing(options: { rule: boolean }): Joi.ObjectSchema<OutgoingBody> {
  const image = imageSource(!options.rule);
  const kinds = ['text', 'image', 'link', 'miniprogrampage', ...(options.rule ? ['builtin'] : [])];
  return Joi.object<OutgoingBody>({
    text: text().multiline().trim().min(1).max(TEXT_MAX_CHARS),
    image,
    link: Joi.object({
      title: text().trim().min(1).max(64).required(),
      description: text().trim().allow('').max(120).required(),
      url: url.required(),
      thumbUrl: url.required(),
    }),
    miniprogrampage: Joi.object({
      title: text().trim().min(1).max(64).required(),
      pagePath: Joi.string()
        .max(256)
        .pattern(/^[A-Za-z0-9_./-]+(\?[\x21-\x7e]*)?$/, 'a page path such as pages/index/index?from=bot')
        .required(),
      thumb: image.required(),
    }),
    ...(options.rule ? { builtin: Joi.string().valid(...BUILTINS) } : {}),
  }).xor(...kinds);
}

const regex = Joi.string()
  .min(1)
  .max(REGEX_MAX_CHARS)
  .custom((value: string, helpers) => {
    const problem = compileProblem(value);
    return problem ? helpers.message({ custom: `{{#label}} ${problem}` }) : value;
  });

const match = Joi.object<BotMatch>({
  msgType: Joi.string().valid(...INCOMING_TYPES),
  event: Joi.string().valid(TEMPSESSION_EVENT),
  keyword: text().trim().min(1).max(100),
  contains: text().trim().min(1).max(100),
  regex,
})
  .min(1)
  .custom((value: BotMatch, helpers) => {
    const onText = value.keyword !== undefined || value.contains !== undefined || value.regex !== undefined;
    if (onText && value.msgType !== undefined && value.msgType !== 'text') {
      return helpers.message({ custom: '{{#label}}: keyword, contains and regex match text messages only' });
    }
    if (value.event !== undefined && ((value.msgType ?? 'event') !== 'event' || onText)) {
      return helpers.message({ custom: '{{#label}}: event matches events only (msgType event, no text)' });
    }
    return value;
  });

const ruleReply: Joi.ObjectSchema<BotReply> = outgoing({ rule: true }) as Joi.ObjectSchema<BotReply>;

const rule = Joi.object<BotRule>({
  name: Joi.string()
    .pattern(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ and -')
    .invalid('default', 'agent')
    .required(),
  help: text().trim().min(1).max(50),
  match: match.required(),
  reply: ruleReply,
  transfer: Joi.boolean().valid(true),
}).xor('reply', 'transfer');

/** The body of `PUT /api/admin/bot/rules`, and the shape of config/bot.json. */
export const botRuleTable = typedObject<BotRuleTable>({
  rules: required(Joi.alternatives().try(Joi.array().items(rule).max(MAX_RULES).unique('name'))),
  default: required(
    Joi.object<BotDefault>({ reply: ruleReply, transfer: Joi.boolean().valid(true) }).xor(
      'reply',
      'transfer',
    ),
  ),
});

/** The body of an agent's message (`POST /api/admin/conversations/:openid/messages`). */
export const agentMessage = typedCustom<OutgoingBody, OutgoingBody>(
  outgoing({ rule: false }),
  (value) => value,
);

/** The bot's rule table (docs/architecture.md#customer-service): bearer ADMIN_TOKEN, like the rest of the admin API. */
export function botAdminRoutes(deps: {
  bot: Pick<BotService, 'rules' | 'replace'>;
  auth: Auth;
}): Router<AppState> {
  const { bot, auth } = deps;
  const router = new Router<AppState>();

  router.get('/api/admin/bot/rules', auth({ level: 'admin' }), async (ctx: AppContext) => {
    reply(ctx, presentBotRules(await bot.rules()));
  });

  const replace = validate({ body: botRuleTable });
  router.put('/api/admin/bot/rules', auth({ level: 'admin' }), replace, async (ctx: AppContext) => {
    reply(ctx, presentBotRules(await bot.replace(inputOf(ctx, replace).body)));
  });

  return router;
}
