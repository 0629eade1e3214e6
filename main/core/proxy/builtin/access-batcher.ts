// Access events cross the IPC channel in batches, as Hyper batches child output: one message per
// ~50 ms of traffic (or per 500 events) instead of one per request.

import type { AccessEvent } from '../../../../shared/proxy.ts';
import type { Disposable } from '../../events.ts';

/** How long an access event may wait for others to share its message. */
export const ACCESS_FLUSH_MS = 50;
/** A batch this large goes at once. */
export const ACCESS_BATCH_MAX = 500;

/** Collects access events and delivers them in batches. */
export class AccessBatcher implements Disposable {
  private batch: AccessEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly deliver: (events: AccessEvent[]) => void;

  constructor(deliver: (events: AccessEvent[]) => void) {
    this.deliver = deliver;
  }

  push(event: AccessEvent): void {
    if (this.batch.push(event) >= ACCESS_BATCH_MAX) this.flush();
    else if (this.timer === null) this.timer = setTimeout(() => this.flush(), ACCESS_FLUSH_MS);
  }

  /** Delivers whatever is waiting now. */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.batch.length === 0) return;
    const events = this.batch;
    this.batch = [];
    this.deliver(events);
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.batch = [];
  }
}
