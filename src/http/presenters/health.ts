import type { HealthReport, RedisHealth } from '../../services/health-service';

/** `GET /api/health`, answered in both the 200 and the 503 envelope. */
export interface HealthView {
  status: 'ok' | 'degraded';
  redis: RedisHealth;
  scheduler: 'running' | 'stopped' | 'absent';
  jobs: number; // jobs this instance holds
  version: string;
  instance: string;
  uptimeSeconds: number;
}

export function presentHealth(data: HealthReport['data']): HealthView {
  return {
    status: data.status,
    redis: data.redis,
    scheduler: data.scheduler,
    jobs: data.jobs,
    version: data.version,
    instance: data.instance,
    uptimeSeconds: data.uptimeSeconds,
  };
}
