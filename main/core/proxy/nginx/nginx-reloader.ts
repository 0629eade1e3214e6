// Keeps the running nginx on the latest configuration with as few reloads as will do. Membership
// changes come in bursts (a rolling reload makes a worker ready, hands its name over and drains the
// old one within a few milliseconds), so they are coalesced over a short window, and a change that
// routes nothing differently (a member that is down anyway leaves, one that is starting appears) rides
// along with the next reload instead of causing one. At most one reload is under way at a time.

import type { ProxyConfig, UpstreamMember } from '../../../../shared/proxy.ts';
import { signalProcess } from '../../process/process-tree.ts';
import { memberIds, withMembers } from '../proxy-config.ts';
import type { NginxConfigFiles } from './nginx-config-files.ts';
import { workerPids, workersDone } from './nginx-workers.ts';

/** How long membership changes are gathered before one reload applies them all. */
export const RELOAD_BATCH_MS = 40;
/** How long nginx may take to start its new workers after SIGHUP. */
const RELOAD_ANSWER_MS = 10_000;
const NEW_WORKER_POLL_MS = 5;

/** What the reloader needs from the engine. */
export interface NginxReloaderHost {
  files(): NginxConfigFiles;
  render(config: ProxyConfig): string;
  /** The master's pid once it runs its loop (its signal handlers are in place); null otherwise. */
  master(): number | null;
  /** A line for the proxy's log. */
  note(text: string): void;
}

/** Applies configurations and membership changes to one nginx, across its restarts. */
export class NginxReloader {
  private readonly host: NginxReloaderHost;
  private wanted: ProxyConfig | null = null;
  /** Who is routable (ready) in the configuration nginx was last given, as routableKey says. */
  private appliedKey = '';
  /** The wanted configuration has changes not yet installed. */
  private stale = false;
  /** Increases with every configuration installed; `running` is the one the master has loaded. */
  private installed = 0;
  private running = 0;
  private timer: NodeJS.Timeout | null = null;
  private queue: Promise<void> = Promise.resolve();
  /** Per member taken out of rotation by a reload: its port, and the workers alive before it, which may still hold its requests. */
  private readonly leftBehind = new Map<string, { port: number; workers: number[] }>();
  private _reloads = 0;
  /** Stopped with its nginx: nothing more is checked, written or signalled. */
  private disposed = false;

  constructor(host: NginxReloaderHost) {
    this.host = host;
  }

  /** Graceful reloads sent so far. */
  get reloads(): number {
    return this._reloads;
  }

  /** The configuration that is (or is about to be) applied. */
  get config(): ProxyConfig | null {
    return this.wanted;
  }

  /** Writes and checks the first configuration, before nginx starts; rejects with nginx's words. */
  initial(config: ProxyConfig): Promise<void> {
    // Taken at once, so that membership changes during the check are kept for the next reload.
    this.wanted = config;
    this.appliedKey = routableKey(config);
    this.stale = true;
    return this.enqueue(async () => {
      try {
        await this.install(config);
      } catch (error) {
        this.wanted = null;
        throw error;
      }
    });
  }

  /** A new master was spawned: it reads the configuration installed now. */
  spawned(): void {
    this.running = this.installed;
  }

  /** The master runs its loop: a configuration installed while it started is sent to it now. */
  ready(): void {
    if (this.running < this.installed) void this.enqueue(() => this.reloadRunning([]));
  }

  /** Checks and applies a whole new configuration; rejects with nginx's words and keeps the running one. */
  configure(config: ProxyConfig): Promise<void> {
    // Taken at once, so that membership changes while it waits for its turn edit the new upstreams.
    const previous = this.wanted;
    this.wanted = config;
    this.stale = true;
    return this.enqueue(async () => {
      try {
        await this.apply();
      } catch (error) {
        if (previous !== null) this.wanted = withMembersOf(previous, this.wanted as ProxyConfig);
        throw error;
      }
    });
  }

  /** Replaces one upstream's members; applied within RELOAD_BATCH_MS when it changes who is routable. */
  setMembers(upstream: string, members: UpstreamMember[]): void {
    const changed = this.wanted === null ? null : withMembers(this.wanted, upstream, members);
    if (changed === null) return;
    this.wanted = changed;
    this.stale = true;
    const live = memberIds(changed);
    for (const member of this.leftBehind.keys()) if (!live.has(member)) this.leftBehind.delete(member);
    this.scheduleIfRoutingChanged();
  }

  /** Applies pending membership changes now rather than at the end of the window. */
  flushNow(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    return this.enqueue(async () => {
      try {
        await this.apply();
      } catch (error) {
        // Members alone never make a configuration invalid; if they did, the running one is kept.
        this.host.note(`membership change not applied: ${(error as Error).message}`);
      }
    });
  }

