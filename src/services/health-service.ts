import type { RedisHealth, RedisProbe } from '../store/redis-probe';

export type { RedisHealth } from '../store/redis-probe';

/** The probe's default answer bound, ms: load balancers give up early. */
export const PROBE_TIMEOUT_MS = 1000;

export interface HealthDeps {
  probe: Pick<RedisProbe, 'health'>; // whether Redis would take a write now
  version: string;
  instanceId: string;
  scheduler?: { readonly running: boolean; readonly size: number };
  now: () => number;
  startedAt: number;
  timeoutMs?: number; // the probe's answer bound, ms, default PROBE_TIMEOUT_MS
}

export interface HealthReport {
  ok: boolean;
  data: {
    status: 'ok' | 'degraded';
    redis: RedisHealth;
    scheduler: 'running' | 'stopped' | 'absent';
    jobs: number;
    version: string;
    instance: string;
    uptimeSeconds: number;
  };
}

/**
 * Answers /api/health: whether Redis would take a write within the bound (a PING alone says ok
 * while every write fails with OOM), scheduler state, jobs held.
 */
export class HealthService {
  constructor(private readonly deps: HealthDeps) {}

  async check(): Promise<HealthReport> {
    const { scheduler } = this.deps;
    const redis = await this.deps.probe.health(this.deps.timeoutMs ?? PROBE_TIMEOUT_MS);
    const ok = redis === 'up';
    return {
      ok,
      data: {
        status: ok ? 'ok' : 'degraded',
        redis,
        scheduler: scheduler ? (scheduler.running ? 'running' : 'stopped') : 'absent',
        jobs: scheduler?.size ?? 0,
        version: this.deps.version,
        instance: this.deps.instanceId,
        uptimeSeconds: Math.round((this.deps.now() - this.deps.startedAt) / 1000),
      },
    };
  }
}
