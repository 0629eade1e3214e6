// The proxy's access events, kept in a bounded buffer for the UI and written as log lines for
// `switchyard logs proxy`, one per request, as nginx's access log does.

import type { AccessEvent } from '../../../shared/proxy.ts';
import { RingBuffer } from '../logs/ring-buffer.ts';

/** Access events kept unless configured otherwise. */
export const DEFAULT_RETAINED_ACCESS_EVENTS = 10_000;

/** The most recent access events. */
export class AccessLog {
  private readonly events: RingBuffer<AccessEvent>;
  private total = 0;

  constructor(capacity = DEFAULT_RETAINED_ACCESS_EVENTS) {
    this.events = new RingBuffer(capacity);
  }

  /** Every event recorded since the start, including those no longer retained. */
  get count(): number {
    return this.total;
  }

  add(event: AccessEvent): void {
    this.events.push(event);
    this.total++;
  }

  /** The newest `n` events (all retained by default), oldest first. */
  recent(n?: number): AccessEvent[] {
    return this.events.last(n);
  }
}

/** One access log line: `200 GET /api/users 1.8ms 512B → api-2 route /api/ id 3f2a…`. */
export function formatAccess(event: AccessEvent): string {
  const status = event.status === 0 ? '---' : String(event.status);
  const duration = event.duration < 10 ? event.duration.toFixed(1) : Math.round(event.duration).toString();
  const parts = [status, event.method, event.path, `${duration}ms`, `${event.bytes}B`];
  parts.push(event.worker ? `→ ${event.worker}` : '→ -');
  if (event.route !== null) parts.push(`route ${event.route}`);
  if (event.attempts > 1) parts.push(`attempts ${event.attempts}`);
  if (event.error) parts.push(`(${event.error})`);
  parts.push(`id ${event.requestId}`);
  return parts.join(' ');
}
