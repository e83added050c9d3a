import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import path from 'node:path';
import type Koa from 'koa';
import type { Config } from './config';
import { NotificationOccurrences } from './delivery/kinds/notification';
import { ReminderOccurrences } from './delivery/kinds/reminder';
import { DeliveryPipeline, type PipelineOptions } from './delivery/pipeline';
import { createApp } from './http/app';
import type { AppState } from './http/context';
import { createAuth } from './http/middleware/auth';
import { createHttpServer, type HttpTimeouts } from './http/server';
import { adminRoutes } from './http/routes/admin';
import { healthRoutes } from './http/routes/health';
import { metricsRoutes } from './http/routes/metrics';
import { loginRoutes } from './http/routes/login';
import { promiseRoutes } from './http/routes/promises';
import { reminderRoutes } from './http/routes/reminders';
import { subscriptionRoutes } from './http/routes/subscriptions';
import { WX_MESSAGE_PATH, wxMessageRoutes } from './http/routes/wx-message';
import { projectRoot } from './infra/paths';
import type { Logger } from './logger';
import { Metrics, type MetricsOptions } from './metrics/metrics';
import { Retention, type RetentionOptions } from './scheduler/retention';
import { Scheduler, requestReload, type SchedulerOptions } from './scheduler/scheduler';
import { HealthService, PROBE_TIMEOUT_MS } from './services/health-service';
import { LoginService } from './services/login-service';
import { NotificationService } from './services/notification-service';
import { PushService } from './services/push-service';
import { ReminderService } from './services/reminder-service';
import { SubscriptionService } from './services/subscription-service';
import { StatsService } from './services/stats-service';
import { Keys } from './store/keys';
import { NotificationStore } from './store/notification-store';
import { PushStore } from './store/push-store';
import { QuotaStore } from './store/quota-store';
import type { Redis } from './store/redis';
import { RedisProbe } from './store/redis-probe';
import { ReminderStore } from './store/reminder-store';
import { SendLimiter } from './store/send-limiter';
import { SendPauseStore } from './store/send-pause-store';
import { SessionStore } from './store/session-store';
import { StatsStore } from './store/stats-store';
import { SubscriptionReportStore } from './store/subscription-report-store';
import { TokenStore } from './store/token-store';
import { MessageSender, type MessageSenderOptions } from './wechat/message-sender';
import { loadTemplates, type TemplateCatalog } from './wechat/templates';
import { TokenManager } from './wechat/token-manager';
import { WeChatClient, type WeChatClientOptions } from './wechat/wechat-client';
import packageJson from '../package.json';

const { version } = packageJson;

/** How long a graceful stop waits for in-flight sends and requests, ms (`tuning.drainTimeoutMs`). */
export const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Timings that tests, drills and benchmarks shorten. Each is an option of the class that uses it,
 * whose option type documents its unit and default; renamed ones say whose they are.
 */
export type InstanceTuning = Pick<SchedulerOptions, 'horizonMs' | 'sweepIntervalMs' | 'retentionIntervalMs'> &
  Pick<PipelineOptions, 'leaseMs'> &
  Pick<MessageSenderOptions, 'backoffBaseMs' | 'pauseMs'> &
  Pick<MetricsOptions, 'processMetrics'> & {
    retentionBatch?: RetentionOptions['batchSize'];
    wxTimeoutMs?: WeChatClientOptions['timeoutMs'];
    drainTimeoutMs?: number; // default DRAIN_TIMEOUT_MS
    http?: HttpTimeouts; // header, request and keep-alive timeouts of the HTTP server (src/http/server.ts)
  };

export interface InstanceDeps {
  config: Config;
  redis: Redis; // connected; owned by the caller, never closed here
  logger: Logger;
  now?: () => number; // the clock, injectable for tests
  templates?: TemplateCatalog; // default: config/templates.json
  tuning?: InstanceTuning;
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
  readonly notifications: NotificationService;
  readonly dispatcher: DeliveryPipeline;
  readonly scheduler: Scheduler;
  readonly metrics: Metrics;
  private server: Server | undefined;

