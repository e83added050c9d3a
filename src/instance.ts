import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import path from 'node:path';
import type Koa from 'koa';
import { DEFAULT_PROMISE_TEMPLATE_ID, type Config } from './config';
import { Admission } from './delivery/admission';
import { NotificationOccurrences } from './delivery/kinds/notification';
import { ReminderOccurrences } from './delivery/kinds/reminder';
import { DeliveryPipeline, type PipelineOptions } from './delivery/pipeline';
import { createApp } from './http/app';
import type { AppState } from './http/context';
import { createAuth } from './http/middleware/auth';
import { createHttpServer, type HttpTimeouts } from './http/server';
import { adminRoutes } from './http/routes/admin';
import { botAdminRoutes, botRuleTable } from './http/routes/bot-admin';
import { conversationRoutes } from './http/routes/conversations';
import { consoleRoutes } from './http/routes/console';
import { consoleOpsRoutes } from './http/routes/console-ops';
import { consolePublisherRoutes } from './http/routes/console-publisher';
import { consoleStaticRoutes } from './http/static';
import { ConsoleAuth, DEFAULT_CONSOLE_SESSION_TTL_SECONDS } from './services/console-auth';
import { InstanceBeats } from './services/console-instances';
import { ConsoleOps } from './services/console-ops';
import { ConsolePersonalData } from './services/console-personal-data';
import { ConsolePublisher } from './services/console-publisher';
import { ConsoleQrCodes } from './services/console-qrcode';
import { ConsoleInstanceStore } from './store/console-instance-store';
import { ConsoleSessionStore } from './store/console-session-store';
import { checkinRoutes } from './http/routes/checkins';
import { commentRoutes } from './http/routes/comments';
import { groupRoutes } from './http/routes/groups';
import { healthRoutes } from './http/routes/health';
import { inboxRoutes } from './http/routes/inbox';
import { metricsRoutes } from './http/routes/metrics';
import { loginRoutes } from './http/routes/login';
import { meRoutes } from './http/routes/me';
import { noticeRoutes } from './http/routes/notices';
import { searchRoutes } from './http/routes/search';
import { noticeProgressRoutes } from './http/routes/notice-progress';
import { NoticeProgress } from './services/notice-progress';
import { NoticeProgressStore } from './store/notice-progress-store';
import { preferenceRoutes } from './http/routes/preferences';
import { promiseRoutes } from './http/routes/promises';
import { reminderRoutes } from './http/routes/reminders';
import { subscriptionRoutes } from './http/routes/subscriptions';
import { WX_MESSAGE_PATH, wxMessageRoutes } from './http/routes/wx-message';
import { projectRoot } from './infra/paths';
import type { Logger } from './logger';
import { Metrics, type MetricsOptions } from './metrics/metrics';
import { Retention, type RetentionOptions } from './scheduler/retention';
import { Scheduler, requestReload, type SchedulerOptions } from './scheduler/scheduler';
import {
  AccountPersonalData,
  DailySendsPersonalData,
  SubscriptionPersonalData,
} from './services/account-personal-data';
import { CheckinAttendance } from './services/checkin-attendance';
import { CheckinPersonalData } from './services/checkin-personal-data';
import { CommentNotifier } from './services/comment-notifier';
import { CommentPersonalData } from './services/comment-personal-data';
import { CommentReader } from './services/comment-reader';
import { CommentService } from './services/comment-service';
import { CheckinQrCodes } from './services/checkin-qrcode';
import { CheckinService } from './services/checkin-service';
import { ContentCheckService } from './services/content-check';
import { GroupPersonalData } from './services/group-personal-data';
import { GroupQrCodes } from './services/group-qrcode';
import { GroupRoster } from './services/group-roster';
import { GroupService } from './services/group-service';
import { HealthService, PROBE_TIMEOUT_MS } from './services/health-service';
import { BotAnswers } from './services/bot-answers';
import { loadBotConfig } from './services/bot-rules';
import { BotService } from './services/bot-service';
import { CustomerService } from './services/customer-service';
import { MediaCache } from './services/customer-service-media';
import { ConversationPersonalData } from './services/customer-service-personal-data';
import { CustomerServiceSender } from './services/customer-service-sender';
import { LoginService } from './services/login-service';
import { MeService } from './services/me-service';
import { loadCategories, type CategoryCatalog } from './services/notice-categories';
import { NoticeInbox } from './services/notice-inbox';
import { NoticeActivity } from './services/notice-activity';
import { NoticeSearch } from './services/notice-search';
import { NoticePersonalData } from './services/notice-personal-data';
import { NoticePublisher } from './services/notice-publisher';
import { NoticeRetention } from './services/notice-retention';
import { NoticeService } from './services/notice-service';
import { NoticeStatsService } from './services/notice-stats';
import { NotificationPersonalData } from './services/notification-personal-data';
import { NotificationService } from './services/notification-service';
import { PromiseEvaluation, type PromiseEvaluationOptions } from './services/promise-evaluation';
import { PromiseKeeping } from './services/promise-keeping';
import { PromisePersonalData } from './services/promise-personal-data';
import { PromiseService } from './services/promise-service';
import { PersonalDataRegistry } from './services/personal-data';
import { PushService } from './services/push-service';
import { QuotaHints } from './services/quota-hint';
import { ReminderLifecycle } from './services/reminder-lifecycle';
import { ReminderPersonalData } from './services/reminder-personal-data';
import { ReminderService } from './services/reminder-service';
import { SubscriptionService } from './services/subscription-service';
import { StatsService } from './services/stats-service';
import { AccountDataStore } from './store/account-data-store';
import { CheckinStore } from './store/checkin-store';
import { CommentStore } from './store/comment-store';
import { GroupStore } from './store/group-store';
import { InboxStore } from './store/inbox-store';
import { Keys } from './store/keys';
import { NoticeActivityStore } from './store/notice-activity-store';
import { SearchIndexStore } from './store/search-index-store';
import { BotMediaStore, BotRulesStore } from './store/bot-rules-store';
import { ConversationStore } from './store/conversation-store';
import { NoticeRecipientStore } from './store/notice-recipient-store';
import { NoticeStore } from './store/notice-store';
import { NotificationStore } from './store/notification-store';
import { PromiseStore } from './store/promise-store';
import { PushStore } from './store/push-store';
import { QuotaStore } from './store/quota-store';
import type { Redis } from './store/redis';
import { RedisProbe } from './store/redis-probe';
import { ReminderDataStore } from './store/reminder-data-store';
import { ReminderStore } from './store/reminder-store';
import { Replication } from './store/replication';
import { SendLimiter } from './store/send-limiter';
import { SendPauseStore } from './store/send-pause-store';
import { SessionStore } from './store/session-store';
import { SessionCache } from './store/session-cache';
import { StatsStore } from './store/stats-store';
import { SubscriptionReportStore } from './store/subscription-report-store';
import { TokenStore } from './store/token-store';
import { MessageSender, type MessageSenderOptions } from './wechat/message-sender';
import { loadTemplates, type TemplateCatalog } from './wechat/templates';
import { TokenManager } from './wechat/token-manager';
import { CustomMessageClient } from './wechat/custom-message-client';
import { WeChatClient, type WeChatClientOptions } from './wechat/wechat-client';
import packageJson from '../package.json';

