// Filtering 100,000 lines without freezing the page: a filtered view remembers which ring
// positions matched and how far it has scanned, so a new batch costs only its own lines, and a
// new filter scans in slices of a few milliseconds between frames. Recent filters are kept, so
// switching back to one is instant.

import type { LogLine } from '../../../shared/process.ts';
import type { Ring } from './ring.ts';

/** What the log view shows. */
export interface LogFilter {
  /** A process (`api-2`), an app or site (`api`: all its workers), or null for all. */
  source: { kind: 'process' | 'app'; name: string } | null;
  /** Case-insensitive regular expression over the text (colours stripped); '' for none. */
  search: string;
  stderrOnly: boolean;
}

/** Lines in order, however they were chosen. */
export interface LogView {
  readonly count: number;
  at(index: number): LogLine | undefined;
  /** Scans a little more; true once every held line was looked at. */
  advance(budgetMs: number): boolean;
  /** 0..1, how much of the ring has been scanned. */
  readonly progress: number;
}

/** A CSI escape sequence (colours, cursor moves); built from a string so the ESC stays visible. */
const ANSI_ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[ -/]*[@-~]`, 'g');

/** The text without colour codes, as a reader sees it. */
export function plainText(text: string): string {
  return text.includes('\u001b') ? text.replace(ANSI_ESCAPE, '') : text;
}

/** The search as a RegExp, or the reason it is not one. */
export function compileSearch(search: string): { regex: RegExp | null; error: string | null } {
  if (search === '') return { regex: null, error: null };
  try {
    return { regex: new RegExp(search, 'i'), error: null };
  } catch (error) {
    return { regex: null, error: error instanceof Error ? error.message : String(error) };
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A filter as a predicate; an invalid search filters nothing by text (the view says why). */
export function logPredicate(filter: LogFilter): ((line: LogLine) => boolean) | null {
  const { regex } = compileSearch(filter.search);
  const source = filter.source;
  const workerOf = source?.kind === 'app' ? new RegExp(`^${escapeRegExp(source.name)}-\\d+$`) : null;
  if (!source && !regex && !filter.stderrOnly) return null;
  return (line) => {
    if (filter.stderrOnly && line.stream !== 'stderr') return false;
    if (source && line.source !== source.name && !(workerOf && workerOf.test(line.source))) return false;
    if (regex && !regex.test(plainText(line.text))) return false;
    return true;
  };
}

export function filterKey(filter: LogFilter): string {
  const source = filter.source ? `${filter.source.kind}:${filter.source.name}` : '*';
  return `${source}\u0000${filter.stderrOnly ? 'err' : 'all'}\u0000${compileSearch(filter.search).error ? '' : filter.search}`;
}

/** Every held line. */
class WholeRing implements LogView {
  private readonly ring: Ring<LogLine>;
  constructor(ring: Ring<LogLine>) {
    this.ring = ring;
  }
  get count(): number {
    return this.ring.size;
  }
  at(index: number): LogLine | undefined {
    return this.ring.at(this.ring.start + index);
  }
  advance(): boolean {
    return true;
  }
  get progress(): number {
    return 1;
  }
}

/** The held lines that pass a predicate, found incrementally. */
export class FilteredRing implements LogView {
  private readonly ring: Ring<LogLine>;
  private readonly predicate: (line: LogLine) => boolean;
  /** Ring positions that matched, ascending; those before `head` were evicted. */
  private matches: number[] = [];
  private head = 0;
  /** Ring position up to which lines were tested. */
  private scanned = 0;
  private epoch: number;

  constructor(ring: Ring<LogLine>, predicate: (line: LogLine) => boolean) {
    this.ring = ring;
    this.predicate = predicate;
    this.epoch = ring.epoch;
  }

  get count(): number {
    this.dropEvicted();
    return this.matches.length - this.head;
  }

  at(index: number): LogLine | undefined {
    const position = this.matches[this.head + index];
    return position === undefined ? undefined : this.ring.at(position);
  }

  get progress(): number {
    const span = this.ring.end - this.ring.start;
    return span === 0 ? 1 : Math.min(1, Math.max(0, this.scanned - this.ring.start) / span);
  }

  advance(budgetMs: number): boolean {
    if (this.epoch !== this.ring.epoch) {
      this.epoch = this.ring.epoch;
      this.matches = [];
      this.head = 0;
      this.scanned = 0;
    }
    this.dropEvicted();
    const end = this.ring.end;
    let position = Math.max(this.scanned, this.ring.start);
    const deadline = performance.now() + budgetMs;
    while (position < end) {
      // Checking the clock costs more than a test; look at it every 1,024 lines.
      const sliceEnd = Math.min(end, position + 1024);
      for (; position < sliceEnd; position++) {
        if (this.predicate(this.ring.at(position) as LogLine)) this.matches.push(position);
      }
      if (performance.now() > deadline) break;
    }
    this.scanned = position;
    return position >= end;
  }

  private dropEvicted(): void {
    const start = this.ring.start;
    while (this.head < this.matches.length && (this.matches[this.head] as number) < start) this.head++;
    // Compact now and then rather than shifting on every eviction.
    if (this.head > 4096 && this.head * 2 > this.matches.length) {
      this.matches = this.matches.slice(this.head);
      this.head = 0;
    }
  }
}

/** The last few filtered views, by filter. */
export class LogViewCache {
  private readonly ring: Ring<LogLine>;
  private readonly views = new Map<string, LogView>();
  private readonly keep: number;

  constructor(ring: Ring<LogLine>, keep = 4) {
    this.ring = ring;
    this.keep = keep;
  }

  view(filter: LogFilter): LogView {
    const key = filterKey(filter);
    let view = this.views.get(key);
    if (view) {
      this.views.delete(key);
    } else {
      const predicate = logPredicate(filter);
      view = predicate ? new FilteredRing(this.ring, predicate) : new WholeRing(this.ring);
    }
    // Most recently used last; the oldest goes first.
    this.views.set(key, view);
    while (this.views.size > this.keep) this.views.delete(this.views.keys().next().value as string);
    return view;
  }
}
