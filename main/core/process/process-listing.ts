// The machine's processes as parent links, read once per round for every tree of a stack, and each
// tree's usage. Linux reads /proc and spawns nothing: a round lists /proc's entries, reads the stat
// of the pids it has not seen (and of those whose parent ended, as they were re-parented), then
// only the trees asked about. Other POSIX systems run one `ps` per round; Windows keeps pidtree and
// pidusage (a WMI query each), as it has no ps.

import { execFile } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import pidtree from 'pidtree';
import pidusage from 'pidusage';

/** One process as a round saw it. */
export interface ProcessRow {
  pid: number;
  ppid: number;
  /** CPU time it has used so far (user and system, every thread), in milliseconds. */
  cpuTime: number;
  /** Resident memory, in bytes. */
  memory: number;
  /** Epoch milliseconds it started. */
  startedAt: number;
}

/** The machine's processes, read a round at a time. */
export interface ProcessListing {
  /** Reads the machine's parent links anew: one listing. */
  refresh(): Promise<void>;
  /** `root` and everything under it as of the last refresh, each after its parent (siblings by pid), with its usage now; empty once `root` is gone. */
  tree(root: number): Promise<ProcessRow[]>;
}

/** The listing this system supports. */
export function processListing(): ProcessListing {
  if (process.platform === 'linux') return new ProcListing();
  return process.platform === 'win32' ? new WindowsListing() : new PsListing();
}

/** Direct children by parent, from parent links. */
function childrenByParent(parents: ReadonlyMap<number, number>): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) {
    const siblings = children.get(ppid);
    if (siblings) siblings.push(pid);
    else children.set(ppid, [pid]);
  }
  return children;
}

/** `root` and its descendants, each after its parent, siblings by pid; `accept` may drop one (and all under it). */
function walk(root: number, children: ReadonlyMap<number, number[]>, accept: (pid: number, parent: number) => boolean): number[] {
  const ordered: number[] = [];
  const visit = (pid: number) => {
    for (const child of [...(children.get(pid) ?? [])].sort((a, b) => a - b)) {
      if (!accept(child, pid)) continue;
      ordered.push(child);
      visit(child);
    }
  };
  ordered.push(root);
  visit(root);
  return ordered;
}

/** One entry of /proc/self/auxv, the values the kernel handed this process at start (64-bit layout). */
function auxValue(type: number): number | null {
  try {
    const auxv = readFileSync('/proc/self/auxv');
    for (let at = 0; at + 16 <= auxv.length; at += 16) {
      if (Number(auxv.readBigUInt64LE(at)) === type) return Number(auxv.readBigUInt64LE(at + 8));
    }
  } catch {
    // No auxv to read: the usual values below.
  }
  return null;
}

/** AT_PAGESZ and AT_CLKTCK in auxv: read there rather than by running `getconf`. */
const PAGE_SIZE = auxValue(6) ?? 4096;
const CLOCK_TICKS = auxValue(17) ?? 100;

/** Linux: /proc, with parent links kept from round to round. */
class ProcListing implements ProcessListing {
  /** Parent by pid, for every process of the machine as of the last refresh. */
  private parents = new Map<number, number>();
  private children = new Map<number, number[]>();
  private readonly buffer = Buffer.alloc(1024);

  async refresh(): Promise<void> {
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      entries = [];
    }
    const listed = new Set<number>();
    for (const entry of entries) {
      const first = entry.charCodeAt(0);
      if (first >= 48 && first <= 57) listed.add(Number(entry));
    }
    const parents = new Map<number, number>();
    for (const pid of listed) {
      const known = this.parents.get(pid);
      // A process's parent changes only when its parent ends: then it is read again, as are newcomers.
      if (known !== undefined && (known === 0 || listed.has(known))) {
        parents.set(pid, known);
        continue;
      }
      const row = this.read(pid);
      if (row !== null) parents.set(pid, row.ppid);
    }
    this.parents = parents;
    this.children = childrenByParent(parents);
  }

  async tree(root: number): Promise<ProcessRow[]> {
    const rows = new Map<number, ProcessRow>();
    const rootRow = this.read(root);
    if (rootRow === null) return [];
    rows.set(root, rootRow);
    // Each one is read now, for its usage; one whose parent is not the one listed left the tree (or is another process under a reused pid).
    const pids = walk(root, this.children, (pid, parent) => {
      const row = this.read(pid);
      if (row === null || row.ppid !== parent) return false;
      rows.set(pid, row);
      return true;
    });
    return pids.map((pid) => rows.get(pid) as ProcessRow);
  }

  /** /proc/PID/stat as a row, or null once the process is gone or a zombie. */
  private read(pid: number): ProcessRow | null {
    let text: string;
    let fd: number;
    try {
      fd = openSync(`/proc/${pid}/stat`, 'r');
    } catch {
      return null;
    }
    try {
      text = this.buffer.toString('latin1', 0, readSync(fd, this.buffer, 0, this.buffer.length, 0));
    } catch {
      return null;
    } finally {
      closeSync(fd);
    }
    // The command may hold spaces and parentheses: the fields start after its last ')', at field 3 (state).
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields.length < 22) return null;
    const ticks = (field: string | undefined) => (Number(field) * 1000) / CLOCK_TICKS;
    return {
      pid,
      ppid: Number(fields[1]),
      cpuTime: ticks(fields[11]) + ticks(fields[12]),
      memory: Number(fields[21]) * PAGE_SIZE,
      startedAt: bootTime() + ticks(fields[19]),
    };
  }
}

