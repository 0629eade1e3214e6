// Which TCP addresses a process tree listens on beyond loopback, read from the kernel's socket
// tables: no traffic is sent, so finding a worker open to the network costs nothing on the network.
// Linux only (/proc/net/tcp{,6} and each process's socket inodes); elsewhere nothing is found.

import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** TCP_LISTEN in /proc/net/tcp's `st` column. */
const LISTEN = '0A';

/** The listening sockets not bound to loopback, by socket inode, each as `host:port` (`0.0.0.0:8000`, `[::]:8000`). */
export type ExposedSockets = ReadonlyMap<string, string>;

/** One kernel table's address field (`0100007F:1F90`) as `host:port`, or null when it is loopback. */
function exposedAddress(field: string): string | null {
  const [hex, portHex] = field.split(':');
  if (hex === undefined || portHex === undefined) return null;
  // The address is stored as 32-bit words in the host's order (little-endian on every Linux Switchyard runs on).
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    for (let at = 6; at >= 0; at -= 2) bytes.push(Number.parseInt(hex.slice(word + at, word + at + 2), 16));
  }
  const port = Number.parseInt(portHex, 16);
  if (bytes.length === 4) return bytes[0] === 127 ? null : `${bytes.join('.')}:${port}`;
  const v4Mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (v4Mapped) return bytes[12] === 127 ? null : `${bytes.slice(12).join('.')}:${port}`;
  const ipv6Loopback = bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1;
  if (ipv6Loopback) return null;
  const groups = [];
  for (let at = 0; at < 16; at += 2) groups.push((((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0)).toString(16));
  // URL writes an IPv6 host the short way (`[::]`, `[fe80::1]`).
  return `${new URL(`http://[${groups.join(':')}]`).hostname}:${port}`;
}

/** The rows of this network namespace's TCP tables (IPv4, then IPv6) without their headers; null when neither can be read (no /proc). */
export function tcpTableRows(): string[] | null {
  let rows: string[] | null = null;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      // No IPv6 in this kernel, or no /proc.
      continue;
    }
    rows = [...(rows ?? []), ...text.split('\n').slice(1)];
  }
  return rows;
}

/** The socket inodes among `pid`'s descriptors (`socket:[12345]` is `12345`); null when they cannot be read (gone, or not ours). */
export function socketInodes(pid: number): string[] | null {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  const inodes: string[] = [];
  for (const fd of fds) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    if (target.startsWith('socket:[')) inodes.push(target.slice(8, -1));
  }
  return inodes;
}

/** The listening TCP sockets of this network namespace not bound to loopback; empty off Linux. */
export function exposedSockets(): ExposedSockets {
  const found = new Map<string, string>();
  if (process.platform !== 'linux') return found;
  for (const line of tcpTableRows() ?? []) {
    // Most rows are connections, not listeners: the state column is the only place ` 0A ` can
    // appear (the others are hex pairs joined by colons, or decimal), so they are skipped unsplit.
    if (!line.includes(` ${LISTEN} `)) continue;
    const columns = line.trim().split(/\s+/);
    const [, local, , state] = columns;
    const inode = columns[9];
    if (state !== LISTEN || local === undefined || inode === undefined) continue;
    const address = exposedAddress(local);
    if (address !== null) found.set(inode, address);
  }
  return found;
}

/** The addresses among `exposed` that any of `pids` holds open, each once. */
export function exposedBy(pids: readonly number[], exposed: ExposedSockets): string[] {
  if (exposed.size === 0) return [];
  const addresses = new Set<string>();
  for (const pid of pids) {
    for (const inode of socketInodes(pid) ?? []) {
      const address = exposed.get(inode);
      if (address !== undefined) addresses.add(address);
    }
  }
  return [...addresses].sort();
}

/**
 * A tree whose processes have not changed for SETTLED_AFTER_MS (a server binds its ports as it
 * starts, before its first passing check) is looked at again only every SETTLED_RECHECK_MS.
 */
export const SETTLED_AFTER_MS = 5000;
export const SETTLED_RECHECK_MS = 30_000;

function recheckPeriod(time: number): number {
  return Math.floor(time / SETTLED_RECHECK_MS);
}

/**
 * `exposedBy` for one tree, looked up again only when the tree's processes or the machine's exposed
 * sockets changed: reading every descriptor of every process each round was most of a round's cost
 * at rest. A bind, a close or a fork changes one or the other; a socket handed to a process already
 * in the tree (SCM_RIGHTS) is seen at the next change. The kernel's socket tables are dear to read
 * too (the kernel writes a line per socket of the machine), so a tree whose processes stayed the same
 * for 5 s, by when a server has bound its ports, asks for them only once per 30 s of the clock.
 */
export class TreeExposure {
  private key: string | null = null;
  private pids = '';
  private changedAt = 0;
  private lookedAt = 0;
  private addresses: string[] = [];

  /** `exposed` is called only when the tables are needed; `now` is the round's clock. */
  of(pids: readonly number[], exposed: () => ExposedSockets, now = Date.now()): string[] {
    const tree = pids.join(',');
    if (tree !== this.pids) {
      this.pids = tree;
      this.changedAt = now;
    } else if (now - this.changedAt >= SETTLED_AFTER_MS && recheckPeriod(now) === recheckPeriod(this.lookedAt)) {
      // Periods of the clock, not of each tree: every settled tree is due in the same round, which
      // reads the tables once for all of them.
      return this.addresses;
    }
    this.lookedAt = now;
    const table = exposed();
    const key = `${tree}|${[...table.keys()].join(',')}`;
    if (key !== this.key) {
      this.addresses = exposedBy(pids, table);
      this.key = key;
    }
    return this.addresses;
  }
}
