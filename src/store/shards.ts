/**
 * Runs `run` once per shard for the items of that shard (all at once), and puts the answers back
 * in the order of `items`: a batch of many users' work costs one script call per shard, each in
 * one cluster slot.
 */
export async function perShard<I, O>(
  items: readonly I[],
  shard: (item: I) => number,
  run: (shard: number, items: I[]) => Promise<O[]>,
): Promise<O[]> {
  // Most batches are of one shard already (the pipeline claims a shard's chunk at a time).
  const first = items.length > 0 ? shard(items[0] as I) : 0;
  if (items.every((item, i) => i === 0 || shard(item) === first)) {
    return items.length === 0 ? [] : run(first, items as I[]);
  }
  const groups = new Map<number, number[]>();
  items.forEach((item, i) => {
    const s = shard(item);
    const group = groups.get(s);
    if (group) group.push(i);
    else groups.set(s, [i]);
  });
  const out = new Array<O>(items.length);
  await Promise.all(
    [...groups].map(async ([s, indexes]) => {
      const answers = await run(
        s,
        indexes.map((i) => items[i] as I),
      );
      indexes.forEach((i, j) => (out[i] = answers[j] as O));
    }),
  );
  return out;
}

/** 0, 1, … `count` − 1: every shard. */
export function allShards(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}
