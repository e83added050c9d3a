import type { Redis } from '../store/redis';

export interface HealthDeps {
  redis: Redis;
  version: string;
  instanceId: string;
  scheduler?: { readonly running: boolean; readonly size: number };
  now: () => number;
  startedAt: number;
}

export interface HealthReport {
  ok: boolean;
  data: {
    status: 'ok' | 'degraded';
    redis: 'up' | 'down';
    scheduler: 'running' | 'stopped' | 'absent';
    jobs: number;
    version: string;
    instance: string;
    uptimeSeconds: number;
  };
}

/** Answers /api/health: Redis reachable (PING within 1 s), scheduler state, jobs held. */
export class HealthService {
  constructor(private readonly deps: HealthDeps) {}

  async check(): Promise<HealthReport> {
    const { redis, scheduler } = this.deps;
    const redisUp = await Promise.race([
      redis.ping().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(resolve, 1000, false).unref()),
    ]);
    return {
      ok: redisUp,
      data: {
        status: redisUp ? 'ok' : 'degraded',
        redis: redisUp ? 'up' : 'down',
        scheduler: scheduler ? (scheduler.running ? 'running' : 'stopped') : 'absent',
        jobs: scheduler?.size ?? 0,
        version: this.deps.version,
        instance: this.deps.instanceId,
        uptimeSeconds: Math.round((this.deps.now() - this.deps.startedAt) / 1000),
      },
    };
  }
}
