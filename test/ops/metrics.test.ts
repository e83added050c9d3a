import request from 'supertest';
import { METRIC_NAMES } from '../../src/metrics/metrics';
import type { WeChatSandbox } from '../../src/sandbox/wechat-sandbox';
import { bearer, login, TestClock, useSandbox, waitFor, type TestInstance } from '../support/harness';
import { data, type ReminderView } from '../support/api-types';
import { parseMetrics, valueOf } from '../support/metrics-text';

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
    expect(valueOf(before, 'tixing_sends_total', { result: 'sent' })).toBe(0);

    await waitFor(() => sandbox.sent.some((m) => m.data.thing1?.value === 'metrics'), 6000);
    const { res, samples } = await waitFor(async () => {
      const scraped = await scrape();
      return valueOf(scraped.samples, 'tixing_sends_total', { result: 'sent' }) === 1 ? scraped : undefined;
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

    // Sends, by result and WeChat errcode; the lateness of the one send.
    expect(valueOf(samples, 'tixing_sends_total', { result: 'sent', errcode: '0' })).toBe(1);
    expect(samples.filter((s) => s.name === 'tixing_sends_total' && s.value > 0)).toHaveLength(1);
    expect(valueOf(samples, 'tixing_fire_lateness_seconds_count')).toBe(1);
    const lateness = valueOf(samples, 'tixing_fire_lateness_seconds_sum') as number;
    expect(lateness).toBeLessThan(3); // how late it really was is the next test's, on a known clock
    expect(valueOf(samples, 'tixing_fire_lateness_seconds_bucket', { le: '5' })).toBe(1);

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
      return valueOf(scraped, 'tixing_fire_lateness_seconds_count') === 1 ? scraped : undefined;
    }, 5000);
    const seconds = valueOf(samples, 'tixing_fire_lateness_seconds_sum') ?? NaN;
    expect(seconds).toBeGreaterThanOrEqual(45);
    expect(seconds).toBeLessThan(60);
    expect(valueOf(samples, 'tixing_fire_lateness_seconds_bucket', { le: '30' })).toBe(0);
    expect(valueOf(samples, 'tixing_fire_lateness_seconds_bucket', { le: '60' })).toBe(1);
  });

  it('keeps each instance’s numbers on its own registry', async () => {
    const { samples } = await scrape(other);
    expect(valueOf(samples, 'tixing_sends_total', { result: 'sent' })).toBe(0);
    expect(valueOf(samples, 'tixing_fire_lateness_seconds_count')).toBe(0);
    expect(
      valueOf(samples, 'tixing_http_request_duration_seconds_count', { route: '/api/login' }),
    ).toBeUndefined();
    expect(valueOf(samples, 'tixing_token_fetches_total', { force: 'false' })).toBe(0);
  });
});
