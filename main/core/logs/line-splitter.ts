// Turns a byte stream into lines without ever holding more than one unfinished line.

/** Longest line kept whole; a longer one is cut into pieces of this size so memory stays bounded. */
export const MAX_LINE_LENGTH = 16 * 1024;

/** Where to cut `text` at most `max` code units in, never between the two halves of a surrogate pair. */
function cutPoint(text: string, max: number): number {
  const code = text.charCodeAt(max - 1);
  return code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
}

/** Splits decoded chunks into lines (LF or CRLF); call `flush` at end of stream for the last partial line. */
export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8');
  private pending = '';
  private readonly onLine: (text: string) => void;

  constructor(onLine: (text: string) => void) {
    this.onLine = onLine;
  }

  push(chunk: Uint8Array | string): void {
    const text = this.pending + (typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }));
    let start = 0;
    let newline = text.indexOf('\n', start);
    while (newline !== -1) {
      const end = newline > start && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      this.emit(text.slice(start, end));
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    // A line still unfinished past the limit is emitted in pieces now rather than buffered without end.
    // A trailing CR may be the first half of a CRLF, so it never counts toward the limit.
    let rest = text.slice(start);
    while ((rest.endsWith('\r') ? rest.length - 1 : rest.length) > MAX_LINE_LENGTH) {
      const cut = cutPoint(rest, MAX_LINE_LENGTH);
      this.onLine(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    this.pending = rest;
  }

  flush(): void {
    const rest = this.pending + this.decoder.decode();
    this.pending = '';
    if (rest.length > 0) this.emit(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
  }

  private emit(line: string): void {
    let rest = line;
    while (rest.length > MAX_LINE_LENGTH) {
      const cut = cutPoint(rest, MAX_LINE_LENGTH);
      this.onLine(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    this.onLine(rest);
  }
}
