// Merged logs on the terminal, like docker compose: a coloured, aligned name prefix per process.
// Lines are written in batches so that a torrent of output costs one write per tick, not per line.

import type { LogLine } from '../../shared/process.ts';
import { escapeControls, paint } from './output.ts';

const PALETTE = ['cyan', 'yellow', 'green', 'magenta', 'blue', 'cyanBright', 'yellowBright', 'greenBright', 'magentaBright', 'blueBright'] as const;

/** Prints log lines with prefixes; call `flush` before exiting. */
export class LogPrinter {
  private readonly out: NodeJS.WritableStream;
  private readonly color: boolean;
  private width: number;
  private readonly prefixes = new Map<string, string>();
  private readonly colorOf = new Map<string, (typeof PALETTE)[number]>();
  private pending: string[] = [];
  private scheduled = false;

  constructor(out: NodeJS.WritableStream, color: boolean, names: readonly string[]) {
    this.out = out;
    this.color = color;
    this.width = Math.max('switchyard'.length, ...names.map((name) => name.length));
  }

  /** Prints a line; control characters in it are shown escaped, colour codes kept. */
  print(line: LogLine): void {
    const text = escapeControls(line.text);
    const body = line.stream === 'system' ? paint(this.color, 'dim', text) : text;
    this.pending.push(this.prefix(line.source) + body);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** A line from Switchyard itself, not from a process. */
  note(text: string): void {
    this.print({ seq: 0, time: Date.now(), source: 'switchyard', stream: 'stdout', text });
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    this.out.write(text);
  }

  private prefix(source: string): string {
    let prefix = this.prefixes.get(source);
    if (prefix === undefined) {
      if (source.length > this.width) {
        // A new, longer name (scaling up) widens the column from now on.
        this.width = source.length;
        this.prefixes.clear();
      }
      const style = source === 'switchyard' ? 'bold' : this.styleFor(source);
      prefix = paint(this.color, style, source.padEnd(this.width) + ' |') + ' ';
      this.prefixes.set(source, prefix);
    }
    return prefix;
  }

  /** Each process takes the next palette colour, in order of first appearance, as docker compose does. */
  private styleFor(source: string): (typeof PALETTE)[number] {
    let style = this.colorOf.get(source);
    if (!style) {
      style = PALETTE[this.colorOf.size % PALETTE.length] as (typeof PALETTE)[number];
      this.colorOf.set(source, style);
    }
    return style;
  }
}
