// What the proxy is told: the stack file's routes and one upstream per app and static site.

import type { ProxyConfig, UpstreamMember } from '../../../shared/proxy.ts';
import type { StackSpec } from '../../../shared/stack.ts';

/** The proxy's whole configuration for `spec`, with each upstream's current members. */
export function buildProxyConfig(spec: StackSpec, members: (upstream: string) => UpstreamMember[]): ProxyConfig {
  const upstreams: ProxyConfig['upstreams'] = {};
  for (const app of spec.apps) {
    // An app that serves no port cannot be routed to; the stack file's checks refuse such routes.
    if (app.portEnv === null) continue;
    upstreams[app.name] = { name: app.name, kind: 'app', balance: app.balance, members: members(app.name) };
  }
  for (const site of spec.statics) {
    upstreams[site.name] = { name: site.name, kind: 'static', balance: 'round-robin', members: members(site.name) };
  }
  const routes = (spec.proxy?.routes ?? []).map(({ at: _at, ...route }) => route);
  return { routes, upstreams };
}
