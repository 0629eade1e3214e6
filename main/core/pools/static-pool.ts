// A static site's pool. In a stack with a proxy the proxy serves the site from its folder itself
// (hosted-site.ts) and the site has no process. Without one, a Switchyard-owned server process
// (static-main.ts) carries the site's name; it is never scaled, and a restart is a surge-first
// reload, so no request is refused.

import type { StaticSiteSpec } from '../../../shared/stack.ts';
import type { SourceFilter } from '../logs/log-store.ts';
import type { NodeRuntime } from '../process/node-runtime.ts';
import type { Supervisor } from '../process/supervisor.ts';
import { ReloadQueue } from '../reload/reload-queue.ts';
import { rollingReload } from '../reload/rolling-reload.ts';
import { staticServerSettings } from '../static/static-app.ts';
import { HostedSite, type SiteHost } from './hosted-site.ts';
import type { Pool } from './pool.ts';
import { RunSet, type PoolContext } from './run-set.ts';
import type { HoldState } from './start-order.ts';

/** The server of one static site. */
export class StaticPool implements Pool {
  readonly kind = 'static';
  readonly runs: RunSet;
  private _site: StaticSiteSpec;
  private readonly dir: string;
  private readonly node: NodeRuntime;
  private readonly reloads: ReloadQueue;
  /** Set when the proxy serves the site: then there is no process. */
  readonly hosted: HostedSite | null;

  /** `dir` is the stack file's folder, where a server runs; `node` runs it; `host` is the proxy that serves the site itself, if any. */
  constructor(site: StaticSiteSpec, dir: string, node: NodeRuntime, context: PoolContext, stopping: () => boolean, host: SiteHost | null = null) {
    this._site = site;
    this.hosted = host === null ? null : new HostedSite(site, host, context);
    this.dir = dir;
    this.node = node;
    this.runs = new RunSet(
      { pool: site.name, kind: 'static', name: () => site.name, settings: () => staticServerSettings(this._site, this.dir, this.node), runtimeEnv: node.env },
      context,
    );
    this.reloads = new ReloadQueue(() => rollingReload(this.runs.reloadTarget(this.name, null)), stopping);
  }

  get name(): string {
    return this._site.name;
  }

  get site(): StaticSiteSpec {
    return this._site;
  }

  async start(): Promise<void> {
    if (this.hosted) return this.hosted.start();
    if (this.runs.members().length === 0) this.runs.add(1);
    await Promise.all(this.runs.members().map((supervisor) => supervisor.start()));
  }

  hold(state: HoldState, reason: string): void {
    if (this.hosted) return this.hosted.hold(state, reason);
    if (this.runs.members().length === 0) this.runs.add(1);
    for (const supervisor of this.runs.members()) supervisor.hold(state, reason);
  }

  /** The server is replaced surge-first, so its port never refuses a connection. */
  restart(): Promise<string[]> {
    return this.reload(null);
  }

  reload(only: Supervisor | null): Promise<string[]> {
    if (this.hosted) {
      this.hosted.restart();
      return Promise.resolve([this.name]);
    }
    const target = this.runs.reloadTarget(this.name, only);
    return this.reloads.run(() => rollingReload(target));
  }

  /** Takes the site's changed settings; the caller reloads to apply them (a start meanwhile uses them). */
  update(next: StaticSiteSpec): void {
    this._site = next;
    this.hosted?.update(next);
    this.runs.adoptSettings();
  }

  logSources(): SourceFilter {
    return new Set([this.name]);
  }

  async watching(): Promise<void> {}

  dispose(): void {}
}

/** The sites among `pools` that the proxy serves itself. */
export function hostedSites(pools: Iterable<Pool>): HostedSite[] {
  return [...pools].flatMap((pool) => (pool instanceof StaticPool && pool.hosted ? [pool.hosted] : []));
}

/** The hosted sites a target names (`all`: every one). */
export function hostedSitesOf(pools: Iterable<Pool>, name: string): HostedSite[] {
  return hostedSites(pools).filter((site) => name === 'all' || site.name === name);
}
