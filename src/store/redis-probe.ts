import { probeWritable, redisFault, type Redis } from './redis';

/**
 * What Redis can do for us right now: `up` (takes writes), `down` (no connection), `unresponsive`
 * (connected, but no answer in time: stalled), `loading` (restarted, reading its data: LOADING),
 * `out_of_memory` (maxmemory reached under noeviction: OOM, writes refused), `read_only` (a
 * replica's READONLY or a persistence failure's MISCONF: writes refused).
 */
export type RedisHealth = 'up' | 'down' | 'unresponsive' | 'loading' | 'out_of_memory' | 'read_only';

/** Asks Redis whether it would take a write (a PING alone says ok while every write fails with OOM). */
export class RedisProbe {
  constructor(private readonly redis: Redis) {}

  /** The state of Redis, `unresponsive` when the probe has no answer within `timeoutMs`. */
  async health(timeoutMs: number): Promise<RedisHealth> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<RedisHealth>((resolve) => {
      timer = setTimeout(resolve, timeoutMs, 'unresponsive');
    });
    const probed = probeWritable(this.redis).then(
      (): RedisHealth => 'up',
      (err: unknown): RedisHealth => {
        switch (redisFault(err)) {
          case 'timeout':
            return 'unresponsive';
          case 'loading':
            return 'loading';
          case 'out_of_memory':
            return 'out_of_memory';
          case 'read_only':
            return 'read_only';
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
