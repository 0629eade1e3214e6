// What the proxy is told: who it is, how it treats clients, the stack file's routes and one upstream
// per app and static site.

import type { ProxyConfig, UpstreamConfig, UpstreamMember } from '../../../shared/proxy.ts';
import { DEFAULT_CLIENT_LIMITS } from '../../../shared/stack.ts';
import type { ClientLimits, StackSpec } from '../../../shared/stack.ts';
import { formatDuration } from '../config/duration.ts';

/** A new id for a stack's proxy (ProxyConfig.id): random, so that two stacks may forward to each other. */
export function newProxyId(): string {
  // Web Crypto, loaded on first use: importing node:crypto costs `switchyard check` 15-25 ms for nothing.
  return Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString('hex');
}

/**
 * The proxy's whole configuration for `spec`, with each upstream's current members; the proxy
 * serves the folder of each static site `served` says it should (all of them by default).
 */
export function buildProxyConfig(spec: StackSpec, id: string, members: (upstream: string) => UpstreamMember[], served: (site: string) => boolean = () => true): ProxyConfig {
  const upstreams: ProxyConfig['upstreams'] = {};
  for (const app of spec.apps) {
    // An app that serves no port cannot be routed to; the stack file's checks refuse such routes.
    if (app.portEnv === null) continue;
    upstreams[app.name] = { name: app.name, kind: 'app', balance: app.balance, members: members(app.name) };
  }
  for (const site of spec.statics) {
    const upstream: UpstreamConfig = { name: site.name, kind: 'static', balance: 'round-robin', members: members(site.name) };
    if (served(site.name)) upstream.site = { root: site.root, spa: site.spa };
    upstreams[site.name] = upstream;
  }
  const proxy = spec.proxy;
  const clients = proxy === null ? { ...DEFAULT_CLIENT_LIMITS } : clientLimitsOf(proxy);
  const routes = (proxy?.routes ?? []).map(({ at: _at, ...route }) => route);
  return { id, clients, routes, upstreams };
}

/** Whether some upstream of `config` has `member`: an engine only has requests on members it routes to. */
export function routesTo(config: ProxyConfig | null, member: string): boolean {
  return Object.values(config?.upstreams ?? {}).some((upstream) => upstream.members.some((each) => each.id === member));
}

/** `config` with one upstream's members replaced; null when it has no upstream of that name. */
export function withMembers(config: ProxyConfig, upstream: string, members: UpstreamMember[]): ProxyConfig | null {
  const existing = config.upstreams[upstream];
  return existing === undefined ? null : { ...config, upstreams: { ...config.upstreams, [upstream]: { ...existing, members } } };
}

/** The ids of every member of every upstream of `config`. */
export function memberIds(config: ProxyConfig): Set<string> {
  return new Set(Object.values(config.upstreams).flatMap((upstream) => upstream.members.map((member) => member.id)));
}

function clientLimitsOf(proxy: NonNullable<StackSpec['proxy']>): ClientLimits {
  const { clientHeaderTimeout, clientBodyTimeout, keepaliveTimeout, maxConnections } = proxy;
  return { clientHeaderTimeout, clientBodyTimeout, keepaliveTimeout, maxConnections };
}

/** The limits in `limits` that differ from `from`, by their names in the stack file: `client_header_timeout 10s, max_connections 200`. */
export function describeClientLimits(limits: ClientLimits, from: ClientLimits): string {
  const notes: string[] = [];
  if (limits.clientHeaderTimeout !== from.clientHeaderTimeout) notes.push(`client_header_timeout ${formatDuration(limits.clientHeaderTimeout)}`);
  if (limits.clientBodyTimeout !== from.clientBodyTimeout) notes.push(`client_body_timeout ${formatDuration(limits.clientBodyTimeout)}`);
  if (limits.keepaliveTimeout !== from.keepaliveTimeout) notes.push(`keepalive_timeout ${formatDuration(limits.keepaliveTimeout)}`);
  if (limits.maxConnections !== from.maxConnections) notes.push(`max_connections ${limits.maxConnections}`);
  return notes.join(', ');
}
