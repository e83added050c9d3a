import type { Keys } from './keys';
import type { Redis } from './redis';

/** What one running instance says about itself every few seconds (the console's instance list). */
export interface InstanceBeat {
  id: string;
  version: string;
  pid: number;
  host: string; // the machine's hostname
  startedAt: number; // ms
  seenAt: number; // ms: this beat
  jobsHeld: number; // timers in its ScheduleRegistry
  sendsInFlight: number;
  scheduler: 'running' | 'stopped';
}

/**
 * The instances' heartbeats in one hash (`instances`, id → JSON): one key, so the list reads in
 * one command on a single Redis or a cluster. Beats older than the reader's bound are pruned by
 * whoever reads them; an instance that stops removes its own.
 */
export class ConsoleInstanceStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async beat(beat: InstanceBeat): Promise<void> {
    await this.redis.hSet(this.keys.instances(), beat.id, JSON.stringify(beat));
  }

  async remove(id: string): Promise<void> {
    await this.redis.hDel(this.keys.instances(), id);
  }

  /** Every beat recorded, and the ids of those seen before `staleBefore` (ms), which it removes. */
  async list(staleBefore: number): Promise<InstanceBeat[]> {
    const all = await this.redis.hGetAll(this.keys.instances());
    const beats: InstanceBeat[] = [];
    const stale: string[] = [];
    for (const [id, json] of Object.entries(all)) {
      const beat = parse(json);
      if (!beat || beat.seenAt < staleBefore) stale.push(id);
      else beats.push(beat);
    }
    if (stale.length > 0) await this.redis.hDel(this.keys.instances(), stale);
    return beats.sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id));
  }
}

function parse(json: string): InstanceBeat | null {
  try {
    const value = JSON.parse(json) as Partial<InstanceBeat>;
    return typeof value.id === 'string' && typeof value.seenAt === 'number' ? (value as InstanceBeat) : null;
  } catch {
    return null;
  }
}