  constructor(private readonly deps: InstanceDeps) {
    const { config, redis, logger, tuning = {} } = deps;
    const now = deps.now ?? Date.now;
    this.id = `${process.pid}-${randomBytes(3).toString('hex')}`;
    const log = logger.child({ instance: this.id });
    this.keys = new Keys(config.redisPrefix);
    if (!config.wx.appId || !config.wx.appSecret) throw new Error('WX_APPID and WX_APPSECRET are required');
    const catalog = deps.templates ?? loadTemplates(path.join(projectRoot(), 'config', 'templates.json'));
    this.metrics = new Metrics({
      jobsHeld: () => this.scheduler.size,
      sendsInFlight: () => this.dispatcher.pending,
      processMetrics: tuning.processMetrics,
    });
    this.metrics.watchRedis(redis);

    this.wechat = new WeChatClient({
      apiBase: config.wx.apiBase,
      appId: config.wx.appId,
      appSecret: config.wx.appSecret,
      maxSockets: config.sendConcurrency * 2,
      timeoutMs: tuning.wxTimeoutMs,
    });
    this.tokens = new TokenManager({
      store: new TokenStore(redis, this.keys),
      fetchToken: (force) => this.wechat.stableToken(force),
      logger: log,
      now,
      onFetch: (force) => this.metrics.countTokenFetch(force),
    });
    this.store = new ReminderStore(redis, this.keys);
    this.quota = new QuotaStore(redis, this.keys);
    const sender = new MessageSender({
      client: this.wechat,
      tokens: this.tokens,
      quota: this.quota,
      limiter: new SendLimiter(redis, this.keys, {
        limit: config.userDailySendLimit,
        timezone: config.defaultTimezone,
        now,
      }),
      pauses: new SendPauseStore(redis, this.keys),
      logger: log,
      miniprogramState: config.wx.miniprogramState,
      quotaMode: config.quotaMode,
      backoffBaseMs: tuning.backoffBaseMs,
      pauseMs: tuning.pauseMs,
      graceMs: config.misfireGraceSeconds * 1000,
      now,
    });
    const notificationStore = new NotificationStore(redis, this.keys, config.retentionDays * 86_400_000);
    this.dispatcher = new DeliveryPipeline({
      kinds: [
        new ReminderOccurrences(this.store, catalog),
        new NotificationOccurrences(notificationStore, catalog),
      ],
      sender,
      logger: log,
      instanceId: this.id,
      concurrency: config.sendConcurrency,
      graceMs: config.misfireGraceSeconds * 1000,
      leaseMs: tuning.leaseMs,
      now,
      onOutcome: (event) => this.metrics.observeOutcome(event),
      onRedisError: () => this.metrics.countRedisError('dispatch'),
    });
    this.notifications = new NotificationService({
      store: notificationStore,
      pipeline: this.dispatcher,
      catalog,
      logger: log,
      now,
      sweepIntervalMs: tuning.sweepIntervalMs,
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
      onSweep: (event) => this.metrics.observeSweep(event),
      retention: new Retention({
        store: this.store,
        retentionMs: config.retentionDays * 86_400_000,
        batchSize: tuning.retentionBatch,
        now,
      }),
      retentionIntervalMs: tuning.retentionIntervalMs,
    });

    this.logins = new LoginService({
      sessions: new SessionStore(redis, this.keys),
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
      probe: new RedisProbe(redis),
      version,
      instanceId: this.id,
      scheduler: this.scheduler,
      now,
      startedAt: now(),
      timeoutMs: Math.min(PROBE_TIMEOUT_MS, config.redisCommandTimeoutMs),
    });
    this.subscriptions = new SubscriptionService({
      quota: this.quota,
      reports: new SubscriptionReportStore(redis, this.keys),
      templateIds: new Set(catalog.keys()),
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
      onDeliveryReport: (report) => this.metrics.observeDeliveryReport(report),
      notifications: notificationStore,
    });
    const auth = createAuth({ sessions: this.logins, adminToken: config.adminToken });
    this.app = createApp({
      logger: log,
      rawBodyPaths: [WX_MESSAGE_PATH],
      metrics: this.metrics,
      routers: [
        loginRoutes({ logins: this.logins }),
        healthRoutes({ health }),
        metricsRoutes({ metrics: this.metrics }),
        reminderRoutes({ reminders: this.reminders, auth }),
        adminRoutes({
          stats: new StatsService({ store: new StatsStore(redis, this.keys), now }),
          reload: () => requestReload(redis, this.keys),
          auth,
        }),
        promiseRoutes({ reminders: this.reminders, auth }),
        subscriptionRoutes({ subscriptions: this.subscriptions, auth }),
        wxMessageRoutes({ push: this.push }),
      ],
    });
  }

  /** Starts the scheduler (loads the due slice, subscribes to changes). */
  async start(): Promise<void> {
    await this.scheduler.start();
    this.notifications.start();
  }

  /** Starts listening; resolves the bound address. */
  async listen(port: number, host: string): Promise<{ port: number; url: string }> {
    const server = createHttpServer(this.app, this.deps.tuning?.http);
    server.listen(port, host);
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
   * Graceful stop, bounded by `drainTimeoutMs`: no new connections, no new claims, the scheduler
   * lets go of its timers and its subscription, in-flight sends and requests finish; claims still
   * unfinished when the wait runs out are given back so another instance sends them at once.
   * Calling it again returns the same stop. The Redis client is the caller's to close.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private stopping: Promise<void> | undefined;

  private async shutdown(): Promise<void> {
    const started = Date.now();
    const boundMs = this.deps.tuning?.drainTimeoutMs ?? DRAIN_TIMEOUT_MS;
    const server = this.server;
    this.server = undefined;
    const closed = server
      ? new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        })
      : Promise.resolve();
    this.notifications.stop();
    const drained = this.dispatcher.drain(boundMs); // stops claiming at once
    await this.scheduler.stop();
    const { finished, released } = await drained;
    // Requests still running get the rest of the bound; then their connections are cut.
    const rest = Math.max(0, boundMs - (Date.now() - started));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, rest)))]);
    clearTimeout(timer);
    server?.closeAllConnections();
    await closed;
    this.metrics.close();
    this.deps.logger.info(
      { instance: this.id, ms: Date.now() - started, sendsFinished: finished, claimsReleased: released },
      'instance stopped',
    );
  }
}
