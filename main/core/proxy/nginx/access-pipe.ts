// The pipe nginx's access log arrives on. nginx opens its access log by path, and /dev/stdout cannot
// be opened when stdout is a socket pair (as Node's pipes to a child are: ENXIO), so its access log
// is a named pipe in its prefix instead, which the engine reads. The engine holds it open for
// reading and writing: nginx's open for writing (at start, on `nginx -t` and on each reload) waits
// for a reader, and a reader alone would reach end-of-file whenever no nginx runs. Reads land in
// one buffer of the pipe's own, handed to the reader as they come: no Buffer allocated, resized and
// pushed through a stream per read, which cost the core more than parsing the requests it carried.

import { execFileSync } from 'node:child_process';
import { constants, lstatSync, openSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Room for one read: a Linux pipe holds 64 KiB, so one read takes whatever nginx has written meanwhile. */
const READ_BUFFER_BYTES = 64 * 1024;

/** Where the pipe's bytes go. */
export interface AccessPipeReader {
  /** `length` bytes at the start of `bytes`, which are overwritten by the next read: use them before returning. */
  data(bytes: Buffer, length: number): void;
  end(): void;
}

/** A named pipe (FIFO) in nginx's prefix, read by the engine, written by each run of nginx (and opened by each `nginx -t`). */
export class AccessPipe {
  readonly path: string;
  private stream: net.Socket | null = null;

  constructor(prefix: string) {
    this.path = path.join(prefix, 'access.pipe');
  }

  /** Creates the pipe (anew, should an earlier run have left something there) and reads it into `reader`. */
  open(reader: AccessPipeReader): void {
    if (this.stream) return;
    rmSync(this.path, { force: true });
    execFileSync('mkfifo', ['-m', '600', this.path]);
    if (!lstatSync(this.path).isFIFO()) throw new Error(`${this.path} is not a named pipe`);
    const fd = openSync(this.path, constants.O_RDWR | constants.O_NONBLOCK);
    const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const onread = {
      buffer,
      callback: (length: number) => {
        reader.data(buffer, length);
        return true;
      },
    };
    this.stream = new net.Socket({ fd, readable: true, writable: false, onread });
    this.stream.on('end', () => reader.end());
  }

  close(): void {
    this.stream?.destroy();
    this.stream = null;
    rmSync(this.path, { force: true });
  }
}
