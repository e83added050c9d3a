import request from 'supertest';
import type { OccurrenceKind } from '../../src/delivery/occurrence-kind';
import { METRIC_NAMES } from '../../src/metrics/metrics';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { bearer, login, TestClock, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { data, type ReminderView } from '../support/api-types';
import { parseMetrics, valueOf } from '../support/metrics-text';

const TEMPLATE = '_qZfC75otflYg8nc1suRZK27Ke-mzc_sh3Vtpv8tr2w'; // config/templates.json

/** A kind of occurrence that is not a reminder: each id is sent once, claimed in memory. */
class OneShot implements OccurrenceKind<{ id: string }> {
  readonly name = 'test-one-shot';
  private readonly claimed = new Set<string>();

  constructor(private readonly openid: string) {}

  async claim(id: string, slot: number) {
    const key = `${id}:${slot}`;
    if (this.claimed.has(key)) return null;
    this.claimed.add(key);
    return { id };
  }

  extendClaim = async () => true;
  releaseClaim = async (id: string, slot: number) => this.claimed.delete(`${id}:${slot}`);
  nextSlot = () => null;
  latestSlot = () => null;

  render(item: { id: string }) {
    return {
      openid: this.openid,
      templateId: TEMPLATE,
      render: () => ({
        thing1: { value: `one-shot ${item.id}` },
        time2: { value: '15:01' },
        thing3: { value: 'n' },
      }),
    };
  }

  recordAttempt = async () => undefined;
  record = async () => 'ok' as const;
}

const env = useSandbox();
let sandbox: WeChatSandbox;
let t: TestInstance;
let other: TestInstance;

beforeAll(async () => {
  ({ sandbox } = env);
  t = await env.start({ tuning: { sweepIntervalMs: 200 } });
  // A second instance in the same process: its own registry, its own numbers.
  other = await env.start({ start: false });
});

const api = (i: TestInstance = t) => request(i.instance.app.callback());
const REMINDER = { kind: 'reminder' };
const REMINDER_SENT = { kind: 'reminder', result: 'sent', errcode: '0' };

async function scrape(i: TestInstance = t) {
  const res = await api(i).get('/metrics');
  expect(res.status).toBe(200);
  return { res, samples: parseMetrics(res.text) };
}

describe('GET /metrics', () => {
  it('shows requests by route pattern, sends, lateness, token fetches, jobs, sweeps and Redis errors after a send', async () => {
    const token = await login(t, 'metrics#1');
    const auth = { Authorization: `Bearer ${token}` };
    const at = Date.now() + 1200;
    const created = await api().post('/api/reminders').set(auth).send({ title: 'metrics', at });
    expect(created.status).toBe(201);
    const id = data<ReminderView>(created).id;

    // Before its time the reminder is one job held.
    const before = (await scrape()).samples;
    expect(valueOf(before, 'tixing_scheduled_jobs')).toBe(1);
    expect(valueOf(before, 'tixing_sends_total', { kind: 'reminder', result: 'sent' })).toBe(0);

    await waitFor(() => sandbox.sent.some((m) => m.data.thing1?.value === 'metrics'), 6000);
    const { res, samples } = await waitFor(async () => {
      const scraped = await scrape();
      return valueOf(scraped.samples, 'tixing_sends_total', REMINDER_SENT) === 1 ? scraped : undefined;
    }, 5000);
    for (let i = 0; i < 2; i++) expect((await api().get(`/api/reminders/${id}`).set(auth)).status).toBe(200);
    expect((await api().get('/no/such/path/12345')).status).toBe(404);
    const after = (await scrape()).samples;

    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    for (const name of METRIC_NAMES) expect(res.text).toContain(`# TYPE ${name} `);

    // HTTP: by the router's pattern and the status the client got; raw ids never become labels.
    const count = 'tixing_http_request_duration_seconds_count';
    expect(valueOf(after, count, { method: 'POST', route: '/api/login', status: '200' })).toBe(1);
    expect(valueOf(after, count, { method: 'POST', route: '/api/reminders', status: '201' })).toBe(1);
    expect(valueOf(after, count, { method: 'GET', route: '/api/reminders/:id', status: '200' })).toBe(2);
    expect(valueOf(after, count, { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(valueOf(after, count, { method: 'GET', route: '/metrics', status: '200' })).toBeGreaterThanOrEqual(
      2,
    );
    expect(
      after.some((s) => Object.values(s.labels).some((v) => v.includes(`/${id}`) || v.includes('12345'))),
    ).toBe(false);
    const postSum = valueOf(after, 'tixing_http_request_duration_seconds_sum', {
      method: 'POST',
      route: '/api/reminders',
    });
    expect(postSum).toBeGreaterThan(0);
    expect(postSum).toBeLessThan(5);

    // Sends, by kind, result and WeChat errcode; the lateness of the one send.
    expect(valueOf(samples, 'tixing_sends_total', REMINDER_SENT)).toBe(1);
    expect(samples.filter((s) => s.name === 'tixing_sends_total' && s.value > 0)).toHaveLength(1);
    expect(valueOf(samples, 'tixing_fire_lateness_seconds_count', REMINDER)).toBe(1);
    const lateness = valueOf(samples, 'tixing_fire_lateness_seconds_sum', REMINDER) as number;
    expect(lateness).toBeLessThan(3); // how late it really was is the next test's, on a known clock
    expect(valueOf(samples, 'tixing_fire_lateness_seconds_bucket', { ...REMINDER, le: '5' })).toBe(1);

    // One access_token fetch for the send, none forced.
    expect(valueOf(samples, 'tixing_token_fetches_total', { force: 'false' })).toBe(1);
    expect(valueOf(samples, 'tixing_token_fetches_total', { force: 'true' })).toBe(0);

    // The job was handed to the dispatcher and is gone; nothing is in flight any more.
    expect(valueOf(samples, 'tixing_scheduled_jobs')).toBe(0);
    expect(valueOf(samples, 'tixing_sends_in_flight')).toBe(0);

    // Sweeps ran every 200 ms, quickly, and none failed; Redis never went away.
    expect(valueOf(samples, 'tixing_sweep_duration_seconds_count', { result: 'ok' })).toBeGreaterThan(3);
    expect(valueOf(samples, 'tixing_sweep_duration_seconds_sum', { result: 'ok' })).toBeLessThan(1);
    expect(valueOf(samples, 'tixing_sweep_duration_seconds_count', { result: 'error' })).toBeUndefined();
    for (const source of ['connection', 'sweep', 'dispatch']) {
      expect(valueOf(samples, 'tixing_redis_errors_total', { source })).toBe(0);
    }

    // prom-client's process metrics ride along on the instance's own registry.
    expect(valueOf(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(valueOf(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('measures the lateness of a send from its slot to the end of the send, by the instance’s clock', async () => {
    const clock = new TestClock();
    const late = await env.start({ now: clock.now, tuning: { sweepIntervalMs: 200, processMetrics: false } });
    const token = await login(late, 'late#1');
    sandbox.faults.latencyMs = 300; // WeChat holds its answer back: the send ends after the jump
    const at = Date.now() + 300;
    expect(
      (await api(late).post('/api/reminders').set(bearer(token)).send({ title: 'late', at })).status,
    ).toBe(201);
    await waitFor(() => sandbox.sent.some((m) => m.data.thing1?.value === 'late'), 5000);
    clock.advance(45_000);

    const samples = await waitFor(async () => {
      const scraped = parseMetrics((await api(late).get('/metrics')).text);
      return valueOf(scraped, 'tixing_fire_lateness_seconds_count', REMINDER) === 1 ? scraped : undefined;
    }, 5000);
    const seconds = valueOf(samples, 'tixing_fire_lateness_seconds_sum', REMINDER) ?? NaN;
    expect(seconds).toBeGreaterThanOrEqual(45);
    expect(seconds).toBeLessThan(60);
    expect(valueOf(samples, 'tixing_fire_lateness_seconds_bucket', { ...REMINDER, le: '30' })).toBe(0);
    expect(valueOf(samples, 'tixing_fire_lateness_seconds_bucket', { ...REMINDER, le: '60' })).toBe(1);
  });

  it('keeps each instance’s numbers on its own registry', async () => {
    const { samples } = await scrape(other);
    expect(valueOf(samples, 'tixing_sends_total', { kind: 'reminder', result: 'sent' })).toBe(0);
    expect(valueOf(samples, 'tixing_fire_lateness_seconds_count', REMINDER)).toBe(0);
    expect(
      valueOf(samples, 'tixing_http_request_duration_seconds_count', { route: '/api/login' }),
    ).toBeUndefined();
    expect(valueOf(samples, 'tixing_token_fetches_total', { force: 'false' })).toBe(0);
  });
  it('labels sends and lateness by the kind of occurrence, every kind the pipeline sends starting at 0', async () => {
    const fresh = (await scrape()).samples;
    expect(t.instance.dispatcher.kindNames).toContain('reminder');
    for (const kind of t.instance.dispatcher.kindNames) {
      expect(valueOf(fresh, 'tixing_sends_total', { kind, result: 'rate_limited', errcode: 'none' })).toBe(0);
      expect(valueOf(fresh, 'tixing_fire_lateness_seconds_count', { kind })).toBeDefined();
    }
    const reminderSent = valueOf(fresh, 'tixing_sends_total', REMINDER_SENT);

    const kind = new OneShot(sandbox.openIdFor('metrics-kind'));
    t.instance.dispatcher.register(kind);
    t.instance.dispatcher.submit(kind.name, 'n1', Date.now() - 500); // half a second late
    await waitFor(() => sandbox.sent.some((m) => m.data.thing1?.value === 'one-shot n1'), 5000);
    const samples = await waitFor(async () => {
      const scraped = (await scrape()).samples;
      return valueOf(scraped, 'tixing_fire_lateness_seconds_count', { kind: kind.name }) === 1
        ? scraped
        : undefined;
    }, 5000);

    expect(valueOf(samples, 'tixing_sends_total', { kind: kind.name, result: 'sent', errcode: '0' })).toBe(1);
    expect(valueOf(samples, 'tixing_fire_lateness_seconds_sum', { kind: kind.name })).toBeGreaterThanOrEqual(
      0.5,
    );
    expect(valueOf(samples, 'tixing_fire_lateness_seconds_bucket', { kind: kind.name, le: '0.25' })).toBe(0);
    // The reminders' series did not move.
    expect(valueOf(samples, 'tixing_sends_total', REMINDER_SENT)).toBe(reminderSent);
  });
});
