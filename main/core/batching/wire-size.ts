// About how many bytes an event takes as JSON, for batching and for measuring a consumer's
// backlog where no socket counts it: text fields by their length, the fixed ones by an allowance.
// Cheap on purpose (no serialising): it runs once per line and per request.

import type { EventEnvelope } from '../../../shared/events.ts';
import type { LogLine } from '../../../shared/process.ts';
import type { AccessEvent } from '../../../shared/proxy.ts';
import type { LogStreamItem } from '../../../shared/api.ts';

/** Keys, numbers and punctuation of a log line: `{"seq":…,"time":…,"source":"","stream":"stdout","text":""}`. */
const LOG_LINE_FIXED = 72;
/** The same for an access event (and the seq and app of its record). */
const ACCESS_FIXED = 200;
/** A process's state, a traffic sample, a load test's progress: small objects of fixed shape. */
const OTHER_EVENT = 1024;

export function logLineBytes(line: LogLine): number {
  return LOG_LINE_FIXED + line.source.length + line.text.length;
}

export function accessEventBytes(event: AccessEvent): number {
  return ACCESS_FIXED + event.path.length + event.requestId.length + (event.route?.length ?? 0) + (event.worker?.length ?? 0) + (event.error?.length ?? 0);
}

export function logStreamItemBytes(item: LogStreamItem): number {
  return 'line' in item ? logLineBytes(item.line) : 16;
}

export function envelopeBytes(envelope: EventEnvelope): number {
  switch (envelope.topic) {
    case 'logs':
      return envelope.data.reduce((sum, line) => sum + logLineBytes(line), 0);
    case 'access':
      return envelope.data.reduce((sum, record) => sum + accessEventBytes(record), 0);
    case 'metrics':
      return 32 + 64 * envelope.data.processes.length;
    default:
      return OTHER_EVENT;
  }
}
