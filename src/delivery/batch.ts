// Taken at load so that a test's fake timers cannot hold a batch back.
const later = setImmediate;
const laterBy = setTimeout;

/**
 * Gathers the calls made in one turn of the event loop (or within `windowMs` of the first) and
 * runs them as one: a burst of due occurrences then costs one script call per batch instead of one
 * per occurrence. Each caller gets its own result, in order; a batch that fails fails each of its
 * callers, as their own calls would.
 */
export class Batcher<I, O> {
  private waiting: { input: I; resolve: (o: O) => void; reject: (err: unknown) => void }[] = [];

  constructor(
    private readonly runBatch: (inputs: I[]) => Promise<O[]>,
    private readonly maxBatch = 128,
    private readonly windowMs = 0,
  ) {}

  add(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const waiting = this.waiting.push({ input, resolve, reject });
      if (waiting === 1) {
        if (this.windowMs > 0) laterBy(() => this.flush(), this.windowMs);
        else later(() => this.flush());
      } else if (waiting === this.maxBatch && this.windowMs > 0) {
        this.flush(); // full: no reason to wait out the window (its timer may then flush the next batch early: harmless)
      }
    });
  }

  private flush(): void {
    const all = this.waiting;
    if (all.length === 0) return;
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
