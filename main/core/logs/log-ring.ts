// One process's retained lines, stored column by column: a line costs its text and three array
// slots, not an object. Objects are made only for the few lines a reader asks for. A line may also
// be kept as the value it is written from (an access record), its text made only when read. The
// ring's arithmetic is the core's one ring (ring-buffer.ts); only the storage is this file's.

import type { LogLine, LogStream } from '../../../shared/process.ts';
import { RingSlots } from './ring-buffer.ts';

const STREAMS: readonly LogStream[] = ['stdout', 'stderr', 'system'];
const STREAM_CODE: Readonly<Record<LogStream, number>> = { stdout: 0, stderr: 1, system: 2 };

/** A bounded FIFO of one source's lines; the oldest is evicted when full. */
export class LogRing {
  readonly source: string;
  private readonly slots: RingSlots;
  /** A line's text, or the value its text is made from by `format`. */
  private readonly texts: unknown[];
  private format: ((value: never) => string) | null = null;
  private readonly seqs: Float64Array;
  private readonly times: Float64Array;
  private readonly streams: Uint8Array;

  constructor(source: string, capacity: number) {
    this.slots = new RingSlots(capacity);
    this.source = source;
    this.texts = new Array<unknown>(capacity);
    this.seqs = new Float64Array(capacity);
    this.times = new Float64Array(capacity);
    this.streams = new Uint8Array(capacity);
  }

  get capacity(): number {
    return this.slots.capacity;
  }

  get size(): number {
    return this.slots.size;
  }

  push(seq: number, time: number, stream: LogStream, text: string): void {
    this.store(seq, time, stream, text);
  }

  /**
   * Keeps `value` for a line whose text `format` makes when the line is read: the access log's
   * lines, one per proxied request, are mostly never read, and a formatted line kept for each cost
   * the core more CPU (in its making and its garbage collection) than the rest of the request.
   */
  pushDeferred<T extends object>(seq: number, time: number, stream: LogStream, value: T, format: (value: T) => string): void {
    this.format = format as (value: never) => string;
    this.store(seq, time, stream, value);
  }

  private store(seq: number, time: number, stream: LogStream, text: unknown): void {
    const slot = this.slots.claim();
    this.texts[slot] = text;
    this.seqs[slot] = seq;
    this.times[slot] = time;
    this.streams[slot] = STREAM_CODE[stream];
  }

  /** The newest lines with seq above `after`, at most `limit` of them, oldest first. */
  newest(limit: number, after = 0): LogLine[] {
    const out: LogLine[] = [];
    for (let i = this.size - 1; i >= 0 && out.length < limit; i--) {
      const slot = this.slots.slotOf(i);
      if ((this.seqs[slot] as number) <= after) break;
      out.push(this.lineAt(slot));
    }
    return out.reverse();
  }

  private lineAt(slot: number): LogLine {
    return {
      seq: this.seqs[slot] as number,
      time: this.times[slot] as number,
      source: this.source,
      stream: STREAMS[this.streams[slot] as number] as LogStream,
      text: this.textAt(slot),
    };
  }

  private textAt(slot: number): string {
    const text = this.texts[slot];
    return typeof text === 'string' ? text : (this.format as (value: unknown) => string)(text);
  }
}