  /** New workers on the current configuration (the proxy's restart); the old ones finish their requests and exit. */
  async renewWorkers(): Promise<void> {
    await this.flushNow();
    await this.enqueue(() => this.reloadRunning([]));
  }

  /**
   * Resolves true once no nginx worker may still hold a request on `member` (taken out of rotation),
   * false when `timeout` passes first.
   */
  async drained(member: string, timeout: number): Promise<boolean> {
    const deadline = Date.now() + timeout;
    await this.flushNow();
    const left = this.leftBehind.get(member);
    if (left === undefined) return true;
    const done = await workersDone(left.workers, left.port, Math.max(0, deadline - Date.now()));
    if (done) this.leftBehind.delete(member);
    return done;
  }

  /**
   * Stops applying anything; resolves once a job already under way has finished, so that nothing
   * checks, writes or signals in the prefix after its nginx stopped.
   */
  dispose(): Promise<void> {
    this.disposed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    return this.queue;
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    // A change while nginx stops (its members leave too) is not applied: an `nginx -t` then would
    // also create a plain file where the engine's access pipe was.
    const run = this.queue.then(() => (this.disposed ? undefined : job()));
    // The queue goes on after a refused configuration; the caller hears of the refusal.
    this.queue = run.catch(() => {});
    return run;
  }

  /** Checks the wanted configuration and, when nginx accepts it, has the running master load it. */
  private async apply(): Promise<void> {
    const config = this.wanted;
    if (!this.stale || config === null) return;
    await this.install(config);
    const key = routableKey(config);
    const routable = routableMembers(key);
    const removed = [...routableMembers(this.appliedKey)].filter(([member]) => !routable.has(member));
    this.appliedKey = key;
    await this.reloadRunning(removed);
    // Changes that came during the check or the reload get their own.
    this.scheduleIfRoutingChanged();
  }

  /** Writes `config`, has `nginx -t` check it and puts it in place; rejects with nginx's words. */
  private async install(config: ProxyConfig): Promise<void> {
    await this.host.files().test(this.host.render(config));
    // Stopped during the check: its nginx is gone or going, and a restart must start on the configuration it had.
    if (this.disposed) return this.host.files().discard();
    this.host.files().install();
    this.installed++;
    if (this.wanted === config) this.stale = false;
  }

  private scheduleIfRoutingChanged(): void {
    if (this.disposed || this.timer !== null || this.wanted === null || routableKey(this.wanted) === this.appliedKey) return;
    this.timer = setTimeout(() => void this.flushNow(), RELOAD_BATCH_MS);
  }

  /** SIGHUP to the master and a wait for its new workers; `removed` members (with their ports) are left with the old ones. */
  private async reloadRunning(removed: [member: string, port: number][]): Promise<void> {
    const master = this.disposed ? null : this.host.master();
    // Stopped, or not running its loop: a starting master is reloaded once ready, a stopped one reads the file when started.
    if (master === null) return;
    const before = await workerPids(master);
    if (!signalProcess(master, 'SIGHUP')) return;
    this.running = this.installed;
    this._reloads++;
    for (const [member, port] of removed) this.leftBehind.set(member, { port, workers: before });
    const deadline = Date.now() + RELOAD_ANSWER_MS;
    while (Date.now() < deadline) {
      const now = await workerPids(master);
      if (now.some((pid) => !before.includes(pid))) return;
      await new Promise((resolve) => setTimeout(resolve, NEW_WORKER_POLL_MS));
    }
    this.host.note(`nginx started no new worker within ${RELOAD_ANSWER_MS}ms of a reload (SIGHUP to pid ${master})`);
  }
}

/** `config` with the current members of `latest` in the upstreams both have. */
function withMembersOf(config: ProxyConfig, latest: ProxyConfig): ProxyConfig {
  const upstreams = Object.fromEntries(Object.entries(config.upstreams).map(([name, upstream]) => [name, { ...upstream, members: latest.upstreams[name]?.members ?? upstream.members }]));
  return { ...config, upstreams };
}

/** Which members each upstream routes to, one `upstream member-id host:port` line each: equal keys route alike. */
function routableKey(config: ProxyConfig): string {
  const lines: string[] = [];
  for (const upstream of Object.values(config.upstreams)) {
    for (const member of upstream.members) if (member.state === 'ready' && member.port > 0) lines.push(`${upstream.name} ${member.id} ${member.host}:${member.port}`);
  }
  return lines.sort().join('\n');
}

/** The member ids a routable key names, with their ports. */
function routableMembers(key: string): Map<string, number> {
  const members = new Map<string, number>();
  for (const line of key === '' ? [] : key.split('\n')) {
    const [, member = '', address = ''] = line.split(' ');
    members.set(member, Number(address.slice(address.lastIndexOf(':') + 1)));
  }
  return members;
}