const { version } = packageJson;

/** How long a graceful stop waits for in-flight sends and requests, ms (`tuning.drainTimeoutMs`). */
export const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Timings that tests, drills and benchmarks shorten. Each is an option of the class that uses it,
 * whose option type documents its unit and default; renamed ones say whose they are.
 */
export type InstanceTuning = Pick<
  SchedulerOptions,
  'horizonMs' | 'sweepIntervalMs' | 'retentionIntervalMs' | 'fullSweepEvery'
> &
  Pick<PipelineOptions, 'leaseMs'> &
  Pick<MessageSenderOptions, 'backoffBaseMs' | 'pauseMs'> &
  Pick<MetricsOptions, 'processMetrics'> & {
    retentionBatch?: RetentionOptions['batchSize'];
    wxTimeoutMs?: WeChatClientOptions['timeoutMs'];
    drainTimeoutMs?: number; // default DRAIN_TIMEOUT_MS
    promiseEvaluationIntervalMs?: PromiseEvaluationOptions['intervalMs'];
    http?: HttpTimeouts; // header, request and keep-alive timeouts of the HTTP server (src/http/server.ts)
  };

export interface InstanceDeps {
  config: Config;
  redis: Redis; // connected; owned by the caller, never closed here
  logger: Logger;
  now?: () => number; // the clock, injectable for tests
  templates?: TemplateCatalog; // default: config/templates.json
  categories?: CategoryCatalog; // default: config/categories.json (checked against the templates)
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
  readonly personalData: PersonalDataRegistry; // what each feature stores about a user (GET/DELETE /api/me)
  readonly notifications: NotificationService;
  readonly promises: PromiseService;
  readonly promiseEvaluation: PromiseEvaluation;
  readonly groups: GroupService; // groups and memberships (README.md#http-api), what notices address
  readonly notices: NoticeService; // notices to groups
  readonly noticeActivity: NoticeActivity; // reads, confirms and comments per day, for sort=hot
  readonly noticeSearch: NoticeSearch; // the search index and GET /api/notices
  readonly noticePublisher: NoticePublisher; // their fan-out and retraction, on whichever instance claims it
  readonly noticeRetention: NoticeRetention; // RETENTION_DAYS for notices, run by every instance
  readonly noticeProgress: NoticeProgress; // a notice's per-minute series (the console's chart)
  readonly contentCheck: ContentCheckService; // WeChat's msg_sec_check, for every text a user writes
  readonly checkins: CheckinService; // meeting check-ins in groups
  readonly comments: CommentService; // comments, questions and replies on notices
  readonly bot: BotService; // the bot's rule table (docs/architecture.md#customer-service)
  readonly customerService: CustomerService; // customer-service messages, the bot's answers, agents' replies
  readonly dispatcher: DeliveryPipeline;
  readonly scheduler: Scheduler;
  readonly sessionCache: SessionCache; // sessions from memory, invalidated by Redis (started with the instance)
  readonly metrics: Metrics;
  readonly console: ConsoleAuth; // web console sign-in and sessions
  private readonly beats: InstanceBeats; // this instance in the console's instance list
  private server: Server | undefined;
  private readonly customClient: CustomMessageClient;

