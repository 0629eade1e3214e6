// Which program listens on a TCP port, so that "port 8080 is in use" can say by whom. Linux shows it
// in /proc: the listening socket's inode in /proc/net/tcp{,6}, and the process holding that inode
// among the file descriptors under /proc/PID/fd. Elsewhere, or for another user's process, it is unknown.
import { readdir, readFile, readlink } from 'node:fs/promises';

/** The process listening on a port, as far as the OS shows it. */
export interface PortHolder {
  pid: number;
  /** Its command line, shortened; empty when it cannot be read. */
  command: string;
}

// `st` 0A is TCP_LISTEN in the kernel's table.
const LISTEN_STATE = '0A';
const MAX_COMMAND_CHARS = 160;

/** The process listening on TCP `port`, or null when none is found or the OS does not say. */
export async function findPortHolder(port: number, proc = '/proc'): Promise<PortHolder | null> {
  if (process.platform !== 'linux') return null;
  const inodes = new Set<string>();
  for (const table of ['net/tcp', 'net/tcp6']) {
    for (const inode of await listeningInodes(`${proc}/${table}`, port)) inodes.add(inode);
  }
  if (inodes.size === 0) return null;
  const pid = await pidHoldingSocket(proc, inodes);
  return pid === null ? null : { pid, command: await commandLine(proc, pid) };
}

/** How a message names the holder: `pid 4242, python3 -m http.server 8080`. */
export function describePortHolder(holder: PortHolder): string {
  return holder.command === '' ? `pid ${holder.pid}` : `pid ${holder.pid}, ${holder.command}`;
}

async function listeningInodes(file: string, port: number): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  const inodes: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    const inode = fields[9];
    if (local === undefined || inode === undefined || fields[3] !== LISTEN_STATE) continue;
    // A socket still being set up has inode 0: nothing holds it yet.
    if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port && inode !== '0') inodes.push(inode);
  }
  return inodes;
}

async function pidHoldingSocket(proc: string, inodes: ReadonlySet<string>): Promise<number | null> {
  const wanted = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  let entries: string[];
  try {
    entries = await readdir(proc);
  } catch {
    return null;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = await readdir(`${proc}/${entry}/fd`);
    } catch {
      continue; // gone, or another user's
    }
    for (const fd of fds) {
      const target = await readlink(`${proc}/${entry}/fd/${fd}`).catch(() => '');
      if (wanted.has(target)) return Number(entry);
    }
  }
  return null;
}

async function commandLine(proc: string, pid: number): Promise<string> {
  try {
    const text = (await readFile(`${proc}/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean).join(' ');
    return text.length > MAX_COMMAND_CHARS ? `${text.slice(0, MAX_COMMAND_CHARS - 1)}…` : text;
  } catch {
    return '';
  }
}
