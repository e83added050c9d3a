import Joi from 'joi';

/** Typed configuration of SPEC §3, read once at start from the environment (and `.env`). */
export interface Config {
  port: number;
  host: string;
  redisUrl: string | undefined; // unset → embedded redis-server
  redisPrefix: string;
  wx: {
    appId: string | undefined; // unset → in-process sandbox
    appSecret: string | undefined;
    apiBase: string;
    templateId: string;
    miniprogramState: 'developer' | 'trial' | 'formal';
    token: string | undefined; // message-push token; unset → push endpoint answers 503
    aesKey: string | undefined;
  };
  adminToken: string | undefined;
  defaultTimezone: string;
  sessionTtlSeconds: number;
  misfireGraceSeconds: number;
  quotaMode: 'enforce' | 'ignore';
  sendConcurrency: number; // in-flight sends to WeChat per instance
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  redisCommandTimeoutMs: number; // a Redis command unanswered this long fails (request → 503), default 2000
  userDailySendLimit: number; // subscribe messages one user can receive per day, all features, default 50
  retentionDays: number; // finished/missed/cancelled records older than this are purged, default 30
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const optionalString = Joi.string().trim().empty('');

const schema = Joi.object({
  PORT: Joi.number().integer().min(0).max(65535).default(3000),
  HOST: optionalString.default('127.0.0.1'),
  REDIS_URL: optionalString.uri({ scheme: ['redis', 'rediss'] }),
  REDIS_PREFIX: optionalString.pattern(/^[A-Za-z0-9:_.-]+$/).default('tixing:'),
  WX_APPID: optionalString.pattern(/^wx[0-9a-f]{16}$/i, 'wx + 16 hex digits'),
  WX_APPSECRET: optionalString.min(16),
  WX_API_BASE: optionalString.uri({ scheme: ['http', 'https'] }).default('https://api.weixin.qq.com'),
  WX_TEMPLATE_ID: optionalString.default('_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w'),
  WX_MINIPROGRAM_STATE: optionalString.valid('developer', 'trial', 'formal').default('formal'),
  WX_TOKEN: optionalString.pattern(/^[A-Za-z0-9]{3,32}$/, '3 to 32 letters or digits'),
  WX_AES_KEY: optionalString.pattern(/^[A-Za-z0-9+/]{43}$/, '43 base64 characters'),
  ADMIN_TOKEN: optionalString.min(24),
  DEFAULT_TIMEZONE: optionalString
    .custom((value: string) => {
      if (!isValidZone(value)) throw new Error('not an IANA time zone');
      return value;
    })
    .default('Asia/Shanghai'),
  SESSION_TTL_SECONDS: Joi.number().integer().min(60).default(604800),
  MISFIRE_GRACE_SECONDS: Joi.number().integer().min(0).default(600),
  QUOTA_MODE: optionalString.valid('enforce', 'ignore').default('enforce'),
  SEND_CONCURRENCY: Joi.number().integer().min(1).max(1024).default(32),
  LOG_LEVEL: optionalString
    .valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent')
    .default('info'),
  REDIS_COMMAND_TIMEOUT_MS: Joi.number().integer().min(50).max(60000).default(2000),
  USER_DAILY_SEND_LIMIT: Joi.number().integer().min(1).max(100000).default(50),
  RETENTION_DAYS: Joi.number().integer().min(1).max(3650).default(30),
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
  const v = value as Record<string, unknown>;
  const str = (k: string) => v[k] as string | undefined;
  const num = (k: string) => v[k] as number;
  return {
    port: num('PORT'),
    host: str('HOST') as string,
    redisUrl: str('REDIS_URL'),
    redisPrefix: str('REDIS_PREFIX') as string,
    wx: {
      appId: str('WX_APPID'),
      appSecret: str('WX_APPSECRET'),
      apiBase: (str('WX_API_BASE') as string).replace(/\/+$/, ''),
      templateId: str('WX_TEMPLATE_ID') as string,
      miniprogramState: str('WX_MINIPROGRAM_STATE') as Config['wx']['miniprogramState'],
      token: str('WX_TOKEN'),
      aesKey: str('WX_AES_KEY'),
    },
    adminToken: str('ADMIN_TOKEN'),
    defaultTimezone: str('DEFAULT_TIMEZONE') as string,
    sessionTtlSeconds: num('SESSION_TTL_SECONDS'),
    misfireGraceSeconds: num('MISFIRE_GRACE_SECONDS'),
    quotaMode: str('QUOTA_MODE') as Config['quotaMode'],
    sendConcurrency: num('SEND_CONCURRENCY'),
    logLevel: str('LOG_LEVEL') as Config['logLevel'],
    redisCommandTimeoutMs: num('REDIS_COMMAND_TIMEOUT_MS'),
    userDailySendLimit: num('USER_DAILY_SEND_LIMIT'),
    retentionDays: num('RETENTION_DAYS'),
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
