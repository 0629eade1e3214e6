// One process's retained lines, stored column by column: a line costs its text and three array
// slots, not an object. Objects are made only for the few lines a reader asks for. The ring's
// arithmetic is the core's one ring (ring-buffer.ts); only the storage is this file's.

import type { LogLine, LogStream } from '../../../shared/process.ts';
import { RingSlots } from './ring-buffer.ts';

const STREAMS: readonly LogStream[] = ['stdout', 'stderr', 'system'];
const STREAM_CODE: Readonly<Record<LogStream, number>> = { stdout: 0, stderr: 1, system: 2 };

/** A bounded FIFO of one source's lines; the oldest is evicted when full. */
export class LogRing {
  readonly source: string;
  private readonly slots: RingSlots;
  private readonly texts: (string | undefined)[];
  private readonly seqs: Float64Array;
  private readonly times: Float64Array;
  private readonly streams: Uint8Array;

  constructor(source: string, capacity: number) {
    this.slots = new RingSlots(capacity);
    this.source = source;
    this.texts = new Array<string | undefined>(capacity);
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
      text: this.texts[slot] as string,
    };
  }
}
