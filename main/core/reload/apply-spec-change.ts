// Applies a changed stack file to the running pools without closing the proxy's listener: new
// pools first (so that routes to them have members to show), then the proxy's new configuration,
// then removals, reloads, in-place changes and scaling. A configuration the proxy refuses leaves
// everything as it ran; a reload whose new workers do not become ready leaves the old ones serving.

import type { StackSpec } from '../../../shared/stack.ts';
import { SwitchyardError } from '../errors.ts';
import { AppPool } from '../pools/app-pool.ts';
import type { Pool } from '../pools/pool.ts';
import { StaticPool } from '../pools/static-pool.ts';
import { TaskPool } from '../pools/task-pool.ts';
import { planSpecChange, type PoolSpec, type SpecChange } from './spec-change.ts';

/** The running pools a change is applied to. */
export interface RunningPools {
  readonly pools: Map<string, Pool>;
  /** Pools on their way out: they keep serving under their name until their runs have stopped. */
  readonly retiring: Set<Pool>;
  create(pool: PoolSpec): Pool;
  /** Starts a new pool, or holds it until what its depends_on names stands (pools/start-order.ts). */
  launch(pool: Pool): Promise<void>;
  /** Throws when the change would replace running processes before what they depend on stands. */
  admit(plan: SpecChange): void;
  /** Gives the proxy the routes and upstreams of `next` with the pools as they are now; rejects with the proxy's reason. */
  configure(next: StackSpec): Promise<void>;
}

/** Applies `next` over `previous`; returns one line per change. */
export async function applySpecChange(previous: StackSpec, next: StackSpec, running: RunningPools): Promise<string[]> {
  const plan = planSpecChange(previous, next);
  if (plan.listenChanged) {
    throw new SwitchyardError(
      'bad-request',
      'the proxy section was added or removed, or its listen address or engine changed; stop and start `switchyard up` to apply that (the running configuration is kept)',
    );
  }
  running.admit(plan);
  const outgoing = plan.removed.flatMap((name) => running.pools.get(name) ?? []);
  for (const pool of outgoing) {
    running.pools.delete(pool.name);
    running.retiring.add(pool);
  }
  const added = plan.added.map((spec) => running.create(spec));
  for (const pool of added) running.pools.set(pool.name, pool);
  await Promise.all(added.map((pool) => running.launch(pool)));
  try {
    await running.configure(next);
  } catch (error) {
    for (const pool of added) running.pools.delete(pool.name);
    for (const pool of outgoing) {
      running.retiring.delete(pool);
      running.pools.set(pool.name, pool);
    }
    await Promise.all(added.map((pool) => retire(pool)));
    throw error;
  }

  const changes: string[] = [];
  if (plan.routesChanged) changes.push(`routes: ${(next.proxy?.routes ?? []).map((route) => `${route.host ?? ''}${route.path} → ${route.to}`).join(', ')}`);
  if (plan.clientLimits !== '') changes.push(`proxy: ${plan.clientLimits}`);
  for (const pool of added) changes.push(`added ${describe(pool)} ${pool.name}`);
  await Promise.all(outgoing.map(async (pool) => {
    await retire(pool);
    running.retiring.delete(pool);
  }));
  for (const pool of outgoing) changes.push(`removed ${describe(pool)} ${pool.name}`);

  const scaled = new Map(plan.scaled.map(({ name, replicas }) => [name, replicas]));
  for (const spec of [...plan.replaced, ...plan.changedInPlace]) {
    const pool = running.pools.get(nameOf(spec));
    if (pool instanceof AppPool && spec.kind === 'app') pool.update(spec.spec);
    else if (pool instanceof StaticPool && spec.kind === 'static') pool.update(spec.site);
    else if (pool instanceof TaskPool && spec.kind === 'task') pool.update(spec.spec);
    if (!pool) continue;
    if (plan.replaced.includes(spec) && pool instanceof TaskPool) {
      const ran = await pool.reload();
      changes.push(ran.length > 0 ? `ran ${pool.name} again with its new settings` : `updated ${pool.name}; it runs with its new settings once what it waits for stands`);
    } else if (plan.replaced.includes(spec)) {
      // The new settings stay applied when the reload fails: a later start of any worker uses them,
      // and the next save (a fix) is compared with them.
      try {
        await pool.reload(null, true);
        changes.push(`reloaded ${pool.name} with its new settings`);
      } catch (error) {
        changes.push((error as Error).message);
      }
    } else {
      changes.push(`updated ${pool.name}'s settings in place (no worker replaced)`);
    }
  }
  for (const [name, replicas] of scaled) {
    const pool = running.pools.get(name);
    if (!(pool instanceof AppPool)) continue;
    const spec = next.apps.find((app) => app.name === name);
    if (spec) pool.update(spec);
    await pool.scale(replicas);
    changes.push(`scaled ${name} to ${replicas}`);
  }
  return changes;
}

/** Stops a pool's file watching and its runs, drained. */
async function retire(pool: Pool): Promise<void> {
  pool.dispose();
  await pool.runs.remove(pool.runs.members());
}

function describe(pool: Pool): string {
  return pool.kind === 'static' ? 'static site' : pool.kind;
}

function nameOf(pool: PoolSpec): string {
  return pool.kind === 'static' ? pool.site.name : pool.spec.name;
}
