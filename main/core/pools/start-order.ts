// The order in which a stack's pools start (depends_on): a pool whose dependencies do not stand yet
// is held, its processes shown `waiting` (or `blocked`, when what it waits for failed) with a reason
// that names what it waits for, and started as soon as they stand. Dependencies gate starting only,
// as in docker compose: a running app is never stopped because what it waited for went away, and a
// person's restart, start, reload or scale of a pool is refused, with the reason, while its
// dependencies do not stand.

import { HELD_STATES, LIVE_STATES, type ProcessInfo } from '../../../shared/process.ts';
import type { Dependency, DependencyCondition, StackSpec } from '../../../shared/stack.ts';
import { SwitchyardError } from '../errors.ts';
import type { Disposable, Event } from '../events.ts';
import type { SpecChange } from '../reload/spec-change.ts';
import type { Pool } from './pool.ts';

/** How a held pool's processes are shown. */
export type HoldState = 'waiting' | 'blocked';

/** Why a pool may not start now: what it waits for, or what failed (`culprit`, the pool to fix). Null when its dependencies stand. */
export type Standing = { state: HoldState; reason: string; culprit?: string } | null;

/** What the order reads from and does to the stack around it. */
export interface OrderedStack {
  /** The running pools, by name. */
  pools: ReadonlyMap<string, Pool>;
  /** The stack file as applied, or as being applied. */
  spec(): StackSpec;
  stopping(): boolean;
  /** Fires on every state change of any process. */
  onProcessChange: Event<unknown>;
  /** A line in the log of `source` from Switchyard itself. */
  note(source: string, text: string): void;
}

/** Starts pools in dependency order and holds those whose dependencies do not stand. */
export class StartOrder implements Disposable {
  private readonly stack: OrderedStack;
  /** Pools held since their launch, with the reason last shown. */
  private readonly held = new Map<string, string>();
  private scheduled = false;
  private readonly subscription: Disposable;

  constructor(stack: OrderedStack) {
    this.stack = stack;
    this.subscription = stack.onProcessChange(() => this.schedule());
  }

  /** Starts every pool whose dependencies stand and holds the others; resolves once the first are spawned. */
  async start(): Promise<void> {
    await Promise.all([...this.stack.pools.values()].map((pool) => this.launch(pool)));
  }

  /** Starts one pool, or holds it until its dependencies stand. */
  launch(pool: Pool): Promise<void> {
    const standing = this.standingIn(this.stack.spec(), pool.name);
    if (standing === null) return pool.start();
    this.hold(pool, standing);
    return Promise.resolve();
  }

  /** Whether a pool is held by its dependencies (its processes have not started). */
  isHeld(name: string): boolean {
    return this.held.has(name);
  }

  /** Throws, saying why, when `verb` (restart, reload…) of pool `name` would start a process before its dependencies stand. */
  refuse(name: string, verb: string): void {
    const standing = this.standingIn(this.stack.spec(), name);
    if (standing === null) return;
    const help = standing.culprit ? `; fix ${standing.culprit}, then run it again (switchyard restart ${standing.culprit}) and ${name} starts on its own` : '';
    throw new SwitchyardError('bad-request', `cannot ${verb} ${name}: ${standing.reason}${help}`);
  }

  /**
   * Refuses a changed stack file that would replace running processes before what they now depend on
   * stands (a dependency on a task added in the same change, or one that has not completed).
   */
  admit(plan: SpecChange, next: StackSpec): void {
    const added = new Set(plan.added.map((pool) => (pool.kind === 'static' ? pool.site.name : pool.spec.name)));
    const replacing = [...plan.replaced.map((pool) => (pool.kind === 'static' ? pool.site.name : pool.spec.name)), ...plan.scaled.map((each) => each.name)];
    for (const name of replacing) {
      const pool = this.stack.pools.get(name);
      if (!pool || this.isHeld(name) || !pool.runs.members().some((run) => LIVE_STATES.includes(run.state) || run.state === 'exited')) continue;
      const fresh = dependenciesOf(next, name).filter((dependency) => added.has(dependency.on));
      const standing = fresh.length > 0 ? { reason: `waiting for ${describe(fresh)}, which this change adds` } : this.standingIn(next, name);
      if (standing === null) continue;
      throw new SwitchyardError(
        'bad-request',
        `${name} would be replaced or run again now, but it is ${standing.reason.replace(/^blocked: /, 'blocked by ')}; apply the new dependency first (save the file without the other changes to ${name}), or let what it waits for complete and save again`,
      );
    }
  }

