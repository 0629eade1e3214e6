// Drains one run's stdout and stderr into the log store, line by line, keeping the last stderr
// lines for the report of a crash.

import type { LogStream } from '../../../shared/process.ts';
import { LineSplitter } from '../logs/line-splitter.ts';
import { RingBuffer } from '../logs/ring-buffer.ts';
import type { SpawnedProcess } from './spawner.ts';

/** How many stderr lines a crashed or failed process reports. */
export const STDERR_TAIL_LINES = 20;

/** Reads a child's output to the end, always: a full pipe would block the child. */
export class OutputPump {
  private readonly stderrTail = new RingBuffer<string>(STDERR_TAIL_LINES);

  constructor(child: SpawnedProcess, write: (stream: LogStream, text: string, time: number) => void) {
    // One clock read per chunk, not per line: a chunk's lines arrived together.
    let now = 0;
    const out = new LineSplitter((text) => write('stdout', text, now));
    const err = new LineSplitter((text) => {
      this.stderrTail.push(text);
      write('stderr', text, now);
    });
    for (const [stream, lines] of [
      [child.stdout, out],
      [child.stderr, err],
    ] as const) {
      stream.on('data', (chunk: Buffer) => {
        now = Date.now();
        lines.push(chunk);
      });
      stream.on('end', () => lines.flush());
      stream.on('error', () => lines.flush());
    }
  }

  /** The last stderr lines read so far, oldest first. */
  lastStderr(): string[] {
    return this.stderrTail.last();
  }
}
