// A configuration is checked whole before any of it is used: one that would break routing is
// rejected with every reason at once, and the running one stays.

import path from 'node:path';
import type { MemberState, ProxyConfig, UpstreamConfig, UpstreamMember } from '../../../../shared/proxy.ts';
import type { ClientLimits } from '../../../../shared/stack.ts';

const STATES: readonly MemberState[] = ['ready', 'draining', 'down'];
const STRATEGIES = ['round-robin', 'least-conn', 'ip-hash'];
/** A day: Node's timers turn anything past about 24.8 days into 1ms. */
const MAX_TIMEOUT_MS = 86_400_000;

/** Every problem that makes `config` unusable; empty when it is fine. */
export function configProblems(config: ProxyConfig): string[] {
  const problems: string[] = [];
  if (config === null || typeof config !== 'object' || !Array.isArray(config.routes) || config.upstreams === null || typeof config.upstreams !== 'object') {
    return ['the configuration must have a list of routes and a map of upstreams'];
  }
  if (typeof config.id !== 'string' || !/^[a-z0-9-]{1,64}$/i.test(config.id)) problems.push(`id '${String(config.id)}' must be 1 to 64 letters, digits or dashes`);
  problems.push(...clientProblems(config.clients));
  for (const [key, upstream] of Object.entries(config.upstreams)) {
    if (upstream.name !== key) problems.push(`upstream '${key}' is named '${upstream.name}' inside`);
    if (upstream.kind !== 'app' && upstream.kind !== 'static') problems.push(`upstream '${key}' has kind '${String(upstream.kind)}'; use app or static`);
    if (!STRATEGIES.includes(upstream.balance)) problems.push(`upstream '${key}' balances by '${String(upstream.balance)}'; use ${STRATEGIES.join(', ')}`);
    problems.push(...memberProblems(key, upstream.members));
    if (upstream.site !== undefined) problems.push(...siteProblems(key, upstream));
  }
  config.routes.forEach((route, i) => {
    const where = `route ${i + 1} (${route.host === null ? '' : route.host}${route.path})`;
    if (typeof route.path !== 'string' || !route.path.startsWith('/')) problems.push(`${where}: path must start with /`);
    else if (/[?#]/.test(route.path)) problems.push(`${where}: path must not hold a query or fragment`);
    if (route.host !== null && (typeof route.host !== 'string' || route.host === '' || route.host.includes(':'))) {
      problems.push(`${where}: host must be a host name without a port, or null`);
    }
    if (!Number.isFinite(route.timeout) || route.timeout <= 0) problems.push(`${where}: timeout must be a positive number of milliseconds`);
    if (route.target === 'url') {
      if (!isHttpUrl(route.to)) problems.push(`${where}: '${route.to}' is not an http:// or https:// URL`);
    } else if (route.target === 'app' || route.target === 'static') {
      const upstream = config.upstreams[route.to];
      if (upstream === undefined) problems.push(`${where}: '${route.to}' names no upstream (known: ${Object.keys(config.upstreams).join(', ') || 'none'})`);
      else if (upstream.kind !== route.target) problems.push(`${where}: '${route.to}' is ${upstream.kind === 'app' ? 'an app' : 'a static site'}, not ${route.target === 'app' ? 'an app' : 'a static site'}`);
    } else {
      problems.push(`${where}: target must be app, static or url`);
    }
    if (typeof route.stripPrefix !== 'boolean') problems.push(`${where}: stripPrefix must be true or false`);
  });
  return problems;
}

/** Every problem with a static site's folder: only a static site has one, and it is absolute. */
function siteProblems(key: string, upstream: UpstreamConfig): string[] {
  const site = upstream.site;
  if (upstream.kind !== 'static') return [`upstream '${key}' is an app and cannot have a site folder`];
  if (site === null || typeof site !== 'object') return [`upstream '${key}': site must hold root and spa`];
  const problems: string[] = [];
  if (typeof site.root !== 'string' || !path.isAbsolute(site.root)) problems.push(`upstream '${key}': site root '${String(site.root)}' must be an absolute path`);
  if (typeof site.spa !== 'boolean') problems.push(`upstream '${key}': site spa must be true or false`);
  return problems;
}

/** Every problem with the client limits; timeouts stay within what Node's timers can hold. */
function clientProblems(clients: ClientLimits): string[] {
  if (clients === null || typeof clients !== 'object') return ['clients must hold the client timeouts and connection cap'];
  const problems: string[] = [];
  for (const key of ['clientHeaderTimeout', 'clientBodyTimeout', 'keepaliveTimeout'] as const) {
    const ms = clients[key];
    if (!Number.isInteger(ms) || ms <= 0 || ms > MAX_TIMEOUT_MS) problems.push(`clients.${key} must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}`);
  }
  if (!Number.isInteger(clients.maxConnections) || clients.maxConnections < 1) problems.push('clients.maxConnections must be a whole number of at least 1');
  return problems;
}

/** Every problem with one upstream's member list. */
export function memberProblems(upstream: string, members: readonly UpstreamMember[]): string[] {
  if (!Array.isArray(members)) return [`upstream '${upstream}': members must be a list`];
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const member of members) {
    const who = `upstream '${upstream}' member '${member.id}'`;
    if (typeof member.id !== 'string' || member.id === '') problems.push(`upstream '${upstream}' has a member without an id`);
    else if (ids.has(member.id)) problems.push(`${who} is listed twice`);
    ids.add(member.id);
    if (typeof member.name !== 'string' || member.name === '') problems.push(`${who} has no name`);
    if (typeof member.host !== 'string' || member.host === '') problems.push(`${who} has no host`);
    // A member that is down may have no port yet (starting, backing off); it stays listed for ip-hash.
    const lowest = member.state === 'down' ? 0 : 1;
    if (!Number.isInteger(member.port) || member.port < lowest || member.port > 65535) problems.push(`${who} has port ${member.port}; use 1-65535`);
    if (!STATES.includes(member.state)) problems.push(`${who} is '${String(member.state)}'; use ${STATES.join(', ')}`);
    if (member.maxRequests !== undefined && (!Number.isInteger(member.maxRequests) || member.maxRequests < 1)) {
      problems.push(`${who} has maxRequests ${String(member.maxRequests)}; use a whole number of at least 1, or leave it out`);
    }
  }
  return problems;
}

function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const protocol = new URL(text).protocol;
  return protocol === 'http:' || protocol === 'https:';
}
