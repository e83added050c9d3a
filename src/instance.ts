import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import path from 'node:path';
import type Koa from 'koa';
import type { Config } from './config';
import { createApp } from './http/app';
import type { AppState } from './http/context';
import { createAuth } from './http/middleware/auth';
import { adminRoutes } from './http/routes/admin';
import { healthRoutes } from './http/routes/health';
import { loginRoutes } from './http/routes/login';
import { promiseRoutes } from './http/routes/promises';
import { reminderRoutes } from './http/routes/reminders';
import { subscriptionRoutes } from './http/routes/subscriptions';
import { WX_MESSAGE_PATH, wxMessageRoutes } from './http/routes/wx-message';
import { projectRoot } from './infra/paths';
import type { Logger } from './logger';
import { Dispatcher } from './scheduler/dispatcher';
import { Scheduler } from './scheduler/scheduler';
import { HealthService } from './services/health-service';
import { LoginService } from './services/login-service';
import { PushService } from './services/push-service';
import { ReminderService } from './services/reminder-service';
import { SubscriptionService } from './services/subscription-service';
import { StatsService } from './services/stats-service';
import { Keys } from './store/keys';
import { PushStore } from './store/push-store';
import { QuotaStore } from './store/quota-store';
import type { Redis } from './store/redis';
import { ReminderStore } from './store/reminder-store';
import { SubscriptionReportStore } from './store/subscription-report-store';
import { MessageSender } from './wechat/message-sender';
import { loadTemplates, type TemplateCatalog } from './wechat/templates';
import { TokenManager } from './wechat/token-manager';
import { WeChatClient } from './wechat/wechat-client';
import packageJson from '../package.json';

const { version } = packageJson;

export interface InstanceDeps {
  config: Config;
  redis: Redis; // connected; owned by the caller, never closed here
  logger: Logger;
  now?: () => number; // the clock, injectable for tests
  templates?: TemplateCatalog; // default: config/templates.json
  tuning?: {
    horizonMs?: number; // timers held ahead, default 15 min
    sweepIntervalMs?: number; // default 2 s
    leaseMs?: number; // claim lease, default 30 s
    backoffBaseMs?: number; // first retry delay, default 500 ms
    pauseMs?: number; // 45009 pause, default 10 min
    drainTimeoutMs?: number; // graceful stop waits this long for sends, default 10 s
    wxTimeoutMs?: number; // per-request timeout of WeChat API calls, default 5 s
  };
}

/**
 * The composition root: wires one tixing instance (HTTP app, services, scheduler, WeChat) from
 * its dependencies. Several instances may share one Redis, in one process (tests) or many.
 */
export class Instance {
  readonly id: string;
  readonly app: Koa<AppState>;
  readonly keys: Keys;
  readonly wechat: WeChatClient;
  readonly tokens: TokenManager;
  readonly store: ReminderStore;
  readonly quota: QuotaStore;
  readonly logins: LoginService;
  readonly reminders: ReminderService;
  readonly subscriptions: SubscriptionService;
  readonly push: PushService;
  readonly dispatcher: Dispatcher;
  readonly scheduler: Scheduler;
  private server: Server | undefined;

