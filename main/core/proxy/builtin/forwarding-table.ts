// Where requests go under the configuration in force: the routes, each upstream's members and the
// targets of URL routes, over connection pools shared by everything that forwards to one origin. A
// configuration replaces the table whole; members change one upstream at a time. Requests already
// under way keep the members and pools they started with.

import type { MemberLoad, ProxyConfig, UpstreamMember } from '../../../../shared/proxy.ts';
import type { Disposable } from '../../events.ts';
import { memberProblems } from './config-check.ts';
import { ConnectionPools } from './connection-pools.ts';
import { MemberRegistry } from './member-registry.ts';
import type { MemberRecord, Target } from './member-registry.ts';
import { RouteTable } from './route-table.ts';
import type { CompiledRoute } from './route-table.ts';
import { UpstreamPool } from './upstream-pool.ts';

/** Routes, upstreams and URL targets of the configuration in force. */
export class ForwardingTable implements Disposable {
  private readonly pools = new ConnectionPools();
  /** Every member of every upstream, with its requests in flight and its passive-check state. */
  readonly registry = new MemberRegistry(this.pools);
  private routes = new RouteTable([]);
  private upstreams = new Map<string, UpstreamPool>();
  private urlTargets = new Map<string, Target>();
  /** Upstream name → the longest timeout of the routes to it. */
  private patience = new Map<string, number>();

  /** Replaces routes and upstreams at once; `config` must have passed configProblems. */
  apply(config: ProxyConfig): void {
    const routes = new RouteTable(config.routes);
    const upstreams = new Map<string, UpstreamPool>();
    for (const upstreamConfig of Object.values(config.upstreams)) {
      const upstream = this.upstreams.get(upstreamConfig.name) ?? new UpstreamPool(upstreamConfig);
      upstream.balance = upstreamConfig.balance;
      upstream.members = this.registry.recordsFor(upstreamConfig.members);
      upstreams.set(upstreamConfig.name, upstream);
    }
    const urlTargets = new Map<string, Target>();
    for (const route of config.routes) {
      if (route.target !== 'url' || urlTargets.has(route.to)) continue;
      urlTargets.set(route.to, this.urlTargets.get(route.to) ?? this.openUrlTarget(route.to));
    }
    const patience = new Map<string, number>();
    for (const route of config.routes) if (route.target !== 'url') patience.set(route.to, Math.max(route.timeout, patience.get(route.to) ?? 0));
    const previousUrls = this.urlTargets;
    this.patience = patience;
    this.routes = routes;
    this.upstreams = upstreams;
    this.urlTargets = urlTargets;
    for (const [href, target] of previousUrls) if (!urlTargets.has(href)) this.pools.release(target.origin);
    this.retainMembers();
  }

  /** Replaces one upstream's members; throws for an unknown upstream or a malformed list. */
  setMembers(upstream: string, members: UpstreamMember[]): void {
    const pool = this.upstreams.get(upstream);
    if (pool === undefined) throw new Error(`no upstream named '${upstream}' (known: ${[...this.upstreams.keys()].join(', ') || 'none'})`);
    const problems = memberProblems(upstream, members);
    if (problems.length > 0) throw new Error(`invalid members: ${problems.join('; ')}`);
    pool.members = this.registry.recordsFor(members);
    this.retainMembers();
  }

  /** What is under way on `member`, or null when no upstream lists it. */
  load(member: string, now: number): MemberLoad | null {
    for (const upstream of this.upstreams.values()) {
      const record = upstream.members.find((each) => each.member.id === member);
      if (record !== undefined) return { inFlight: record.inFlight, silentFor: record.silentFor(now), patience: this.patience.get(upstream.name) ?? 0 };
    }
    return null;
  }

  /** The best route for a Host header and a request target, or null. */
  match(hostHeader: string | undefined, target: string): CompiledRoute | null {
    return this.routes.match(hostHeader, target);
  }

  /** Some route matches on the Host header, so a page about a missing route names the host. */
  get hasHostRoutes(): boolean {
    return this.routes.hasHostRoutes;
  }

  /** The upstream a route to an app or static site forwards to. */
  upstreamOf(route: CompiledRoute): UpstreamPool {
    return this.upstreams.get(route.spec.to) as UpstreamPool;
  }

  /** Where a URL route forwards. */
  urlTargetOf(route: CompiledRoute): Target {
    return this.urlTargets.get((route.url as NonNullable<CompiledRoute['url']>).href) as Target;
  }

  /** Drops every upstream connection at once. */
  destroyConnections(): Promise<void> {
    return this.pools.destroy();
  }

  dispose(): void {
    this.registry.dispose();
  }

  private openUrlTarget(href: string): Target {
    const origin = new URL(href).origin;
    return { connections: this.pools.acquire(origin), origin, worker: href, description: href, record: null };
  }

  private retainMembers(): void {
    const inUse = new Set<MemberRecord>();
    for (const upstream of this.upstreams.values()) for (const record of upstream.members) inUse.add(record);
    this.registry.retain(inUse);
  }
}
