// The one ring of the core: a fixed-capacity FIFO where pushing onto a full ring evicts the oldest
// item, so memory stays bounded. RingSlots is its arithmetic alone (which slot the i-th oldest
// item is in, which slot a new one takes), for owners that keep items in columns (LogRing);
// RingBuffer keeps them in one array.

/** Slot bookkeeping of a fixed-capacity FIFO; the items live wherever the owner keeps them. */
export class RingSlots {
  readonly capacity: number;
  private start = 0;
  private count = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring buffer capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.count;
  }

  /** The slot for a new item: a free one, or the oldest item's, which is then evicted. */
  claim(): number {
    let slot = this.start + this.count;
    if (slot >= this.capacity) slot -= this.capacity;
    if (this.count < this.capacity) this.count++;
    else if (++this.start === this.capacity) this.start = 0;
    return slot;
  }

  /** The slot of the `index`-th oldest item (0 is the oldest). */
  slotOf(index: number): number {
    const slot = this.start + index;
    return slot >= this.capacity ? slot - this.capacity : slot;
  }

  clear(): void {
    this.start = 0;
    this.count = 0;
  }
}

/** A fixed-capacity FIFO of items: pushing onto a full buffer evicts the oldest. */
export class RingBuffer<T> {
  private readonly slots: RingSlots;
  private readonly items: (T | undefined)[];

  constructor(capacity: number) {
    this.slots = new RingSlots(capacity);
    this.items = new Array<T | undefined>(capacity);
  }

  get capacity(): number {
    return this.slots.capacity;
  }

  get size(): number {
    return this.slots.size;
  }

  push(item: T): void {
    this.items[this.slots.claim()] = item;
  }

  /** The newest `n` items (all by default), oldest first. */
  last(n = this.size): T[] {
    const take = Math.max(0, Math.min(n, this.size));
    const out = new Array<T>(take);
    for (let i = 0; i < take; i++) out[i] = this.items[this.slots.slotOf(this.size - take + i)] as T;
    return out;
  }

  clear(): void {
    this.items.fill(undefined);
    this.slots.clear();
  }
}
