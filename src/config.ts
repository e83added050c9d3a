import Joi from 'joi';
import { typedObject, withDefault } from './infra/typed-schema';
import { parseRedisUrl } from './store/redis-url';

const MINIPROGRAM_STATES = ['developer', 'trial', 'formal'] as const;
const QUOTA_MODES = ['enforce', 'ignore'] as const;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** WX_PROMISE_TEMPLATE_ID's default: the promise template of config/templates.json. */
export const DEFAULT_PROMISE_TEMPLATE_ID = 'Yk3WqPromiseKeptMissedEnded_tixing-9fTz2Lbv';

/** Typed configuration (README.md#configuration), read once at start from the environment (and `.env`). */
export interface Config {
  port: number;
  host: string;
  redisUrl: string | undefined; // unset → embedded redis-server; several nodes → Redis Cluster
  redisCluster?: boolean; // REDIS_CLUSTER=1: the cluster client even for a one-node REDIS_URL
  redisPrefix: string;
  wx: {
    appId: string | undefined; // unset → in-process sandbox
    appSecret: string | undefined;
    apiBase: string;
    templateId: string;
    // WX_PROMISE_TEMPLATE_ID: what a promise's other party is told with (kept, missed, ended);
    // must be in config/templates.json (checked at start, src/instance.ts). Absent in a Config
    // built by hand: DEFAULT_PROMISE_TEMPLATE_ID.
    promiseTemplateId?: string;
    miniprogramState: (typeof MINIPROGRAM_STATES)[number];
    token: string | undefined; // message-push token; unset → push endpoint answers 503
    aesKey: string | undefined;
    // True when main.ts started the in-process sandbox (WX_APPID unset): the console then offers
    // "simulate the scan" (src/http/routes/console.ts). Never set from the environment.
    sandbox?: boolean;
    // True when main.ts made `token` up for a sandbox run (WX_TOKEN unset), only so that the
    // sandbox's push side works: client reports then still count as grants. Never from the environment.
    sandboxToken?: boolean;
  };
  adminToken: string | undefined;
  defaultTimezone: string;
  sessionTtlSeconds: number;
  misfireGraceSeconds: number;
  quotaMode: (typeof QUOTA_MODES)[number];
  sendConcurrency: number; // in-flight sends to WeChat per instance
  logLevel: (typeof LOG_LEVELS)[number];
  redisCommandTimeoutMs: number; // a Redis command unanswered this long fails (request → 503), default 2000
  userDailySendLimit: number; // subscribe messages one user can receive per day, all features, default 50
  retentionDays: number; // finished/missed/cancelled records older than this are purged, default 30
  // CONSOLE_SESSION_TTL_SECONDS: web console session lifetime, default 43200. Absent in a
  // Config built by hand: the default.
  consoleSessionTtlSeconds?: number;
  // TRUST_PROXY: behind a reverse proxy, trust X-Forwarded-Proto/-Host/-For (console cookies are
  // `Secure` when the proxy says https; the login rate limit counts the client's address). Default false.
  trustProxy?: boolean;
  // DUE_SHARDS: how many shards the reminder core's keyspace is split into (1 to 256, default 16),
  // fixed for the life of the data: a reminder's id names its shard. Absent in a Config built by
  // hand: the default.
  dueShards?: number;
  // REDIS_WAIT_REPLICAS: a write the API acknowledges (and a delivery outcome) waits until this many
  // replicas have it (Redis WAIT on the connection that wrote it), else 503 write_not_replicated.
  // Default 0: no WAIT. Absent in a Config built by hand: 0.
  redisWaitReplicas?: number;
  // REDIS_WAIT_TIMEOUT_MS: how long one WAIT may block, default 500; below REDIS_COMMAND_TIMEOUT_MS.
  redisWaitTimeoutMs?: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** The environment as validated: each variable converted, defaults applied, unset ones absent. */
interface Env {
  PORT: number;
  HOST: string;
  REDIS_URL?: string;
  REDIS_CLUSTER: boolean;
  REDIS_PREFIX: string;
  WX_APPID?: string;
  WX_APPSECRET?: string;
  WX_API_BASE: string;
  WX_TEMPLATE_ID: string;
  WX_PROMISE_TEMPLATE_ID: string;
  WX_MINIPROGRAM_STATE: Config['wx']['miniprogramState'];
  WX_TOKEN?: string;
  WX_AES_KEY?: string;
  ADMIN_TOKEN?: string;
  DEFAULT_TIMEZONE: string;
  SESSION_TTL_SECONDS: number;
  MISFIRE_GRACE_SECONDS: number;
  QUOTA_MODE: Config['quotaMode'];
  SEND_CONCURRENCY: number;
  LOG_LEVEL: Config['logLevel'];
  REDIS_COMMAND_TIMEOUT_MS: number;
  USER_DAILY_SEND_LIMIT: number;
  RETENTION_DAYS: number;
  DUE_SHARDS: number;
  CONSOLE_SESSION_TTL_SECONDS: number;
  TRUST_PROXY: boolean;
  REDIS_WAIT_REPLICAS: number;
  REDIS_WAIT_TIMEOUT_MS: number;
}

const optionalString = Joi.string().trim().empty('');

function oneOf<T extends string>(values: readonly T[]): Joi.StringSchema<T> {
  return Joi.string<T>()
    .trim()
    .empty('')
    .valid(...values);
}

const schema = typedObject<Env>({
  PORT: withDefault(Joi.number().integer().min(0).max(65535), 3000),
  HOST: withDefault(optionalString, '127.0.0.1'),
  // One node (redis://host:port/db) or a cluster's (redis://a:7000,b:7001,c:7002).
  REDIS_URL: optionalString.custom((value: string, helpers) => {
    try {
      parseRedisUrl(value);
      return value;
    } catch (err) {
      return helpers.message({ custom: `{{#label}} ${(err as Error).message}` });
    }
  }),
  REDIS_CLUSTER: withDefault(Joi.boolean().truthy('1').falsy('0').empty(''), false),
  REDIS_PREFIX: withDefault(optionalString.pattern(/^[A-Za-z0-9:_.-]+$/), 'tixing:'),
  WX_APPID: optionalString.pattern(/^wx[0-9a-f]{16}$/i, 'wx + 16 hex digits'),
  WX_APPSECRET: optionalString.min(16),
  WX_API_BASE: withDefault(optionalString.uri({ scheme: ['http', 'https'] }), 'https://api.weixin.qq.com'),
  WX_TEMPLATE_ID: withDefault(optionalString, '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w'),
  WX_PROMISE_TEMPLATE_ID: withDefault(
    optionalString.pattern(/^[A-Za-z0-9_-]{1,64}$/),
    DEFAULT_PROMISE_TEMPLATE_ID,
  ),
  WX_MINIPROGRAM_STATE: withDefault(oneOf(MINIPROGRAM_STATES), 'formal'),
  WX_TOKEN: optionalString.pattern(/^[A-Za-z0-9]{3,32}$/, '3 to 32 letters or digits'),
  WX_AES_KEY: optionalString.pattern(/^[A-Za-z0-9+/]{43}$/, '43 base64 characters'),
  ADMIN_TOKEN: optionalString.min(24),
  DEFAULT_TIMEZONE: withDefault(
    optionalString.custom((value: string) => {
      if (!isValidZone(value)) throw new Error('not an IANA time zone');
      return value;
    }),
    'Asia/Shanghai',
  ),
  SESSION_TTL_SECONDS: withDefault(Joi.number().integer().min(60), 604800),
  MISFIRE_GRACE_SECONDS: withDefault(Joi.number().integer().min(0), 600),
  QUOTA_MODE: withDefault(oneOf(QUOTA_MODES), 'enforce'),
  SEND_CONCURRENCY: withDefault(Joi.number().integer().min(1).max(1024), 32),
  LOG_LEVEL: withDefault(oneOf(LOG_LEVELS), 'info'),
  REDIS_COMMAND_TIMEOUT_MS: withDefault(Joi.number().integer().min(50).max(60000), 2000),
  USER_DAILY_SEND_LIMIT: withDefault(Joi.number().integer().min(1).max(100000), 50),
  RETENTION_DAYS: withDefault(Joi.number().integer().min(1).max(3650), 30),
  DUE_SHARDS: withDefault(Joi.number().integer().min(1).max(256), 16),
  CONSOLE_SESSION_TTL_SECONDS: withDefault(
    Joi.number()
      .integer()
      .min(60)
      .max(30 * 86_400),
    43200,
  ),
  TRUST_PROXY: withDefault(Joi.boolean().truthy('1').falsy('0', ''), false),
  REDIS_WAIT_REPLICAS: withDefault(Joi.number().integer().min(0).max(16), 0),
  REDIS_WAIT_TIMEOUT_MS: withDefault(Joi.number().integer().min(1).max(60000), 500),
})
  .and('WX_APPID', 'WX_APPSECRET')
  .unknown(true);

function isValidZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Validates every variable and throws one ConfigError listing all problems. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const { value, error } = schema.validate(env, { abortEarly: false, convert: true });
  if (error) {
    // Never echo the offending value: it may be a secret.
    throw new ConfigError(
      error.details.map((d) => `${d.path.join('.') || d.context?.label}: ${describe(d)}`),
    );
  }
  if (value.REDIS_CLUSTER && value.REDIS_URL) {
    try {
      parseRedisUrl(value.REDIS_URL, true);
    } catch (err) {
      throw new ConfigError([`REDIS_URL: ${(err as Error).message} (REDIS_CLUSTER=1)`]);
    }
  }
  // A WAIT longer than the command deadline would be cut by it: a slow replica would read as a
  // stalled Redis (and the connection stay blocked after the 503).
  if (value.REDIS_WAIT_REPLICAS > 0 && value.REDIS_WAIT_TIMEOUT_MS >= value.REDIS_COMMAND_TIMEOUT_MS) {
    throw new ConfigError([
      `REDIS_WAIT_TIMEOUT_MS: must be below REDIS_COMMAND_TIMEOUT_MS (${value.REDIS_COMMAND_TIMEOUT_MS})`,
    ]);
  }
  return {
    port: value.PORT,
    host: value.HOST,
    redisUrl: value.REDIS_URL,
    redisCluster: value.REDIS_CLUSTER,
    redisPrefix: value.REDIS_PREFIX,
    wx: {
      appId: value.WX_APPID,
      appSecret: value.WX_APPSECRET,
      apiBase: value.WX_API_BASE.replace(/\/+$/, ''),
      templateId: value.WX_TEMPLATE_ID,
      promiseTemplateId: value.WX_PROMISE_TEMPLATE_ID,
      miniprogramState: value.WX_MINIPROGRAM_STATE,
      token: value.WX_TOKEN,
      aesKey: value.WX_AES_KEY,
    },
    adminToken: value.ADMIN_TOKEN,
    defaultTimezone: value.DEFAULT_TIMEZONE,
    sessionTtlSeconds: value.SESSION_TTL_SECONDS,
    misfireGraceSeconds: value.MISFIRE_GRACE_SECONDS,
    quotaMode: value.QUOTA_MODE,
    sendConcurrency: value.SEND_CONCURRENCY,
    logLevel: value.LOG_LEVEL,
    redisCommandTimeoutMs: value.REDIS_COMMAND_TIMEOUT_MS,
    userDailySendLimit: value.USER_DAILY_SEND_LIMIT,
    retentionDays: value.RETENTION_DAYS,
    dueShards: value.DUE_SHARDS,
    consoleSessionTtlSeconds: value.CONSOLE_SESSION_TTL_SECONDS,
    trustProxy: value.TRUST_PROXY,
    redisWaitReplicas: value.REDIS_WAIT_REPLICAS,
    redisWaitTimeoutMs: value.REDIS_WAIT_TIMEOUT_MS,
  };
}

function describe(detail: Joi.ValidationErrorItem): string {
  switch (detail.type) {
    case 'object.and':
      return 'WX_APPID and WX_APPSECRET must be set together';
    case 'any.custom':
      return 'must be an IANA time zone such as Asia/Shanghai';
    case 'string.pattern.name':
      return `must be ${String(detail.context?.name)}`;
    default:
      // joi's own wording quotes the label, not the value.
      return detail.message.replace(/^"[^"]*" /, '');
  }
}