  constructor(private readonly deps: InstanceDeps) {
    const { config, redis, logger, tuning = {} } = deps;
    const now = deps.now ?? Date.now;
    this.id = `${process.pid}-${randomBytes(3).toString('hex')}`;
    const log = logger.child({ instance: this.id });
    this.keys = new Keys(config.redisPrefix, config.dueShards);
    if (!config.wx.appId || !config.wx.appSecret) throw new Error('WX_APPID and WX_APPSECRET are required');
    const catalog = deps.templates ?? loadTemplates(path.join(projectRoot(), 'config', 'templates.json'));
    this.metrics = new Metrics({
      jobsHeld: () => this.scheduler.size,
      sendsInFlight: () => this.dispatcher.pending,
      kinds: () => this.dispatcher.kindNames,
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
    this.contentCheck = new ContentCheckService({
      wechat: this.wechat,
      tokens: this.tokens,
      logger: log,
      now,
    });
    this.store = new ReminderStore(redis, this.keys);
    this.quota = new QuotaStore(redis, this.keys);
    const sender = new MessageSender({
      client: this.wechat,
      tokens: this.tokens,
      pauses: new SendPauseStore(redis, this.keys),
      logger: log,
      miniprogramState: config.wx.miniprogramState,
      backoffBaseMs: tuning.backoffBaseMs,
      pauseMs: tuning.pauseMs,
      graceMs: config.misfireGraceSeconds * 1000,
      now,
    });
    // REDIS_WAIT_REPLICAS: a 2xx to a write, and a delivery outcome, wait for the replicas' copy.
    const replication = new Replication({
      replicas: config.redisWaitReplicas ?? 0,
      timeoutMs: config.redisWaitTimeoutMs ?? 500,
      logger: log,
    });
    const notificationStore = new NotificationStore(redis, this.keys, config.retentionDays * 86_400_000);
    // A notice's progress over time, written by the pipeline, delivery reports and receipts.
    const noticeProgress = (this.noticeProgress = new NoticeProgress({
      store: new NoticeProgressStore(redis, this.keys),
      notices: { managed: (openid, id) => this.notices.managed(openid, id) }, // made further down
      notifications: notificationStore,
      retentionMs: config.retentionDays * 86_400_000,
      logger: log,
      now,
    }));
    this.dispatcher = new DeliveryPipeline({
      kinds: [
        new ReminderOccurrences(this.store, catalog, replication),
        new NotificationOccurrences(
          notificationStore,
          catalog,
          (n, outcome, at) => noticeProgress.pushed(n, outcome, at),
          replication,
        ),
      ],
      sender,
      admission: new Admission({
        limiter: new SendLimiter(redis, this.keys, {
          limit: config.userDailySendLimit,
          timezone: config.defaultTimezone,
          now,
        }),
        quotaMode: config.quotaMode,
      }),
      logger: log,
      instanceId: this.id,
      concurrency: config.sendConcurrency,
      graceMs: config.misfireGraceSeconds * 1000,
      leaseMs: tuning.leaseMs,
      now,
      onOutcome: (event) => this.metrics.observeOutcome(event),
      onRedisError: () => this.metrics.countRedisError('dispatch'),
      onNextSlot: (id, slot) => this.scheduler.hold(id, slot),
      onLetGo: () => this.scheduler.letGo(),
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
      handedOver: this.dispatcher.holds, // a sweep does not fire again what is still in flight
      logger: log,
      now,
      horizonMs: tuning.horizonMs,
      sweepIntervalMs: tuning.sweepIntervalMs,
      fullSweepEvery: tuning.fullSweepEvery,
      onSweep: (event) => this.metrics.observeSweep(event),
      retention: new Retention({
        store: this.store,
        retentionMs: config.retentionDays * 86_400_000,
        batchSize: tuning.retentionBatch,
        now,
      }),
      retentionIntervalMs: tuning.retentionIntervalMs,
    });

    this.sessionCache = new SessionCache({ redis, logger: log, now, name: `tixing:sessions:${this.id}` });
    const sessions = new SessionStore(redis, this.keys, this.sessionCache);
    this.logins = new LoginService({
      sessions,
      wechat: this.wechat,
      sessionTtlSeconds: config.sessionTtlSeconds,
      now,
    });
    this.reminders = new ReminderService({
      store: this.store,
      schedule: this.scheduler,
      catalog,
      quotaHints: new QuotaHints({ quota: this.quota, mode: config.quotaMode }),
      defaultTimezone: config.defaultTimezone,
      defaultTemplateId: config.wx.templateId,
      now,
    });
    const promiseTemplateId = config.wx.promiseTemplateId ?? DEFAULT_PROMISE_TEMPLATE_ID;
    // The deployed catalogue must have the promise template; a test's own catalogue may leave it out.
    if (!deps.templates && !catalog.has(promiseTemplateId)) {
      throw new Error(
        `WX_PROMISE_TEMPLATE_ID ${promiseTemplateId} is not a template of config/templates.json`,
      );
    }
    const promiseStore = new PromiseStore(redis, this.keys);
    this.promises = new PromiseService({
      store: promiseStore,
      reminders: this.reminders,
      notifications: this.notifications,
      quotaHints: new QuotaHints({ quota: this.quota, mode: config.quotaMode }),
      catalog,
      reminderTemplateId: config.wx.templateId,
      promiseTemplateId,
      defaultTimezone: config.defaultTimezone,
      logger: log,
      now,
    });
    const keeping = new PromiseKeeping({ store: promiseStore, promises: this.promises, now });
    this.promiseEvaluation = new PromiseEvaluation({
      store: promiseStore,
      promises: this.promises,
      logger: log,
      now,
      intervalMs: tuning.promiseEvaluationIntervalMs,
    });
    const groupStore = new GroupStore(redis, this.keys);
    this.groups = new GroupService({
      store: groupStore,
      now,
      onRotated: (oldCode) => groupQrCodes.forget(oldCode),
      onDeleted: async (group) => {
        await groupQrCodes.forget(group.inviteCode);
        await this.noticeSearch.forgetGroup(group.id); // made further down
      },
    });
    const groupRoster = new GroupRoster({ groups: this.groups, store: groupStore, now });
    const groupQrCodes = new GroupQrCodes({
      groups: this.groups,
      store: groupStore,
      wechat: this.wechat,
      tokens: this.tokens,
      miniprogramState: config.wx.miniprogramState,
      logger: log,
    });
    // A test's own template catalogue keeps the categories whose template it has.
    const categories =
      deps.categories ??
      loadCategories(path.join(projectRoot(), 'config', 'categories.json'), catalog, {
        skipMissingTemplates: Boolean(deps.templates),
      });
    const noticeStore = new NoticeStore(redis, this.keys);
    const noticeRecipients = new NoticeRecipientStore(redis, this.keys);
    const inboxStore = new InboxStore(redis, this.keys);
    this.noticePublisher = new NoticePublisher({
      store: noticeStore,
      recipients: noticeRecipients,
      inbox: inboxStore,
      groups: this.groups,
      notifications: this.notifications,
      categories,
      instanceId: this.id,
      timezone: config.defaultTimezone,
      logger: log,
      now,
      leaseMs: tuning.leaseMs,
      sweepIntervalMs: tuning.sweepIntervalMs,
      backlog: () => this.dispatcher.pending,
    });
    this.noticeRetention = new NoticeRetention({
      store: noticeStore,
      recipients: noticeRecipients,
      inbox: inboxStore,
      groups: this.groups,
      retentionMs: config.retentionDays * 86_400_000,
      logger: log,
      now,
      intervalMs: tuning.retentionIntervalMs,
      // Made further down; called only when a notice goes.
      companions: [(n) => this.comments.purgeNotice(n.id), (n) => this.noticeSearch.unindex(n)],
    });
    const commentStore = new CommentStore(redis, this.keys);
    this.noticeActivity = new NoticeActivity({ store: new NoticeActivityStore(redis, this.keys), now });
    this.noticeSearch = new NoticeSearch({
      index: new SearchIndexStore(redis, this.keys),
      store: noticeStore,
      recipients: noticeRecipients,
      groups: groupStore,
      activity: this.noticeActivity,
      categories,
    });
    this.notices = new NoticeService({
      search: this.noticeSearch,
      store: noticeStore,
      comments: commentStore,
      recipients: noticeRecipients,
      groups: this.groups,
      publisher: this.noticePublisher,
      notifications: this.notifications,
      categories,
      catalog,
      timezone: config.defaultTimezone,
      now,
    });
    const noticeInbox = new NoticeInbox({
      activity: this.noticeActivity,
      progress: noticeProgress,
      notices: this.notices,
      store: noticeStore,
      recipients: noticeRecipients,
      inbox: inboxStore,
      categories,
      now,
    });
    const noticeStats = new NoticeStatsService({
      notices: this.notices,
      store: noticeStore,
      recipients: noticeRecipients,
      notifications: this.notifications,
      quota: this.quota,
      quotaMode: config.quotaMode,
      categories,
      timezone: config.defaultTimezone,
      now,
    });
    const checkinStore = new CheckinStore(redis, this.keys);
    this.checkins = new CheckinService({
      store: checkinStore,
      groups: this.groups,
      contentCheck: this.contentCheck,
      qrcodes: new CheckinQrCodes({
        store: checkinStore,
        wechat: this.wechat,
        tokens: this.tokens,
        miniprogramState: config.wx.miniprogramState,
        logger: log,
      }),
      retentionMs: config.retentionDays * 86_400_000,
      now,
    });
    // Comments on notices (README.md#comments-and-questions); each visible one counts for sort=hot.
    const comments = (this.comments = new CommentService({
      notices: this.notices,
      groups: this.groups,
      store: commentStore,
      contentCheck: this.contentCheck,
      notifier: new CommentNotifier({
        notifications: this.notifications,
        catalog,
        timezone: config.defaultTimezone,
        logger: log,
      }),
      activity: this.noticeActivity,
      logger: log,
      now,
    }));
    const commentReader = new CommentReader({ comments, store: commentStore });
    const checkinAttendance = new CheckinAttendance({
      checkins: this.checkins,
      store: checkinStore,
      groups: this.groups,
      notifications: this.notifications,
      quota: this.quota,
      quotaMode: config.quotaMode,
      catalog,
      templateId: config.wx.templateId,
      timezone: config.defaultTimezone,
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
      pushConfigured: Boolean(config.wx.token) && !config.wx.sandboxToken,
      now,
    });
    // Customer service and the bot (docs/architecture.md#customer-service).
    const botDir = path.join(projectRoot(), 'config', 'bot');
    const botFile = path.join(projectRoot(), 'config', 'bot.json');
    this.bot = new BotService({
      store: new BotRulesStore(redis, this.keys),
      seed: loadBotConfig(botFile, botRuleTable),
      seedFile: botFile,
      imageDir: botDir,
      logger: log,
      now,
    });
    const conversations = new ConversationStore(redis, this.keys, config.retentionDays * 86_400_000);
    this.customClient = new CustomMessageClient({
      apiBase: config.wx.apiBase,
      timeoutMs: tuning.wxTimeoutMs,
    });
    this.customerService = new CustomerService({
      conversations,
      bot: this.bot,
      answers: new BotAnswers({
        reminders: this.reminders,
        notices: {
          unread: async (openid, limit) =>
            (await noticeInbox.list(openid, { unread: true, limit })).items.map(({ notice }) => ({
              id: notice.id,
              title: notice.title,
            })),
        },
      }),
      sender: new CustomerServiceSender({
        conversations,
        client: this.customClient,
        media: new MediaCache({ store: new BotMediaStore(redis, this.keys), client: this.customClient, now }),
        tokens: this.tokens,
        imageDir: botDir,
        logger: log,
        now,
        isErased: (openid) => sessions.isErased(openid),
      }),
      imageDir: botDir,
      logger: log,
      now,
      onMessage: (type) => this.metrics.bot.countMessage(type),
      onAnswer: (rule, result) => this.metrics.bot.countAnswer(rule, result),
    });
    this.push = new PushService({
      token: config.wx.token,
      aesKey: config.wx.aesKey,
      appId: config.wx.appId,
      store: new PushStore(redis, this.keys),
      logger: log,
      now,
      onDeliveryReport: (report) => this.metrics.observeDeliveryReport(report),
      onNotificationReport: (id, result) => noticeProgress.reported(id, result),
      notifications: notificationStore,
      isErased: (openid) => sessions.isErased(openid),
      customerService: this.customerService,
    });
    // A person's own data (src/services/personal-data.ts), erased in this order: sessions first;
    // features that send before `subscriptions` and `dailySends`, which their in-flight sends write.
    const accountData = new AccountDataStore(redis, this.keys);
    // The web console: sign-in and sessions, the operators' overview, publisher extras.
    const consoleStore = new ConsoleSessionStore(redis, this.keys);
    const consoleTtlSeconds = config.consoleSessionTtlSeconds ?? DEFAULT_CONSOLE_SESSION_TTL_SECONDS;
    this.console = new ConsoleAuth({
      store: consoleStore,
      qrcodes: new ConsoleQrCodes({
        wechat: this.wechat,
        tokens: this.tokens,
        miniprogramState: config.wx.miniprogramState,
        logger: log,
      }),
      adminToken: config.adminToken,
      sessionTtlSeconds: consoleTtlSeconds,
      sandbox: config.wx.sandbox ? this.wechat : undefined,
      now,
    });
    this.beats = new InstanceBeats({
      store: new ConsoleInstanceStore(redis, this.keys),
      instanceId: this.id,
      version,
      startedAt: now(),
      scheduler: this.scheduler,
      sendsInFlight: () => this.dispatcher.pending,
      logger: log,
      now,
    });
    const consoleOps = new ConsoleOps({
      health,
      instances: this.beats,
      reminders: this.store,
      notifications: notificationStore,
      tokens: new TokenStore(redis, this.keys),
      pauses: new SendPauseStore(redis, this.keys),
      quotaMode: config.quotaMode,
      sandbox: Boolean(config.wx.sandbox),
      now,
    });
    const consolePublisher = new ConsolePublisher({
      groups: this.groups,
      notices: noticeStore,
      stats: noticeStats,
      attendance: checkinAttendance,
      timezone: config.defaultTimezone,
    });
    this.personalData = new PersonalDataRegistry()
      .add(new AccountPersonalData({ sessions, now }))
      .add(new ConsolePersonalData({ store: consoleStore, now }))
      // Before reminders: ending a promise cancels its keeper's reminder and tells the other party.
      .add(new PromisePersonalData({ store: promiseStore, promises: this.promises }))
      .add(
        new ReminderPersonalData({
          store: this.store,
          data: new ReminderDataStore(redis, this.keys),
          schedule: this.scheduler,
          now,
          claimWaitMs: tuning.leaseMs ?? 30_000, // the pipeline's claim lease
        }),
      )
      .add(new GroupPersonalData({ store: groupStore, groups: this.groups, roster: groupRoster }))
      .add(
        new NoticePersonalData({
          store: noticeStore,
          recipients: noticeRecipients,
          inbox: inboxStore,
          categories,
        }),
      )
      .add(new CheckinPersonalData(checkinStore))
      .add(new CommentPersonalData({ store: commentStore, comments, now }))
      // After every feature that sends: their erase may still finish a notification in flight.
      .add(new NotificationPersonalData(notificationStore))
      .add(new ConversationPersonalData(conversations))
      .add(new SubscriptionPersonalData(accountData))
      .add(new DailySendsPersonalData({ store: accountData, timezone: config.defaultTimezone, now }));
    const auth = createAuth({ sessions: this.logins, adminToken: config.adminToken, console: this.console });
    this.app = createApp({
      logger: log,
      proxy: config.trustProxy ?? false,
      replication,
      rawBodyPaths: [WX_MESSAGE_PATH],
      metrics: this.metrics,
      routers: [
        loginRoutes({ logins: this.logins }),
        healthRoutes({ health }),
        metricsRoutes({ metrics: this.metrics }),
        reminderRoutes({
          reminders: this.reminders,
          lifecycle: new ReminderLifecycle({ store: this.store, schedule: this.scheduler, now }),
          auth,
        }),
        meRoutes({ me: new MeService({ registry: this.personalData, sessions, now }), auth }),
        adminRoutes({
          stats: new StatsService({ store: new StatsStore(redis, this.keys), now }),
          reload: () => requestReload(redis, this.keys),
          auth,
        }),
        promiseRoutes({ promises: this.promises, keeping, auth }),
        groupRoutes({ groups: this.groups, roster: groupRoster, qrcodes: groupQrCodes, auth }),
        noticeRoutes({ notices: this.notices, inbox: noticeInbox, stats: noticeStats, auth }),
        searchRoutes({ search: this.noticeSearch, auth }),
        noticeProgressRoutes({ progress: noticeProgress, auth }),
        inboxRoutes({ inbox: noticeInbox, auth }),
        preferenceRoutes({ inbox: noticeInbox, auth }),
        checkinRoutes({ checkins: this.checkins, attendance: checkinAttendance, auth }),
        commentRoutes({ comments, reader: commentReader, auth }),
        subscriptionRoutes({ subscriptions: this.subscriptions, auth }),
        wxMessageRoutes({ push: this.push }),
        botAdminRoutes({ bot: this.bot, auth }),
        conversationRoutes({ customerService: this.customerService, auth }),
        consoleRoutes({ auth: this.console, guard: auth, sessionTtlSeconds: consoleTtlSeconds }),
        consoleOpsRoutes({ ops: consoleOps, auth }),
        consolePublisherRoutes({ publisher: consolePublisher, auth }),
        consoleStaticRoutes({ dir: path.join(projectRoot(), 'dist', 'console') }),
      ],
    });
  }

  /** Starts the scheduler (loads the due slice, subscribes to changes). */
  async start(): Promise<void> {
    await this.bot.start(); // checks config/bot.json (its regexes, its images) and seeds it
    await this.store.checkShards(); // DUE_SHARDS as the data was written, and no unmigrated data
    await this.scheduler.start();
    await this.sessionCache.start();
    this.notifications.start();
    this.promiseEvaluation.start();
    this.noticePublisher.start();
    this.noticeRetention.start();
    this.beats.start();
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
    const unlisted = this.beats.stop(); // off the console's instance list
    const evaluated = this.promiseEvaluation.stop();
    const published = this.noticePublisher.stop(); // running fan-outs give their claims back
    const retained = this.noticeRetention.stop();
    const drained = this.dispatcher.drain(boundMs); // stops claiming at once
    await this.scheduler.stop();
    await this.sessionCache.stop();
    await evaluated;
    await published;
    await retained;
    await unlisted;
    const { finished, released } = await drained;
    // Requests still running get the rest of the bound; then their connections are cut.
    const rest = Math.max(0, boundMs - (Date.now() - started));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, rest)))]);
    clearTimeout(timer);
    server?.closeAllConnections();
    await closed;
    // Bot answers of pushes already answered `success`: sent within what is left of the bound.
    await this.customerService.drain(Math.max(0, boundMs - (Date.now() - started)));
    await this.customClient.close().catch(() => undefined);
    await this.noticeProgress.flush();
    this.metrics.close();
    this.deps.logger.info(
      { instance: this.id, ms: Date.now() - started, sendsFinished: finished, claimsReleased: released },
      'instance stopped',
    );
  }
}
