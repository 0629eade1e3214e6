// Events cross to a consumer in batches, as Hyper batches a terminal's output: one message per
// frame (about 16 ms) or per 200 KB, whichever comes first, instead of one per line or request.
// Every consumer has the same rule for falling behind: when a batch is due and the consumer's
// backlog is over its limit, the batch is not sent and the consumer is behind until it catches
// up; it then resumes from the last sequence numbers it has (a session subscribes again with
// them; a followed log says how many lines it skipped since its last one).

import type { Disposable } from '../events.ts';

/** How long an event may wait for others to share its message: a 60 Hz frame. */
export const BATCH_MS = 16;
/** A batch this large (estimated as JSON) goes at once. */
export const BATCH_BYTES = 200 * 1024;

/** Where batches go, and how far behind their consumer is. */
export interface EventBatcherOptions<T> {
  /** Takes one batch; `bytes` is its estimated size. */
  deliver(batch: T[], bytes: number): void;
  /** An item's estimated size as JSON. */
  sizeOf(item: T): number;
  /**
   * Bytes delivered that the consumer has not taken yet, checked before each batch. Absent for a
   * consumer that cannot fall behind (the core reading the proxy's IPC channel).
   */
  backlog?: () => number;
  /** The backlog over which the consumer is behind. */
  maxBacklog?: number;
  /** The consumer fell behind: `discarded` is the batch it did not get; pushes are ignored until `resume()`. */
  onBehind?: (discarded: T[]) => void;
}

/** Collects items for one consumer and delivers them in batches. */
export class EventBatcher<T> implements Disposable {
  private readonly options: EventBatcherOptions<T>;
  private batch: T[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private isBehind = false;
  private disposed = false;

  constructor(options: EventBatcherOptions<T>) {
    this.options = options;
  }

  /** True from falling behind until `resume()`. */
  get behind(): boolean {
    return this.isBehind;
  }

  push(item: T): void {
    if (this.isBehind || this.disposed) return;
    this.batch.push(item);
    this.bytes += this.options.sizeOf(item);
    if (this.bytes >= BATCH_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  /** Delivers whatever is waiting now, unless the consumer is too far behind to take it. */
  flush(): void {
    this.stopTimer();
    if (this.batch.length === 0) return;
    const batch = this.batch;
    const bytes = this.bytes;
    this.clear();
    const { backlog, maxBacklog = Number.POSITIVE_INFINITY } = this.options;
    if (backlog && backlog() > maxBacklog) {
      this.isBehind = true;
      this.options.onBehind?.(batch);
      return;
    }
    this.options.deliver(batch, bytes);
  }

  /** The consumer caught up: batches flow again. */
  resume(): void {
    this.isBehind = false;
  }

  /** Forgets what waits, without delivering it. */
  clear(): void {
    this.batch = [];
    this.bytes = 0;
  }

  dispose(): void {
    this.disposed = true;
    this.stopTimer();
    this.clear();
  }

  private stopTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
