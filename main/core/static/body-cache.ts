// File bodies (and their compressed forms) kept in memory so a hot file costs one stat per request
// instead of open, read and close. Every entry carries the version (inode, size, mtime) it was read
// at, and the caller passes the version it has just stat'ed: an edited file misses and is re-read.

/** A map of buffers bounded by total bytes, evicting roughly the least recently used (CLOCK). */
export class BodyCache {
  private readonly entries = new Map<string, { version: string; body: Buffer; used: boolean }>();
  private bytes = 0;
  private readonly maxBytes: number;
  private readonly maxEntryBytes: number;

  constructor(maxBytes: number, maxEntryBytes: number) {
    this.maxBytes = maxBytes;
    this.maxEntryBytes = maxEntryBytes;
  }

  /** The body stored under `key`, if it was stored at exactly `version`. */
  get(key: string, version: string): Buffer | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.version !== version) {
      this.delete(key);
      return undefined;
    }
    // A flag instead of moving the key to the young end: a hit stays one Map lookup.
    entry.used = true;
    return entry.body;
  }

  /** Stores `body` under `key` at `version`, evicting entries not used since the last sweep to stay in budget. */
  set(key: string, version: string, body: Buffer): void {
    this.delete(key);
    if (body.length > this.maxEntryBytes) return;
    this.entries.set(key, { version, body, used: false });
    this.bytes += body.length;
    // Each entry gets one second chance per sweep, so two passes always free enough room.
    let budget = this.entries.size * 2;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes || budget-- <= 0) break;
      this.entries.delete(oldest);
      if (entry.used) {
        entry.used = false;
        this.entries.set(oldest, entry);
      } else {
        this.bytes -= entry.body.length;
      }
    }
  }

  /** Whether a body of `size` bytes would be kept at all. */
  accepts(size: number): boolean {
    return size <= this.maxEntryBytes;
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.body.length;
  }
}
