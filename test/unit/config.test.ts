import { ConfigError, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  it('applies the documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      redisUrl: undefined,
      redisPrefix: 'tixing:',
      defaultTimezone: 'Asia/Shanghai',
      sessionTtlSeconds: 604800,
      misfireGraceSeconds: 600,
      quotaMode: 'enforce',
      sendConcurrency: 32,
      logLevel: 'info',
      redisCommandTimeoutMs: 2000,
      userDailySendLimit: 50,
      retentionDays: 30,
    });
    expect(config.wx).toMatchObject({
      appId: undefined,
      apiBase: 'https://api.weixin.qq.com',
      templateId: '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w',
      miniprogramState: 'formal',
    });
  });

  it('lists every bad value at once and never echoes a secret', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        REDIS_URL: 'http://nope',
        WX_APPID: 'wx0123456789abcdef',
        WX_MINIPROGRAM_STATE: 'beta',
        ADMIN_TOKEN: 'short-secret-value',
        DEFAULT_TIMEZONE: 'Mars/Olympus',
        QUOTA_MODE: 'sometimes',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of [
      'PORT',
      'REDIS_URL',
      'WX_APPSECRET',
      'WX_MINIPROGRAM_STATE',
      'ADMIN_TOKEN',
      'DEFAULT_TIMEZONE',
      'QUOTA_MODE',
    ]) {
      expect(problems).toContain(name);
    }
    expect(problems).not.toContain('short-secret-value');
  });

  it('accepts a full production configuration', () => {
    const config = loadConfig({
      PORT: '8080',
      REDIS_URL: 'redis://10.0.0.5:6379/2',
      WX_APPID: 'wx0123456789abcdef',
      WX_APPSECRET: '0123456789abcdef0123456789abcdef',
      WX_TOKEN: 'AAAAA',
      WX_AES_KEY: 'A'.repeat(43),
      ADMIN_TOKEN: 'x'.repeat(32),
      QUOTA_MODE: 'ignore',
    });
    expect(config.port).toBe(8080);
    expect(config.redisUrl).toBe('redis://10.0.0.5:6379/2');
    expect(config.wx.token).toBe('AAAAA');
    expect(config.quotaMode).toBe('ignore');
  });
});
