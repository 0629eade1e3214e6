// Longest-prefix routing as nginx `location /prefix/` does it, plus two things users expect:
// a host route beats a host-less one of the same prefix, and `/api` reaches the `/api/` route.

import type { ProxyRoute } from '../../../../shared/proxy.ts';

/** Where a URL route forwards: its origin, the Host header it is sent with, and its base path. */
export interface UrlTarget {
  readonly origin: string;
  readonly hostHeader: string;
  /** The URL's path without its trailing slash: '' for `http://h:9000/`. */
  readonly basePath: string;
  /** The URL as written, which access events name as the worker. */
  readonly href: string;
}

/** A route ready for matching. */
export interface CompiledRoute {
  readonly spec: ProxyRoute;
  /** Lowercase host, or null for any host. */
  readonly host: string | null;
  readonly prefix: string;
  /** `/api` for the prefix `/api/`, matched as a whole path; null when the prefix has no trailing slash. */
  readonly bare: string | null;
  /** `host/path` or `path`, as access events and error pages name the route. */
  readonly label: string;
  readonly url: UrlTarget | null;
}

const QUESTION_MARK = 63;

/** The routes of one configuration, ordered so that the first match is the best. */
export class RouteTable {
  private readonly routes: readonly CompiledRoute[];
  /** Some route matches on the Host header. */
  readonly hasHostRoutes: boolean;

  constructor(routes: readonly ProxyRoute[]) {
    this.routes = routes.map(compileRoute).sort((a, b) => b.prefix.length - a.prefix.length || Number(b.host !== null) - Number(a.host !== null));
    this.hasHostRoutes = this.routes.some((route) => route.host !== null);
  }

  /** The best route for a Host header and a request target (path and query), or null. */
  match(hostHeader: string | undefined, target: string): CompiledRoute | null {
    const host = this.hasHostRoutes && hostHeader !== undefined ? hostOf(hostHeader) : null;
    let best: CompiledRoute | null = null;
    let bestScore = -1;
    for (const route of this.routes) {
      // Sorted by prefix length, so nothing further down can beat the best so far.
      if (route.prefix.length * 4 + 3 < bestScore) break;
      if (route.host !== null && route.host !== host) continue;
      let length: number;
      if (target.startsWith(route.prefix)) length = route.prefix.length * 4 + 1;
      else if (route.bare !== null && isWholePath(target, route.bare)) length = route.bare.length * 4;
      else continue;
      const score = length + (route.host !== null ? 2 : 0);
      if (score > bestScore) {
        best = route;
        bestScore = score;
      }
    }
    return best;
  }
}

/** The path and query sent upstream for a request target that matched `route`. */
export function forwardedTarget(route: CompiledRoute, target: string): string {
  let rest = target;
  if (route.spec.stripPrefix) {
    // `/api/` strips `/api`, so the remainder keeps its leading slash.
    const cut = route.bare !== null ? route.bare.length : route.prefix.length;
    rest = target.slice(cut);
    if (rest.length === 0 || rest.charCodeAt(0) !== 47) rest = `/${rest}`;
  }
  return route.url === null || route.url.basePath === '' ? rest : route.url.basePath + rest;
}

/** The host of a Host header, lowercase and without its port (`[::1]` keeps its brackets). */
export function hostOf(header: string): string {
  let end: number;
  if (header.charCodeAt(0) === 91) {
    end = header.indexOf(']') + 1;
    if (end === 0) end = header.length;
  } else {
    end = header.indexOf(':');
    if (end === -1) end = header.length;
  }
  return (end === header.length ? header : header.slice(0, end)).toLowerCase();
}

function isWholePath(target: string, path: string): boolean {
  return target === path || (target.startsWith(path) && target.charCodeAt(path.length) === QUESTION_MARK);
}

function compileRoute(spec: ProxyRoute): CompiledRoute {
  const host = spec.host === null ? null : spec.host.toLowerCase();
  const bare = spec.path.length > 1 && spec.path.endsWith('/') ? spec.path.slice(0, -1) : null;
  return {
    spec,
    host,
    prefix: spec.path,
    bare,
    label: host === null ? spec.path : `${host}${spec.path}`,
    url: spec.target === 'url' ? urlTarget(spec.to) : null,
  };
}

function urlTarget(to: string): UrlTarget {
  const url = new URL(to);
  const basePath = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  return { origin: url.origin, hostHeader: url.host, basePath, href: to };
}