/** When the machine booted, in epoch milliseconds: start times in /proc count from it. */
let booted: number | null = null;
function bootTime(): number {
  if (booted === null) {
    try {
      booted = Date.now() - Number.parseFloat(readFileSync('/proc/uptime', 'latin1')) * 1000;
    } catch {
      booted = 0;
    }
  }
  return booted;
}

const run = promisify(execFile);

/** `[[dd-]hh:]mm:ss[.cc]`, as ps prints CPU time and elapsed time, in milliseconds. */
export function psDuration(text: string): number {
  const [days, clock] = text.includes('-') ? text.split('-') : ['0', text];
  const parts = (clock ?? '').split(':').map(Number);
  const seconds = parts.reduce((sum, part) => sum * 60 + part, 0);
  return (Number(days) * 86_400 + seconds) * 1000;
}

/** macOS and the BSDs: one `ps` listing per round, usage included. */
class PsListing implements ProcessListing {
  private rows = new Map<number, ProcessRow>();
  private children = new Map<number, number[]>();

  async refresh(): Promise<void> {
    const rows = new Map<number, ProcessRow>();
    try {
      // `=` after each column: no header line.
      const { stdout } = await run('ps', ['-A', '-o', 'pid=,ppid=,rss=,time=,etime='], { maxBuffer: 16 * 1024 * 1024 });
      const now = Date.now();
      for (const line of stdout.split('\n')) {
        const [pid, ppid, rss, time, etime] = line.trim().split(/\s+/);
        if (pid === undefined || etime === undefined) continue;
        const row = { pid: Number(pid), ppid: Number(ppid), memory: Number(rss) * 1024, cpuTime: psDuration(time ?? ''), startedAt: now - psDuration(etime) };
        if (Number.isFinite(row.pid)) rows.set(row.pid, row);
      }
    } catch {
      // No ps: nothing is listed, and every tree reads as gone.
    }
    this.rows = rows;
    this.children = childrenByParent(new Map([...rows.values()].map((row) => [row.pid, row.ppid])));
  }

  async tree(root: number): Promise<ProcessRow[]> {
    if (!this.rows.has(root)) return [];
    return walk(root, this.children, () => true).map((pid) => this.rows.get(pid) as ProcessRow);
  }
}

/** Windows: one pidtree listing per round for the parent links; pidusage for each tree's processes. */
class WindowsListing implements ProcessListing {
  private children = new Map<number, number[]>();

  async refresh(): Promise<void> {
    try {
      const links = await pidtree(-1, { advanced: true });
      this.children = childrenByParent(new Map(links.map((link) => [link.pid, link.ppid])));
    } catch {
      this.children = new Map();
    }
  }

  async tree(root: number): Promise<ProcessRow[]> {
    const pids = walk(root, this.children, () => true);
    // One pid at a time: a batch call fails whole when any process in it ended while it looked.
    const settled = await Promise.allSettled(pids.map((pid) => pidusage(pid)));
    return settled.flatMap((stat) =>
      stat.status === 'fulfilled'
        ? [{ pid: stat.value.pid, ppid: stat.value.ppid, cpuTime: stat.value.ctime, memory: stat.value.memory, startedAt: stat.value.timestamp - stat.value.elapsed }]
        : [],
    );
  }
}
