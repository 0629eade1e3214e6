// What a changed stack file changes, worked out before anything is touched, without processes:
// which pools are new or gone, which must have their processes replaced, which take the change in
// place, and whether the proxy's routes or client limits changed.

import type { AppSpec, StackSpec, StaticSiteSpec, TaskSpec } from '../../../shared/stack.ts';
import { buildProxyConfig, describeClientLimits } from '../proxy/proxy-config.ts';

/** One pool as the stack file declares it. */
export type PoolSpec = { kind: 'app'; spec: AppSpec } | { kind: 'static'; site: StaticSiteSpec } | { kind: 'task'; spec: TaskSpec };

/** The difference between two stack files, pool by pool. */
export interface SpecChange {
  /** The proxy's listen address or engine (or whether there is a proxy) changed: only a new `up` applies that. */
  listenChanged: boolean;
  /** New pools, and pools whose name now names the other kind (those are in `removed` too). */
  added: PoolSpec[];
  /** Names of pools that are gone or change kind. */
  removed: string[];
  /** Pools whose processes must be replaced (a rolling reload; a task runs again): what a process runs with changed. */
  replaced: PoolSpec[];
  /** Pools whose change needs no new process: balance, watch globs, health timings, restart, stop and reload settings, request limits, depends_on. */
  changedInPlace: PoolSpec[];
  /** Apps whose number of workers changed. */
  scaled: { name: string; replicas: number }[];
  /** The routes as the proxy sees them (a route that only moved in the file is no change). */
  routesChanged: boolean;
  /** The proxy's client limits that changed, as the stack file names them; empty when none did. */
  clientLimits: string;
}

/** The pools of a stack file, by name. */
export function poolsOf(spec: StackSpec): Map<string, PoolSpec> {
  const pools = new Map<string, PoolSpec>();
  for (const site of spec.statics) pools.set(site.name, { kind: 'static', site });
  for (const app of spec.apps) pools.set(app.name, { kind: 'app', spec: app });
  for (const task of spec.tasks) pools.set(task.name, { kind: 'task', spec: task });
  return pools;
}

/** Works out what applying `next` over `previous` changes. */
export function planSpecChange(previous: StackSpec, next: StackSpec): SpecChange {
  const before = poolsOf(previous);
  const after = poolsOf(next);
  const change: SpecChange = {
    listenChanged: JSON.stringify(previous.proxy?.listen ?? null) !== JSON.stringify(next.proxy?.listen ?? null) || (previous.proxy?.engine ?? 'builtin') !== (next.proxy?.engine ?? 'builtin'),
    added: [],
    removed: [],
    replaced: [],
    changedInPlace: [],
    scaled: [],
    routesChanged: false,
    clientLimits: '',
  };
  for (const [name, pool] of after) {
    const current = before.get(name);
    if (!current || current.kind !== pool.kind) {
      if (current) change.removed.push(name);
      change.added.push(pool);
      continue;
    }
    if (current.kind === 'static' && pool.kind === 'static') {
      if (JSON.stringify(current.site) !== JSON.stringify(pool.site) || previous.dir !== next.dir) change.replaced.push(pool);
      continue;
    }
    if (current.kind === 'task' && pool.kind === 'task') {
      // depends_on only orders starts: a task that already ran need not run again for it.
      const { dependsOn: was, container: _was, envFiles: _read, ...before } = current.spec;
      const { dependsOn: will, container: _will, envFiles: _reads, ...after } = pool.spec;
      if (JSON.stringify(before) !== JSON.stringify(after)) change.replaced.push(pool);
      else if (JSON.stringify(was) !== JSON.stringify(will)) change.changedInPlace.push(pool);
      continue;
    }
    if (current.kind === 'app' && pool.kind === 'app') {
      const { runs, inPlace } = compareApps(current.spec, pool.spec);
      if (runs) change.replaced.push(pool);
      else if (inPlace) change.changedInPlace.push(pool);
      if (current.spec.replicas !== pool.spec.replicas) change.scaled.push({ name, replicas: pool.spec.replicas });
    }
  }
  for (const name of before.keys()) if (!after.has(name)) change.removed.push(name);
  const proxyOf = (spec: StackSpec) => buildProxyConfig(spec, '', () => []);
  const [was, will] = [proxyOf(previous), proxyOf(next)];
  change.routesChanged = JSON.stringify(was.routes) !== JSON.stringify(will.routes);
  change.clientLimits = describeClientLimits(will.clients, was.clients);
  return change;
}

/**
 * What the supervisor or the proxy applies to running workers: balance, watch globs, health timings,
 * restart and stop settings, how the next reload is done, request limits (max_requests), and depends_on (which only orders starts). Anything else a worker sees or is checked on (its command, folder,
 * environment, port variable, health path, and any setting added later) needs new processes.
 */
function compareApps(a: AppSpec, b: AppSpec): { runs: boolean; inPlace: boolean } {
  const split = (spec: AppSpec) => {
    // `container` is for exports only, and `envFiles` only says where `env` came from: neither reaches a worker.
    const { name: _name, replicas: _replicas, container: _container, envFiles: _envFiles, balance, watch, health, restart, backoff, maxRestarts, minUptime, stop, reload, dependsOn, maxRequests, maxRequestsJitter, ...seen } = spec;
    const { path, ...timings } = health;
    return { seen: JSON.stringify([seen, path]), kept: JSON.stringify([balance, watch, timings, restart, backoff, maxRestarts, minUptime, stop, reload, dependsOn, maxRequests, maxRequestsJitter]) };
  };
  const [x, y] = [split(a), split(b)];
  return { runs: x.seen !== y.seen, inPlace: x.kept !== y.kept };
}
