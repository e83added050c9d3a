/**
 * Due occurrences waiting to be claimed, kept per claim group (a kind's shard: the claims of one
 * group go to Redis in one script call), first in first out within a group. Groups take turns a
 * chunk at a time, so a spike over sixteen shards is claimed eight of one shard per call rather
 * than one of each.
 */
export class ClaimQueue<T> {
  // Each group read from `head`: a spike queues thousands at once, and Array#shift would move them all.
  private readonly groups = new Map<string, { items: T[]; head: number }>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(group: string, item: T): void {
    const queued = this.groups.get(group);
    if (queued) queued.items.push(item);
    else this.groups.set(group, { items: [item], head: 0 });
    this.count += 1;
  }

  /** Up to `max` items of the group whose turn it is; that group then waits for the others' turns. */
  take(max: number): T[] {
    const first = this.groups.entries().next();
    if (first.done) return [];
    const [group, queued] = first.value;
    const end = Math.min(queued.items.length, queued.head + max);
    const taken = queued.items.slice(queued.head, end);
    queued.head = end;
    this.count -= taken.length;
    this.groups.delete(group);
    if (queued.head < queued.items.length) {
      if (queued.head > 1024 && queued.head * 2 > queued.items.length) {
        queued.items = queued.items.slice(queued.head);
        queued.head = 0;
      }
      this.groups.set(group, queued); // to the back of the turns
    }
    return taken;
  }

  /** Empties the queue, answering what it held. */
  clear(): T[] {
    const all: T[] = [];
    for (const { items, head } of this.groups.values()) all.push(...items.slice(head));
    this.groups.clear();
    this.count = 0;
    return all;
  }
}
