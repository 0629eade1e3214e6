// Every process's output, kept in one bounded ring per process and fanned out to subscribers.
// JavaScript runs one callback at a time, so taking a snapshot and registering a listener in the
// same synchronous call means no line can fall between the two (process-compose does this under a lock).

import type { LogLine, LogStream } from '../../../shared/process.ts';
import { Emitter, type Disposable } from '../events.ts';
import { LogRing } from './log-ring.ts';

/** Lines kept per process unless configured otherwise. */
export const DEFAULT_RETAINED_LINES = 10_000;

/** Which processes a reader wants: a set of names, a test of a name (it may admit processes yet to come), or null for all. */
export type SourceFilter = ReadonlySet<string> | ((source: string) => boolean) | null;

/** Picks the lines a reader wants: by process and by sequence number. */
export interface LogSelector {
  sources: SourceFilter;
  /** Only lines with a larger seq. */
  after?: number;
  /** At most this many of the newest lines. */
  tail?: number;
}

/** A live subscription: the lines already there, and the listener's handle. */
export interface SnapshotSubscription extends Disposable {
  snapshot: LogLine[];
}

/** Bounded per-process log retention with subscribe-with-snapshot. */
export class LogStore {
  private readonly buffers = new Map<string, LogRing>();
  private readonly _onLine = new Emitter<LogLine>();
  /** Fires for every line as it is appended. */
  readonly onLine = this._onLine.event;
  private readonly _onTextLine = new Emitter<LogLine>();
  /**
   * Fires for every line appended as text: all but the lines made from values (the proxy's access
   * records). A listener here costs nothing per proxied request; one on onLine formats each record.
   */
  readonly onTextLine = this._onTextLine.event;
  private nextSeq = 1;
  private readonly retainedLines: number;

  constructor(retainedLines = DEFAULT_RETAINED_LINES) {
    this.retainedLines = retainedLines;
  }

  append(source: string, stream: LogStream, text: string, time = Date.now()): LogLine {
    this.writer(source)(stream, text, time);
    return { seq: this.nextSeq - 1, time, source, stream, text };
  }

  /** A fast appender for one source: the per-line hot path of a process's output. */
  writer(source: string): (stream: LogStream, text: string, time: number) => void {
    const target = this.ring(source);
    const all = this._onLine;
    const texts = this._onTextLine;
    return (stream, text, time) => {
      const seq = this.nextSeq++;
      target.push(seq, time, stream, text);
      // A line object is made only when somebody listens.
      if (all.listenerCount === 0 && texts.listenerCount === 0) return;
      const line = { seq, time, source, stream, text };
      all.fire(line);
      texts.fire(line);
    };
  }

  /**
   * An appender for one source's lines made from values (the proxy's access records): each is kept
   * as it is and formatted only when read, or at once while somebody listens.
   */
  deferredWriter<T extends object>(source: string, format: (value: T) => string): (stream: LogStream, value: T, time: number) => void {
    const target = this.ring(source);
    const emitter = this._onLine;
    return (stream, value, time) => {
      const seq = this.nextSeq++;
      target.pushDeferred(seq, time, stream, value, format);
      if (emitter.listenerCount > 0) emitter.fire({ seq, time, source, stream, text: format(value) });
    };
  }

  private ring(source: string): LogRing {
    let ring = this.buffers.get(source);
    if (!ring) {
      ring = new LogRing(source, this.retainedLines);
      this.buffers.set(source, ring);
    }
    return ring;
  }

  /** Retained lines matching the selector, oldest first. */
  query(selector: LogSelector): LogLine[] {
    const after = selector.after ?? 0;
    const tail = selector.tail ?? Number.POSITIVE_INFINITY;
    const picked: LogLine[][] = [];
    const wanted = toPredicate(selector.sources);
    for (const [source, ring] of this.buffers) {
      if (wanted && !wanted(source)) continue;
      picked.push(ring.newest(tail, after));
    }
    const merged = picked.length === 1 ? (picked[0] as LogLine[]) : picked.flat().sort((a, b) => a.seq - b.seq);
    return merged.length > tail ? merged.slice(merged.length - tail) : merged;
  }

  /** The matching retained lines plus every later matching line, with nothing lost in between. */
  subscribe(selector: LogSelector, listener: (line: LogLine) => void): SnapshotSubscription {
    const snapshot = this.query(selector);
    const wanted = toPredicate(selector.sources);
    const subscription = this.onLine((line) => {
      if (!wanted || wanted(line.source)) listener(line);
    });
    return { snapshot, dispose: () => subscription.dispose() };
  }

  /** Every process name that has written a line. */
  sources(): string[] {
    return [...this.buffers.keys()];
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }
}

function toPredicate(filter: SourceFilter): ((source: string) => boolean) | null {
  if (filter === null || typeof filter === 'function') return filter;
  return (source) => filter.has(source);
}
