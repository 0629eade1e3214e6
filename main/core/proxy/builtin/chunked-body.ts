// A response body in chunked transfer coding (RFC 9112 §7.1), unframed as it arrives in reads of
// any size: chunk sizes (extensions ignored), data, and trailers, which are read and dropped.

import { ResponseParseError } from './response-head.ts';

/** Longest chunk-size or trailer line accepted. */
const MAX_LINE = 4096;
/** Most trailer bytes accepted. */
const MAX_TRAILERS = 16 * 1024;

const SIZE = 0;
const DATA = 1;
/** The CRLF after a chunk's data. */
const DATA_END = 2;
const TRAILERS = 3;
const DONE = 4;

const HEX_SIZE = /^[0-9a-fA-F]{1,13}$/;

/** One chunked body's decoder. */
export class ChunkedBody {
  /** The data slice the last `read` found, or null. */
  data: Buffer | null = null;
  private state = SIZE;
  private left = 0;
  /** A line split over reads. */
  private line = '';
  private trailerBytes = 0;

  /** True once the last chunk and the trailers were read. */
  get done(): boolean {
    return this.state === DONE;
  }

  /** Reads from `input` at `offset` up to one data slice (left in `data`); returns where it stopped. */
  read(input: Buffer, offset: number): number {
    this.data = null;
    let position = offset;
    while (position < input.length && this.state !== DONE) {
      if (this.state === DATA) {
        const take = Math.min(this.left, input.length - position);
        this.data = input.subarray(position, position + take);
        this.left -= take;
        if (this.left === 0) this.state = DATA_END;
        return position + take;
      }
      const lineEnd = input.indexOf(10, position);
      if (lineEnd === -1) {
        this.line += input.toString('latin1', position);
        if (this.line.length > MAX_LINE) throw new ResponseParseError('HPE_INVALID_CHUNK_SIZE', 'Chunk line too long');
        return input.length;
      }
      const line = this.line + input.toString('latin1', position, lineEnd);
      this.line = '';
      position = lineEnd + 1;
      if (!line.endsWith('\r')) throw new ResponseParseError('HPE_STRICT', 'Expected CRLF in chunked body');
      this.endLine(line.slice(0, -1));
    }
    return position;
  }

  private endLine(line: string): void {
    if (this.state === DATA_END) {
      if (line !== '') throw new ResponseParseError('HPE_STRICT', 'Expected CRLF after chunk data');
      this.state = SIZE;
    } else if (this.state === SIZE) {
      const semicolon = line.indexOf(';');
      const size = semicolon === -1 ? line : line.slice(0, semicolon);
      if (!HEX_SIZE.test(size)) throw new ResponseParseError('HPE_INVALID_CHUNK_SIZE', 'Invalid character in chunk size');
      this.left = parseInt(size, 16);
      this.state = this.left === 0 ? TRAILERS : DATA;
    } else if (line === '') {
      this.state = DONE;
    } else {
      this.trailerBytes += line.length;
      if (this.trailerBytes > MAX_TRAILERS) throw new ResponseParseError('HPE_HEADER_OVERFLOW', 'Trailers too large');
    }
  }
}