  dispose(): void {
    this.subscription.dispose();
  }

  private hold(pool: Pool, standing: NonNullable<Standing>): void {
    if (this.held.get(pool.name) !== standing.reason) this.stack.note(pool.name, standing.reason);
    this.held.set(pool.name, standing.reason);
    pool.hold(standing.state, standing.reason);
  }

  /** Re-reads the held pools once per burst of changes (holding and starting are changes too). */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.reconsider();
    });
  }

  private reconsider(): void {
    if (this.stack.stopping()) return;
    for (const name of [...this.held.keys()]) {
      const pool = this.stack.pools.get(name);
      if (!pool) {
        this.held.delete(name);
        continue;
      }
      const standing = this.standingIn(this.stack.spec(), name);
      if (standing !== null) {
        this.hold(pool, standing);
        continue;
      }
      this.held.delete(name);
      this.stack.note(name, `starting: ${describe(dependenciesOf(this.stack.spec(), name))}`);
      pool.start().catch((error: Error) => this.stack.note(name, `could not start: ${error.message}`));
    }
  }

  /** `seen` guards against a cycle, which the stack file's checks already refuse. */
  private standingIn(spec: StackSpec, name: string, seen = new Set<string>()): Standing {
    const waiting: Dependency[] = [];
    const blocked: { blocked: string; culprit: string }[] = [];
    seen.add(name);
    for (const dependency of dependenciesOf(spec, name)) {
      const target = this.stack.pools.get(dependency.on);
      const verdict = target ? judge(target, dependency.condition) : 'unmet';
      if (verdict === 'unmet') waiting.push(dependency);
      else if (verdict === 'held') {
        // Blocked itself: name what failed further down, which is what a person has to fix.
        const below = seen.has(dependency.on) ? null : this.standingIn(spec, dependency.on, seen);
        if (below?.state === 'blocked') blocked.push({ blocked: `${dependency.on} cannot run, ${below.reason.replace(/^blocked: /, '')}`, culprit: below.culprit ?? dependency.on });
        else waiting.push(dependency);
      } else if (verdict !== 'met') blocked.push(verdict);
    }
    const [first] = blocked;
    if (first) return { state: 'blocked', reason: `blocked: ${blocked.map((each) => each.blocked).join('; ')}`, culprit: first.culprit };
    if (waiting.length > 0) return { state: 'waiting', reason: `waiting for ${describe(waiting)}` };
    return null;
  }
}

/** The dependencies of the app or task `name` in `spec`. */
export function dependenciesOf(spec: StackSpec, name: string): Dependency[] {
  return (spec.apps.find((app) => app.name === name) ?? spec.tasks.find((task) => task.name === name))?.dependsOn ?? [];
}

/**
 * Whether a pool meets a condition: `started` once every process has started (a task that has ended
 * has started), `healthy` once every worker is ready, `completed` once the task exited 0. A process
 * that failed (a task that did not exit 0, an app that gave up) blocks it; `held` says the pool is
 * itself blocked by what it depends on.
 */
export function judge(pool: Pool, condition: DependencyCondition): 'met' | 'unmet' | 'held' | { blocked: string; culprit: string } {
  const runs = pool.runs.members().map((run) => run.info());
  if (runs.length === 0) return 'unmet';
  const task = pool.kind === 'task';
  const meets = (run: ProcessInfo): boolean => {
    if (condition === 'healthy') return run.state === 'ready';
    if (condition === 'completed') return run.state === 'exited';
    return LIVE_STATES.includes(run.state) || (task && !HELD_STATES.includes(run.state) && run.state !== 'stopped');
  };
  if (runs.every(meets)) return 'met';
  for (const run of runs) {
    if (run.state === 'failed' || (task && run.state === 'crashed')) return { blocked: `${run.name} failed (${howItEnded(run)})`, culprit: pool.name };
  }
  return runs.some((run) => run.state === 'blocked') ? 'held' : 'unmet';
}

/** `exit 1`, `killed by SIGKILL`, or the supervisor's reason when it never ran. */
function howItEnded(run: ProcessInfo): string {
  if (run.lastExit?.signal) return `killed by ${run.lastExit.signal}`;
  if (run.lastExit && run.lastExit.code !== null) return `exit ${run.lastExit.code}`;
  return run.reason ?? 'no exit status';
}

/** `migrate (completed), cache (healthy)`. */
function describe(dependencies: Dependency[]): string {
  return dependencies.map((dependency) => `${dependency.on} (${dependency.condition})`).join(', ');
}