  constructor(private readonly deps: InstanceDeps) {
    const { config, redis, logger, tuning = {} } = deps;
    const now = deps.now ?? Date.now;
    this.id = `${process.pid}-${randomBytes(3).toString('hex')}`;
    const log = logger.child({ instance: this.id });
    this.keys = new Keys(config.redisPrefix);
    if (!config.wx.appId || !config.wx.appSecret) throw new Error('WX_APPID and WX_APPSECRET are required');
    const catalog = deps.templates ?? loadTemplates(path.join(projectRoot(), 'config', 'templates.json'));

    this.wechat = new WeChatClient({
      apiBase: config.wx.apiBase,
      appId: config.wx.appId,
      appSecret: config.wx.appSecret,
      maxSockets: config.sendConcurrency * 2,
      timeoutMs: tuning.wxTimeoutMs,
    });
    this.tokens = new TokenManager({
      redis,
      keys: this.keys,
      fetchToken: (force) => this.wechat.stableToken(force),
      logger: log,
      now,
    });
    this.store = new ReminderStore(redis, this.keys);
    this.quota = new QuotaStore(redis, this.keys);
    const sender = new MessageSender({
      client: this.wechat,
      tokens: this.tokens,
      quota: this.quota,
      catalog,
      redis,
      keys: this.keys,
      logger: log,
      miniprogramState: config.wx.miniprogramState,
      quotaMode: config.quotaMode,
      backoffBaseMs: tuning.backoffBaseMs,
      pauseMs: tuning.pauseMs,
      now,
    });
    this.dispatcher = new Dispatcher({
      store: this.store,
      sender,
      logger: log,
      instanceId: this.id,
      concurrency: config.sendConcurrency,
      graceMs: config.misfireGraceSeconds * 1000,
      leaseMs: tuning.leaseMs,
      now,
    });
    this.scheduler = new Scheduler({
      redis,
      keys: this.keys,
      store: this.store,
      instanceId: this.id,
      onFire: this.dispatcher.fire,
      logger: log,
      now,
      horizonMs: tuning.horizonMs,
      sweepIntervalMs: tuning.sweepIntervalMs,
    });

    this.logins = new LoginService({
      redis,
      keys: this.keys,
      wechat: this.wechat,
      sessionTtlSeconds: config.sessionTtlSeconds,
      now,
    });
    this.reminders = new ReminderService({
      store: this.store,
      schedule: this.scheduler,
      catalog,
      defaultTimezone: config.defaultTimezone,
      defaultTemplateId: config.wx.templateId,
      now,
    });
    const health = new HealthService({
      redis,
      version,
      instanceId: this.id,
      scheduler: this.scheduler,
      now,
      startedAt: now(),
    });
    this.subscriptions = new SubscriptionService({
      quota: this.quota,
      reports: new SubscriptionReportStore(redis, this.keys),
      pushConfigured: Boolean(config.wx.token),
      now,
    });
    this.push = new PushService({
      token: config.wx.token,
      aesKey: config.wx.aesKey,
      appId: config.wx.appId,
      store: new PushStore(redis, this.keys),
      logger: log,
      now,
    });
    const auth = createAuth({ sessions: this.logins, adminToken: config.adminToken });
    this.app = createApp({
      logger: log,
      rawBodyPaths: [WX_MESSAGE_PATH],
      routers: [
        loginRoutes({ logins: this.logins }),
        healthRoutes({ health }),
        reminderRoutes({ reminders: this.reminders, auth }),
        adminRoutes({ stats: new StatsService({ redis, keys: this.keys, now }), auth }),
        promiseRoutes({ reminders: this.reminders, auth }),
        subscriptionRoutes({ subscriptions: this.subscriptions, auth }),
        wxMessageRoutes({ push: this.push }),
      ],
    });
  }

  /** Starts the scheduler (loads the due slice, subscribes to changes). */
  async start(): Promise<void> {
    await this.scheduler.start();
  }

  /** Starts listening; resolves the bound address. */
  async listen(port: number, host: string): Promise<{ port: number; url: string }> {
    const server = this.app.listen(port, host);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    const address = server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    return { port: bound, url: `http://${host}:${bound}` };
  }

  /**
   * Graceful stop: no new requests, no new claims, in-flight sends finish (bounded wait), then the
   * scheduler lets go of its timers and its subscription. Unfinished claims expire with their lease.
   */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server
      ? new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        })
      : Promise.resolve();
    await this.scheduler.stop();
    await this.dispatcher.drain(this.deps.tuning?.drainTimeoutMs ?? 10_000);
    await closed;
  }
}
