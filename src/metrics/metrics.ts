import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Outcome } from '../delivery/outcome';

/** What a Redis error was met by: the connection itself, a scheduler sweep, or a dispatch. */
export type RedisErrorSource = 'connection' | 'sweep' | 'dispatch';

export interface MetricsOptions {
  jobsHeld: () => number; // timers the ScheduleRegistry holds, read at scrape time
  sendsInFlight: () => number; // occurrences the dispatcher holds (queued or sending), read at scrape time
  // The pipeline's kinds of occurrence (reminder, notification…), read at scrape time: each one's
  // sends and lateness series start at 0. Default: none.
  kinds?: () => readonly string[];
  processMetrics?: boolean; // prom-client's nodejs_* and process_* series, default true
}

/** One answered HTTP request, as the request-metrics middleware reports it. */
export interface RequestObservation {
  method: string;
  route: string; // the router's pattern (`/api/reminders/:id`), never a raw path
  status: number;
  seconds: number;
}

/** One finished occurrence, as DeliveryPipeline's onOutcome reports it. */
export interface OutcomeObservation {
  kind: string; // the occurrence's kind (OccurrenceKind.name): reminder, notification…
  status: Outcome;
  errcode: number | null;
  latenessMs: number; // send time − scheduled time
}

interface EventSource {
  on(event: 'error', listener: (err: Error) => void): unknown;
  off(event: 'error', listener: (err: Error) => void): unknown;
}

const NAMES = {
  httpDuration: 'tixing_http_request_duration_seconds',
  sends: 'tixing_sends_total',
  lateness: 'tixing_fire_lateness_seconds',
  tokenFetches: 'tixing_token_fetches_total',
  jobsHeld: 'tixing_scheduled_jobs',
  sendsInFlight: 'tixing_sends_in_flight',
  sweepDuration: 'tixing_sweep_duration_seconds',
  redisErrors: 'tixing_redis_errors_total',
  deliveryReports: 'tixing_delivery_reports_total',
} as const;

export const METRIC_NAMES: readonly string[] = Object.values(NAMES);

