// What a name on the command line or in the dashboard means: `all`, `proxy`, an app or static site
// (`api`, `web`), one of their processes by name (`api-2`) or one run by its id (`api#7`).

import { SwitchyardError } from '../errors.ts';
import type { Supervisor } from '../process/supervisor.ts';
import type { Pool } from './pool.ts';

/** What a name resolves to. */
export type Target =
  | { kind: 'all' }
  | { kind: 'proxy' }
  | { kind: 'pool'; pool: Pool }
  | { kind: 'run'; pool: Pool; run: Supervisor };

/** Resolves names against a stack's pools and whether it has a proxy. */
export class TargetResolver {
  private readonly pools: () => Iterable<Pool>;
  private readonly hasProxy: () => boolean;

  constructor(pools: () => Iterable<Pool>, hasProxy: () => boolean) {
    this.pools = pools;
    this.hasProxy = hasProxy;
  }

  /** What `name` names; throws a not-found error that lists the known names. */
  resolve(name: string): Target {
    if (name === 'all') return { kind: 'all' };
    if (name === 'proxy') {
      if (!this.hasProxy()) throw noProxy();
      return { kind: 'proxy' };
    }
    for (const pool of this.pools()) if (pool.name === name) return { kind: 'pool', pool };
    const run = this.run(name);
    if (run) return { kind: 'run', ...run };
    throw this.notFound(name);
  }

  /** The run a process name (its holder) or a run id names, with its pool. */
  run(name: string): { pool: Pool; run: Supervisor } | null {
    for (const pool of this.pools()) {
      const run = pool.runs.all().find((each) => each.name === name || each.id === name);
      if (run) return { pool, run };
    }
    return null;
  }

  notFound(name: string): SwitchyardError {
    const pools = [...this.pools()];
    const known = [...(this.hasProxy() ? ['proxy'] : []), ...pools.map((pool) => pool.name), ...pools.flatMap((pool) => pool.runs.members().map((run) => run.name))];
    return new SwitchyardError('not-found', `no app or process named '${name}'; known: ${[...new Set(known)].join(', ')}, all`);
  }
}

export function noProxy(): SwitchyardError {
  return new SwitchyardError('not-found', 'this stack has no proxy: add a proxy: section to the stack file');
}
