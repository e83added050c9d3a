// Taken at load so that a test's fake timers cannot hold a batch back.
const later = setImmediate;

/**
 * Gathers the calls made in one turn of the event loop and runs them as one: a burst of due
 * occurrences then costs one script call per batch instead of one per occurrence. Each caller gets
 * its own result, in order; a batch that fails fails each of its callers, as their own calls would.
 */
export class Batcher<I, O> {
  private waiting: { input: I; resolve: (o: O) => void; reject: (err: unknown) => void }[] = [];

  constructor(
    private readonly runBatch: (inputs: I[]) => Promise<O[]>,
    private readonly maxBatch = 128,
  ) {}

  add(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      if (this.waiting.push({ input, resolve, reject }) === 1) later(() => this.flush());
    });
  }

  private flush(): void {
    const all = this.waiting;
    this.waiting = [];
    for (let from = 0; from < all.length; from += this.maxBatch) {
      const batch = all.slice(from, from + this.maxBatch);
      this.runBatch(batch.map((w) => w.input)).then(
        (outputs) => batch.forEach((w, i) => w.resolve(outputs[i] as O)),
        (err: unknown) => batch.forEach((w) => w.reject(err)),
      );
    }
  }
}
