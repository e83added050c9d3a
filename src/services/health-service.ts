import { probeWritable, redisFault, type Redis } from '../store/redis';

export interface HealthDeps {
  redis: Redis;
  version: string;
  instanceId: string;
  scheduler?: { readonly running: boolean; readonly size: number };
  now: () => number;
  startedAt: number;
  timeoutMs?: number; // the probe's answer bound, default 1000 (load balancers give up early)
}

/**
 * What Redis can do for us right now: `up` (takes writes), `down` (no connection), `unresponsive`
 * (connected, but no answer in time: stalled), `loading` (restarted, reading its data: LOADING),
 * `out_of_memory` (maxmemory reached under noeviction: OOM, writes refused).
 */
export type RedisHealth = 'up' | 'down' | 'unresponsive' | 'loading' | 'out_of_memory';

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
    const redis = await this.redisHealth();
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

  private async redisHealth(): Promise<RedisHealth> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<RedisHealth>((resolve) => {
      timer = setTimeout(resolve, this.deps.timeoutMs ?? 1000, 'unresponsive');
    });
    const probed = probeWritable(this.deps.redis).then(
      (): RedisHealth => 'up',
      (err: unknown): RedisHealth => {
        switch (redisFault(err)) {
          case 'timeout':
            return 'unresponsive';
          case 'loading':
            return 'loading';
          case 'out_of_memory':
            return 'out_of_memory';
          default:
            return 'down';
        }
      },
    );
    try {
      return await Promise.race([probed, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
