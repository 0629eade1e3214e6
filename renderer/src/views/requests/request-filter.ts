// Which access records the requests table shows, newest first.

import type { AccessRecord } from '../../../../shared/api.ts';
import type { LogLine } from '../../../../shared/process.ts';
import type { Ring } from '../../state/ring.ts';
import { statusClass } from '../../ui/format.ts';

export interface RequestFilter {
  /** Case-insensitive substring of method, path, status, worker, route, request id or error. */
  text: string;
  /** `2xx` … `5xx`, `error` (no status sent), or '' for all. */
  statusClass: string;
  /** An app or static site, or '' for all. */
  app: string;
}

export function filterRequests(ring: Ring<AccessRecord>, filter: RequestFilter): AccessRecord[] {
  const text = filter.text.trim().toLowerCase();
  const out: AccessRecord[] = [];
  for (let position = ring.end - 1; position >= ring.start; position--) {
    const record = ring.at(position) as AccessRecord;
    if (filter.statusClass && statusClass(record.status) !== filter.statusClass) continue;
    if (filter.app && record.app !== filter.app) continue;
    if (text && !haystack(record).includes(text)) continue;
    out.push(record);
  }
  return out;
}

function haystack(record: AccessRecord): string {
  return `${record.method} ${record.path} ${record.status} ${record.worker ?? ''} ${record.route ?? ''} ${record.requestId} ${record.error ?? ''}`.toLowerCase();
}

/** How far before and after a request the detail panel looks for its worker's log lines. */
export const AROUND_MS = 2000;

/** The worker's lines from 2 s before the request arrived to 2 s after it finished. */
export function linesAround(logs: Ring<LogLine>, record: AccessRecord, limit = 500): LogLine[] {
  if (!record.worker) return [];
  const from = record.time - AROUND_MS;
  const to = record.time + record.duration + AROUND_MS;
  const out: LogLine[] = [];
  for (let position = logs.lowerBound(from, (line) => line.time); position < logs.end && out.length < limit; position++) {
    const line = logs.at(position) as LogLine;
    if (line.time > to) break;
    if (line.source === record.worker) out.push(line);
  }
  return out;
}
