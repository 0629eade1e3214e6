// A bounded, append-only ring addressed by absolute position: the n-th item ever pushed keeps
// position n until it is evicted, so that caches built over the ring (filters, selections) stay
// valid across appends and only need to look at what is new.

export class Ring<T> {
  readonly capacity: number;
  private readonly items: (T | undefined)[];
  /** Items ever pushed since the last clear. */
  private pushed = 0;
  /** Bumped by clear(), so that caches know their positions mean nothing any more. */
  private epochValue = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.items = new Array<T | undefined>(capacity);
  }

  /** How many items are held. */
  get size(): number {
    return Math.min(this.pushed, this.capacity);
  }

  /** Absolute position of the oldest held item. */
  get start(): number {
    return this.pushed - this.size;
  }

  /** Absolute position after the newest item. */
  get end(): number {
    return this.pushed;
  }

  get epoch(): number {
    return this.epochValue;
  }

  push(item: T): void {
    this.items[this.pushed % this.capacity] = item;
    this.pushed++;
  }

  /** The item at an absolute position, or undefined once evicted (or not yet pushed). */
  at(position: number): T | undefined {
    if (position < this.start || position >= this.pushed) return undefined;
    return this.items[position % this.capacity];
  }

  /** The newest item. */
  last(): T | undefined {
    return this.at(this.pushed - 1);
  }

  clear(): void {
    this.items.fill(undefined);
    this.pushed = 0;
    this.epochValue++;
  }

  /** Held items, oldest first (a copy: for small rings and tests, not for the 100k log). */
  toArray(): T[] {
    const out: T[] = [];
    for (let position = this.start; position < this.end; position++) out.push(this.at(position) as T);
    return out;
  }

  /**
   * First absolute position whose key is >= `key`, assuming keys do not decrease along the ring
   * (seq always, time nearly: a small clock step only blurs the edge of a time window).
   */
  lowerBound(key: number, keyOf: (item: T) => number): number {
    let low = this.start;
    let high = this.end;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (keyOf(this.at(middle) as T) < key) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
