// The proxy's access events, kept in a bounded buffer for the UI and written as log lines for
// `switchyard logs proxy`, one per request, as nginx's access log does.

import type { AccessRecord } from '../../../shared/api.ts';
import type { AccessEvent } from '../../../shared/proxy.ts';
import { Emitter } from '../events.ts';
import { RingBuffer } from '../logs/ring-buffer.ts';

/** Access events kept unless configured otherwise. */
export const DEFAULT_RETAINED_ACCESS_EVENTS = 10_000;

/** Where a request was answered: the app or static site, and the run. */
export interface AccessOrigin {
  app: string | null;
  process: string | null;
}

const NO_ORIGIN: AccessOrigin = { app: null, process: null };

/** The most recent access events, numbered in arrival order. */
export class AccessLog {
  private readonly events: RingBuffer<AccessRecord>;
  private total = 0;
  private readonly _onRecords = new Emitter<readonly AccessRecord[]>();
  /** Fires with each batch as it is recorded. */
  readonly onRecords = this._onRecords.event;

  constructor(capacity = DEFAULT_RETAINED_ACCESS_EVENTS) {
    this.events = new RingBuffer(capacity);
  }

  /** Every event recorded since the start, including those no longer retained; also the last seq. */
  get count(): number {
    return this.total;
  }

  /**
   * Records a batch; `origin` names the app or static site and the run of the member that answered.
   * The events become the records, their seq, app and process filled in: an engine hands its events
   * over, and a second object per request cost the core more than the rest of its work on it.
   */
  add(events: readonly AccessEvent[], origin: (member: string) => AccessOrigin = () => NO_ORIGIN): readonly AccessRecord[] {
    for (const event of events) {
      const { app, process } = event.member === null ? NO_ORIGIN : origin(event.member);
      const record = event as AccessRecord;
      record.seq = ++this.total;
      record.app = app;
      record.process = process;
      this.events.push(record);
    }
    const records = events as readonly AccessRecord[];
    if (records.length > 0) this._onRecords.fire(records);
    return records;
  }

  /** The newest `n` events (all retained by default), oldest first; with `after`, only later ones. */
  recent(n?: number, after = 0): AccessRecord[] {
    const newest = this.events.last(n);
    if (after <= 0) return newest;
    const first = newest.findIndex((record) => record.seq > after);
    return first < 0 ? [] : newest.slice(first);
  }
}

/** One access log line: `200 GET /api/users 1.8ms 512B → api-2 route /api/ id 3f2a…`. */
export function formatAccess(event: AccessEvent): string {
  // Concatenated, not joined from parts: this runs once per request in the core.
  const status = event.status === 0 ? '---' : String(event.status);
  const duration = event.duration < 10 ? event.duration.toFixed(1) : Math.round(event.duration).toString();
  let line = `${status} ${event.method} ${event.path} ${duration}ms ${event.bytes}B → ${event.worker ? event.worker : '-'}`;
  if (event.route !== null) line += ` route ${event.route}`;
  if (event.attempts > 1) line += ` attempts ${event.attempts}`;
  if (event.error) line += ` (${event.error})`;
  return `${line} id ${event.requestId}`;
}
