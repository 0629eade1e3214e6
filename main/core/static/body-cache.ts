// File bodies (and their compressed forms) kept in memory so a hot file costs one stat per request
// instead of open, read and close. Every entry carries the version (inode, size, mtime) it was read
// at, and the caller passes the version it has just stat'ed: an edited file misses and is re-read.
// Entries left unused for a minute or two are dropped, so the memory a burst of traffic took is
// given back instead of being held for the rest of the day.

/** How often entries not used since the previous sweep are dropped. */
export const IDLE_SWEEP_MS = 60_000;

interface Entry {
  version: string;
  body: Buffer;
  /** Used since the last eviction pass (the CLOCK bit). */
  used: boolean;
  /** Used since the last idle sweep. */
  recent: boolean;
}

/** A map of buffers bounded by total bytes, evicting roughly the least recently used (CLOCK). */
export class BodyCache {
  private readonly entries = new Map<string, Entry>();
  /** Runs only while something is cached, and never keeps the process alive. */
  private sweeper: NodeJS.Timeout | undefined;
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
    entry.recent = true;
    return entry.body;
  }

  /** Stores `body` under `key` at `version`, evicting entries not used since the last sweep to stay in budget. */
  set(key: string, version: string, body: Buffer): void {
    this.delete(key);
    if (body.length > this.maxEntryBytes) return;
    this.entries.set(key, { version, body, used: false, recent: true });
    this.bytes += body.length;
    this.sweeper ??= setInterval(() => this.sweepIdle(), IDLE_SWEEP_MS).unref();
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

  /** How many bytes of bodies are held. */
  get size(): number {
    return this.bytes;
  }

  private sweepIdle(): void {
    for (const [key, entry] of this.entries) {
      if (entry.recent) entry.recent = false;
      else this.delete(key);
    }
    if (this.entries.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.body.length;
  }
}
