// The pipe nginx's access log arrives on. nginx opens its access log by path, and /dev/stdout cannot
// be opened when stdout is a socket pair (as Node's pipes to a child are: ENXIO), so nginx's stdout
// is a named pipe in its prefix instead, which the engine reads. The engine holds it open for
// reading and writing, so that it never reaches end-of-file between two runs of nginx.

import { execFileSync } from 'node:child_process';
import { constants, lstatSync, openSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';

/** A named pipe (FIFO) in nginx's prefix, read by the engine, written by each run of nginx. */
export class AccessPipe {
  readonly path: string;
  private stream: net.Socket | null = null;

  constructor(prefix: string) {
    this.path = path.join(prefix, 'access.pipe');
  }

  /** Creates the pipe (anew, should an earlier run have left something there) and opens it for reading. */
  open(): Readable {
    if (this.stream) return this.stream;
    rmSync(this.path, { force: true });
    execFileSync('mkfifo', ['-m', '600', this.path]);
    if (!lstatSync(this.path).isFIFO()) throw new Error(`${this.path} is not a named pipe`);
    // Read and write: a reader alone would see end-of-file whenever no nginx runs.
    const fd = openSync(this.path, constants.O_RDWR | constants.O_NONBLOCK);
    this.stream = new net.Socket({ fd, readable: true, writable: false });
    return this.stream;
  }

  /** A descriptor for nginx's stdout: the write end of the pipe (never blocks to open, the engine reads it). */
  writer(): number {
    return openSync(this.path, constants.O_WRONLY);
  }

  close(): void {
    this.stream?.destroy();
    this.stream = null;
    rmSync(this.path, { force: true });
  }
}
