// A static site served by the proxy process itself, as nginx serves a `root`: it has no process of
// its own, so its row in `ps` and the dashboard is derived from the proxy's (pid, port, state) and
// from what a person asked (stopped, started). A stopped site is left out of the proxy's
// configuration, so its routes answer 503 until it is started again.

import type { ProcessInfo, ProcessState } from '../../../shared/process.ts';
import type { StaticSiteSpec } from '../../../shared/stack.ts';
import { CALM } from '../process/restart-policy.ts';
import type { Supervisor } from '../process/supervisor.ts';
import type { PoolContext } from './run-set.ts';
import type { HoldState } from './start-order.ts';

/** What a hosted site needs from the stack: the proxy it is served by. */
export interface SiteHost {
  /** The proxy's row, or null when it is not running. */
  proxy(): ProcessInfo | null;
  /** Tells the proxy which sites it serves now (after one was stopped or started). */
  reconfigure(): Promise<void>;
}

/** The proxy's processes as a site host: its ready run's row (during a restart, the one serving), and its configure. */
export function proxySiteHost(runs: () => readonly Supervisor[], configure: () => Promise<void> | undefined): SiteHost {
  return {
    proxy: () => {
      const all = runs();
      return (all.find((run) => run.state === 'ready') ?? all[0])?.info() ?? null;
    },
    reconfigure: async () => {
      await configure();
    },
  };
}

export class HostedSite {
  private site: StaticSiteSpec;
  private readonly host: SiteHost;
  private readonly context: PoolContext;
  private started = false;
  private stopped = false;
  private held: { state: HoldState; reason: string } | null = null;
  private manualRestarts = 0;
  private last: ProcessInfo | null = null;

  constructor(site: StaticSiteSpec, host: SiteHost, context: PoolContext) {
    this.site = site;
    this.host = host;
    this.context = context;
  }

  get name(): string {
    return this.site.name;
  }

  /** Whether the proxy should serve it now. */
  get serving(): boolean {
    return this.started && !this.stopped && this.held === null;
  }

  update(site: StaticSiteSpec): void {
    this.site = site;
  }

  start(): void {
    this.started = true;
    this.held = null;
    this.refresh();
  }

  hold(state: HoldState, reason: string): void {
    this.held = { state, reason };
    this.refresh();
  }

  /** A person's stop: its routes answer 503 until it is started again. Returns whether it was served. */
  async stop(): Promise<boolean> {
    if (this.stopped) return false;
    this.stopped = true;
    this.context.note(this.site.name, 'stop requested: the proxy no longer serves it');
    await this.host.reconfigure();
    this.refresh();
    return true;
  }

  /** A person's start after a stop. Returns whether it was stopped. */
  async resume(): Promise<boolean> {
    if (!this.stopped) return false;
    this.stopped = false;
    this.manualRestarts++;
    await this.host.reconfigure();
    this.refresh();
    return true;
  }

  /** There is no process to replace: each request stats its file, so nothing served can be stale. */
  restart(): void {
    this.context.note(this.site.name, `restart requested: served by the proxy from ${this.site.root}, which reads each file fresh; nothing to replace`);
  }

  /** Its row now. */
  info(): ProcessInfo {
    const proxy = this.host.proxy();
    const state: ProcessState = this.held?.state ?? (!this.started || this.stopped || proxy === null ? 'stopped' : proxy.state);
    const live = state === proxy?.state;
    return {
      id: `${this.site.name}@proxy`,
      name: this.site.name,
      role: 'member',
      app: this.site.name,
      kind: 'static',
      worker: 1,
      state,
      health: live ? proxy.health : 'unknown',
      pid: live ? proxy.pid : null,
      port: live ? proxy.port : null,
      restarts: 0,
      manualRestarts: this.manualRestarts,
      startedAt: live ? proxy.startedAt : null,
      // Its CPU and memory are the proxy's: counted there, not twice.
      cpu: null,
      memory: null,
      children: [],
      warnings: [],
      lastExit: null,
      lastStderr: [],
      reason: this.held?.reason ?? (this.stopped ? 'stopped: start it to serve it again' : `served by the proxy from ${this.site.root}`),
    };
  }

  /** Says what changed since the last look (the proxy's state, a stop or a start), as a run would. */
  refresh(): void {
    const info = this.info();
    const last = this.last;
    this.last = info;
    if (last !== null && last.state === info.state && last.health === info.health && last.pid === info.pid) return;
    if (info.state === 'ready' && last?.state !== 'ready') this.context.note(this.site.name, `ready: served by the proxy (pid ${info.pid}) from ${this.site.root}`);
    this.context.changed({ from: last?.state ?? 'stopped', to: info.state, info, episode: CALM });
  }
}
