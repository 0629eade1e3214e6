// The pipe nginx's access log arrives on. nginx opens its access log by path, and /dev/stdout cannot
// be opened when stdout is a socket pair (as Node's pipes to a child are: ENXIO), so its access log
// is a named pipe in its prefix instead, which the engine reads. The engine holds it open for
// reading and writing: nginx's open for writing (at start, on `nginx -t` and on each reload) waits
// for a reader, and a reader alone would reach end-of-file whenever no nginx runs.

import { execFileSync } from 'node:child_process';
import { constants, lstatSync, openSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';

/** A named pipe (FIFO) in nginx's prefix, read by the engine, written by each run of nginx (and opened by each `nginx -t`). */
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
    const fd = openSync(this.path, constants.O_RDWR | constants.O_NONBLOCK);
    this.stream = new net.Socket({ fd, readable: true, writable: false });
    return this.stream;
  }

  close(): void {
    this.stream?.destroy();
    this.stream = null;
    rmSync(this.path, { force: true });
  }
}
