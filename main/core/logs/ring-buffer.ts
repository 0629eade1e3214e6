/** A fixed-capacity FIFO: pushing onto a full buffer evicts the oldest item, so memory stays bounded. */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring buffer capacity must be a positive integer, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    const end = (this.start + this.count) % this.capacity;
    this.items[end] = item;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
  }

  /** The newest `n` items (all by default), oldest first. */
  last(n = this.count): T[] {
    const take = Math.max(0, Math.min(n, this.count));
    const out = new Array<T>(take);
    for (let i = 0; i < take; i++) out[i] = this.items[(this.start + this.count - take + i) % this.capacity] as T;
    return out;
  }

  clear(): void {
    this.items.fill(undefined);
    this.start = 0;
    this.count = 0;
  }
}
