// Turns a byte stream into lines without ever holding more than one unfinished piece of a line.

/** Longest piece of a line stored as one entry; a longer line is stored as several pieces of this size. */
export const MAX_LINE_LENGTH = 16 * 1024;

/**
 * How much of one line is kept (8 pieces): enough for a long JSON log record or a stack trace
 * printed on one line, while a runaway line (a minified bundle, a base64 dump) costs at most this much
 * instead of its whole size. The rest of such a line is counted, not stored.
 */
export const MAX_KEPT_LINE_LENGTH = 8 * MAX_LINE_LENGTH;

/** The entry that stands for the dropped end of an over-long line. */
export function droppedNotice(bytes: number): string {
  return `[… ${bytes} more bytes of this line dropped: a log line keeps at most ${MAX_KEPT_LINE_LENGTH} characters]`;
}

/** Where to cut `text` at most `max` code units in, never between the two halves of a surrogate pair. */
function cutPoint(text: string, max: number): number {
  const code = text.charCodeAt(max - 1);
  return code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
}

/** Splits decoded chunks into lines (LF or CRLF); call `flush` at end of stream for the last partial line. */
export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8');
  private pending = '';
  /** Code units of the current line already handed on as pieces. */
  private kept = 0;
  /** UTF-8 bytes of the current line dropped past `MAX_KEPT_LINE_LENGTH`, or null while it is still kept. */
  private dropped: number | null = null;
  private readonly onLine: (text: string) => void;

  constructor(onLine: (text: string) => void) {
    this.onLine = onLine;
  }

  push(chunk: Uint8Array | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    let newline = text.indexOf('\n');
    if (newline === -1) {
      this.pending = this.takeUnfinished(this.pending + text);
      return;
    }
    let start = 0;
    if (this.pending !== '') {
      // Only the line that began in an earlier chunk is joined: joining the whole chunk would copy it.
      const first = this.pending + text.slice(0, newline);
      this.pending = '';
      this.endLine(first.endsWith('\r') ? first.slice(0, -1) : first);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    while (newline !== -1) {
      const end = newline > start && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      this.endLine(text.slice(start, end));
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    this.pending = this.takeUnfinished(text.slice(start));
  }

  flush(): void {
    const rest = this.pending + this.decoder.decode();
    this.pending = '';
    if (rest.length > 0 || this.dropped !== null) this.endLine(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
  }

  /**
   * Hands on the full pieces of a line still unfinished, rather than buffering it without end, and
   * returns what to hold. A trailing CR may be the first half of a CRLF, so it is held and never counts.
   */
  private takeUnfinished(text: string): string {
    const held = text.endsWith('\r') ? 1 : 0;
    let rest = text;
    while (this.dropped === null && rest.length - held > MAX_LINE_LENGTH) rest = this.keepPiece(rest);
    if (this.dropped === null) return rest;
    this.dropped += Buffer.byteLength(held ? rest.slice(0, -1) : rest);
    return held ? '\r' : '';
  }

  private endLine(line: string): void {
    let rest = line;
    while (this.dropped === null && rest.length > MAX_LINE_LENGTH) rest = this.keepPiece(rest);
    if (this.dropped === null) this.onLine(rest);
    else this.onLine(droppedNotice(this.dropped + Buffer.byteLength(rest)));
    this.kept = 0;
    this.dropped = null;
  }

  /** Hands on the first piece of `text` and returns the rest; once the line has used its share, dropping starts. */
  private keepPiece(text: string): string {
    const cut = cutPoint(text, MAX_LINE_LENGTH);
    this.onLine(text.slice(0, cut));
    this.kept += cut;
    if (this.kept >= MAX_KEPT_LINE_LENGTH) this.dropped = 0;
    return text.slice(cut);
  }
}