/**
 * The Prometheus metrics of one instance, on a Registry of its own (never prom-client's global
 * one: tests run several instances in one process). Everything is fed through hooks — the HTTP
 * middleware, DeliveryPipeline's onOutcome, TokenManager.onFetch, Scheduler.onSweep, the Redis client's
 * error events — or read at scrape time, so nothing here reaches into the code it measures.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly bot = new BotMetrics(this.registry); // customer service and the bot: see the block at the end
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly sends: Counter<'kind' | 'result' | 'errcode'>;
  private readonly lateness: Histogram<'kind'>;
  private readonly tokenFetches: Counter<'force'>;
  private readonly sweepDuration: Histogram<'result'>;
  private readonly redisErrors: Counter<'source'>;
  private readonly deliveryReports: Counter<'result' | 'error_code'>;
  private readonly unwatch: (() => void)[] = [];
  private readonly kindsSeen = new Set<string>();

  constructor(options: MetricsOptions) {
    const registers = [this.registry];
    this.httpDuration = new Histogram({
      name: NAMES.httpDuration,
      help: 'HTTP requests by method, route pattern and status; _count is the number of requests',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    const kinds = options.kinds ?? (() => []);
    this.sends = new Counter({
      name: NAMES.sends,
      help: 'Finished occurrences by kind (reminder, notification…), result (sent, failed, no_quota, rate_limited, missed) and WeChat errcode (none: no call)',
      labelNames: ['kind', 'result', 'errcode'],
      registers,
      // Known label values start at 0, so dashboards and alerts see the series before the first event.
      collect: () => {
        for (const kind of kinds()) this.knowKind(kind);
      },
    });
    this.lateness = new Histogram({
      name: NAMES.lateness,
      help: 'Seconds from an occurrence’s scheduled time to the end of its send, by kind (missed ones excluded)',
      labelNames: ['kind'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.tokenFetches = new Counter({
      name: NAMES.tokenFetches,
      help: 'access_token fetches from WeChat (stable_token) by this instance; force: force_refresh',
      labelNames: ['force'],
      registers,
    });
    new Gauge({
      name: NAMES.jobsHeld,
      help: 'Timers held by this instance’s schedule registry (occurrences inside the horizon)',
      registers,
      collect() {
        this.set(options.jobsHeld());
      },
    });
    new Gauge({
      name: NAMES.sendsInFlight,
      help: 'Occurrences this instance has queued or is sending',
      registers,
      collect() {
        this.set(options.sendsInFlight());
      },
    });
    this.sweepDuration = new Histogram({
      name: NAMES.sweepDuration,
      help: 'Duration of the scheduler’s sweeps of the due index, by result (ok, error)',
      labelNames: ['result'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.redisErrors = new Counter({
      name: NAMES.redisErrors,
      help: 'Redis errors by where they were met: connection (client error events), sweep, dispatch',
      labelNames: ['source'],
      registers,
    });
    // A counter of its own, not tixing_sends_total{result="failed"}: a report comes after the send
    // was counted `sent` there, and a counter cannot move a count from one label to another.
    this.deliveryReports = new Counter({
      name: NAMES.deliveryReports,
      help: 'WeChat’s final reports on accepted sends (subscribe_msg_sent_event) by result (delivered, failed) and ErrorCode',
      labelNames: ['result', 'error_code'],
      registers,
    });
    // Known label values start at 0, so dashboards and alerts see the series before the first event.
    for (const force of ['false', 'true']) this.tokenFetches.inc({ force }, 0);
    for (const source of ['connection', 'sweep', 'dispatch'] as const) this.redisErrors.inc({ source }, 0);
    this.deliveryReports.inc({ result: 'delivered', error_code: '0' }, 0);
    // Each call installs an event-loop monitor and a GC observer for the life of the process.
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** `text/plain; version=0.0.4; charset=utf-8`, the Prometheus text format. */
  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  observeRequest(r: RequestObservation): void {
    this.httpDuration.observe({ method: r.method, route: r.route, status: String(r.status) }, r.seconds);
  }

  observeOutcome(event: OutcomeObservation): void {
    this.knowKind(event.kind);
    this.sends.inc({
      kind: event.kind,
      result: event.status,
      errcode: event.errcode === null ? 'none' : String(event.errcode),
    });
    if (event.status !== 'missed') {
      this.lateness.observe({ kind: event.kind }, Math.max(0, event.latenessMs) / 1000);
    }
  }

  /** Starts a kind's series at 0 the first time it is seen (Histogram.zero would reset a live one). */
  private knowKind(kind: string): void {
    if (this.kindsSeen.has(kind)) return;
    this.kindsSeen.add(kind);
    this.sends.inc({ kind, result: 'sent', errcode: '0' }, 0);
    this.sends.inc({ kind, result: 'rate_limited', errcode: 'none' }, 0);
    this.lateness.zero({ kind });
  }

  /** One delivery report that changed a send's record (a repeated report is not counted again). */
  observeDeliveryReport(report: { result: 'delivered' | 'failed'; errorCode: string }): void {
    // The label takes WeChat's numeric codes only, so odd input cannot grow the series without bound.
    const code =
      report.errorCode === '' ? 'none' : /^-?\d{1,9}$/.test(report.errorCode) ? report.errorCode : 'other';
    this.deliveryReports.inc({ result: report.result, error_code: code });
  }

  countTokenFetch(force: boolean): void {
    this.tokenFetches.inc({ force: String(force) });
  }

  observeSweep(event: { durationMs: number; ok: boolean }): void {
    this.sweepDuration.observe({ result: event.ok ? 'ok' : 'error' }, event.durationMs / 1000);
    if (!event.ok) this.redisErrors.inc({ source: 'sweep' });
  }

  countRedisError(source: RedisErrorSource): void {
    this.redisErrors.inc({ source });
  }

  /** Counts a client's 'error' events (failed connects and reconnects) until close(). */
  watchRedis(client: EventSource): void {
    const listener = () => this.countRedisError('connection');
    client.on('error', listener);
    this.unwatch.push(() => client.off('error', listener));
  }

  /** Lets go of the clients it watches (it never closes them: they are not its own). */
  close(): void {
    for (const off of this.unwatch.splice(0)) off();
  }
}

// ---- Customer service and the bot (docs/architecture.md#customer-service) ----

export const BOT_METRIC_NAMES = {
  messagesIn: 'tixing_bot_messages_in_total',
  answers: 'tixing_bot_answers_total',
} as const;

/**
 * The customer service's series, on the instance's registry: messages in by type, answers by rule
 * and result. `rule` is a rule's name (validated: at most 100 per table, 32 characters of
 * `A-Za-z0-9_-`), `default` or `agent`; `result` is sent, refused, failed, transfer or dropped.
 */
export class BotMetrics {
  private readonly messagesIn: Counter<'type'>;
  private readonly answers: Counter<'rule' | 'result'>;

  constructor(registry: Registry) {
    this.messagesIn = new Counter({
      name: BOT_METRIC_NAMES.messagesIn,
      help: 'Customer-service pushes taken (retries not counted) by type: text, image, miniprogrampage, user_enter_tempsession',
      labelNames: ['type'],
      registers: [registry],
    });
    this.answers = new Counter({
      name: BOT_METRIC_NAMES.answers,
      help: 'Customer-service answers by rule (a rule name, default, agent) and result (sent, refused, failed, transfer, dropped)',
      labelNames: ['rule', 'result'],
      registers: [registry],
    });
    for (const type of ['text', 'image', 'miniprogrampage', 'user_enter_tempsession'])
      this.messagesIn.inc({ type }, 0);
    this.answers.inc({ rule: 'default', result: 'sent' }, 0);
  }

  countMessage(type: string): void {
    this.messagesIn.inc({ type });
  }

  countAnswer(rule: string, result: string): void {
    this.answers.inc({ rule, result });
  }
}
