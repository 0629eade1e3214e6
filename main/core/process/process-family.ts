// What one run's process tree looks like from sample to sample: its numbers, the processes under
// its own (a pre-fork master's workers) and which of them came and went, and the warnings it earns
// (listening beyond loopback). The supervisor writes the lines it returns into the worker's log.

import path from 'node:path';
import type { ChildProcessInfo } from '../../../shared/process.ts';
import type { TreeSample } from '../metrics/metrics-sampler.ts';
import type { ProcessSpec } from './process-spec.ts';

/** `pids` as a list, with the word for one or several. */
function pidList(pids: readonly number[], one: string, several: string): string {
  return `${pids.length === 1 ? one : several} ${pids.join(', ')}`;
}

/**
 * What a child coming and going says in the log: `child 1234 exited; 1240 started` (a master
 * re-forking a worker it lost), `children 1001, 1002, 1003 started`.
 */
export function describeChildChanges(before: ReadonlySet<number>, after: readonly ChildProcessInfo[]): string | null {
  const exited = [...before].filter((pid) => !after.some((child) => child.pid === pid));
  const started = after.filter((child) => !before.has(child.pid)).map((child) => child.pid);
  const parts: string[] = [];
  if (exited.length > 0) parts.push(`${pidList(exited, 'child', 'children')} exited`);
  if (started.length > 0) parts.push(exited.length > 0 ? `${started.join(', ')} started` : `${pidList(started, 'child', 'children')} started`);
  return parts.length === 0 ? null : parts.join('; ');
}

/** How a server named in `argv` is told to listen on loopback only. */
const LOOPBACK_FIXES: Record<string, string> = {
  gunicorn: 'gunicorn -b 127.0.0.1:$PORT',
  uvicorn: 'uvicorn --host 127.0.0.1',
  hypercorn: 'hypercorn -b 127.0.0.1:$PORT',
  daphne: 'daphne -b 127.0.0.1',
  'waitress-serve': 'waitress-serve --listen=127.0.0.1:$PORT',
  uwsgi: 'uwsgi --http-socket 127.0.0.1:$PORT',
  'manage.py': 'manage.py runserver 127.0.0.1:$PORT',
  node: "server.listen(port, '127.0.0.1')",
  bun: "Bun.serve({ hostname: '127.0.0.1' })",
  rails: 'rails server -b 127.0.0.1',
  puma: 'puma -b tcp://127.0.0.1:$PORT',
  php: 'php -S 127.0.0.1:$PORT',
};

/** The warning for a tree listening on `address` (`0.0.0.0:8000`), naming the fix for the server in `argv`. */
export function exposedWarning(address: string, argv: readonly string[]): string {
  const server = argv.map((arg) => path.basename(arg).replace(/\.(exe|cmd)$/i, '')).find((name) => name in LOOPBACK_FIXES);
  const fix = server === undefined ? 'bind it to 127.0.0.1' : `bind it to loopback (${LOOPBACK_FIXES[server]})`;
  return `listening on ${address}, which other machines can reach: the proxy needs only 127.0.0.1; ${fix}`;
}

/** One run's process tree over time. */
export class ProcessFamily {
  private sample: TreeSample | null = null;
  /** The children the log has been told of; null before the first sample of the run. */
  private known: Set<number> | null = null;
  private _warnings: string[] = [];
  private readonly spec: () => Pick<ProcessSpec, 'argv' | 'kind'>;

  constructor(spec: () => Pick<ProcessSpec, 'argv' | 'kind'>) {
    this.spec = spec;
  }

  get cpu(): number | null {
    return this.sample?.cpu ?? null;
  }

  get memory(): number | null {
    return this.sample?.memory ?? null;
  }

  get children(): ChildProcessInfo[] {
    return this.sample?.children ?? [];
  }

  get warnings(): string[] {
    return this._warnings;
  }

  /** Takes a sample of the running tree (null: it could not be read) and returns the log lines it calls for. */
  observe(sample: TreeSample | null): string[] {
    this.sample = sample;
    if (sample === null) return [];
    const lines: string[] = [];
    const changes = describeChildChanges(this.known ?? new Set(), sample.children);
    if (changes !== null) lines.push(changes);
    this.known = new Set(sample.children.map((child) => child.pid));
    // The proxy listens where the stack file says, beyond loopback when a person asked for it.
    const { kind, argv } = this.spec();
    const warnings = kind === 'worker' ? sample.exposed.map((address) => exposedWarning(address, argv)) : [];
    for (const warning of warnings) if (!this._warnings.includes(warning)) lines.push(`warning: ${warning}`);
    this._warnings = warnings;
    return lines;
  }

  /** The run ended: the next one starts with no children known and no warnings. */
  reset(): void {
    this.sample = null;
    this.known = null;
    this._warnings = [];
  }
}
