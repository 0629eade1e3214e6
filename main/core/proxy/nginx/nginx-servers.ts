// The `server` blocks: one default server with the host-less routes, one per route host with its
// own routes and the host-less routes it does not shadow, and in each a `location` per route chosen
// as route-table.ts scores matches (longest prefix; `/api/` also takes the whole path `/api`; a
// host route beats a host-less one of the same prefix). Every route location is `^~`, so the few
// regex tests of static sites never outrank a longer prefix.

import type { ProxyConfig, ProxyRoute, StaticSiteFiles, UpstreamConfig } from '../../../../shared/proxy.ts';
import type { ListenAddress } from '../../../../shared/stack.ts';
import { formatMillis } from '../builtin/upstream-failure.ts';
import { ACCESS_LOG_VARIABLES } from './nginx-access-log.ts';
import { hiddenPathPattern, writeStaticFallbacks, writeStaticLocationBody } from './nginx-static.ts';
import { address, duration, quoted, quotedRegex, quotedTemplate, regexLiteral, type ConfWriter } from './nginx-syntax.ts';
import { attemptsFor, hasLiveServer, unavailableReason, UPSTREAM_PREFIX, upstreamName, type NginxServer } from './nginx-upstreams.ts';

/** What the servers need to know about the upstreams and URL origins written before them. */
export interface ServerContext {
  config: ProxyConfig;
  listen: ListenAddress;
  /** The servers written for each upstream (by name); absent for one not written. */
  servers: ReadonlyMap<string, readonly NginxServer[]>;
  /** The upstream block of each URL route's origin, by origin. */
  urlUpstreams: ReadonlyMap<string, string>;
  siteRoot(site: string, files: StaticSiteFiles): string;
}

/** proxy-server.ts's words for a request that came back through this proxy (the access event's error too). */
const LOOP_DETAIL =
  "this request came back to the proxy it already passed (Via: $http_via); a route forwards to the proxy's own address, so point its to: at an app, a static site or another server";

/** A route placed in one server block. */
interface Placed {
  route: ProxyRoute;
  /** The route names this server's host (beats a host-less route of the same prefix). */
  hostRoute: boolean;
}

/** Writes the default server and one server per route host. */
export function writeServers(out: ConfWriter, context: ServerContext): void {
  const hostless = context.config.routes.filter((route) => route.host === null);
  const hosts = [...new Set(context.config.routes.flatMap((route) => (route.host === null ? [] : [route.host.toLowerCase()])))].sort();
  writeServer(out, context, null, hostless.map((route) => ({ route, hostRoute: false })), hosts.length > 0);
  for (const host of hosts) {
    const own = context.config.routes.filter((route) => route.host !== null && route.host.toLowerCase() === host);
    const ownPaths = new Set(own.map((route) => route.path));
    const placed = [...own.map((route) => ({ route, hostRoute: true })), ...hostless.filter((route) => !ownPaths.has(route.path)).map((route) => ({ route, hostRoute: false }))];
    writeServer(out, context, host, placed, true);
  }
}

function writeServer(out: ConfWriter, context: ServerContext, host: string | null, placed: Placed[], hasHostRoutes: boolean): void {
  const { listen } = context;
  out.block('server', () => {
    out.line(host === null ? `listen ${address(listen.host, listen.port)} default_server` : `listen ${address(listen.host, listen.port)}`);
    out.line(`server_name ${host === null ? '""' : host}`);
    // `if` at server level may only set and return: the page itself is a named location's.
    out.block('if ($sy_loop)', () => {
      out.line(`set $sy_error ${quotedTemplate(LOOP_DETAIL)}`);
      out.line('return 508');
    });
    // `=`: the page's own status, a 503 when nginx had no server left to try.
    out.line('error_page 502 = @sy_502');
    out.line('error_page 504 @sy_504');
    out.line('error_page 508 @sy_508');
    const byPath = [...placed].sort((a, b) => (a.route.path < b.route.path ? -1 : a.route.path > b.route.path ? 1 : 0));
    for (const entry of byPath) {
      out.block(`location ^~ ${quoted(entry.route.path)}`, () => writeRouteBody(out, context, entry.route, false));
      const bare = bareOf(entry.route.path);
      if (bare !== null && exactWins(entry, bare, placed)) out.block(`location = ${quoted(bare)}`, () => writeRouteBody(out, context, entry.route, true));
    }
    if (!placed.some((entry) => entry.route.path === '/')) {
      // noRoutePage names the Host header as sent whenever some route has a host.
      const where = hasHostRoutes ? ' on host $http_host' : '';
      out.block('location /', () => {
        out.line('set $sy_error "no route"');
        writeTextAnswer(out, 404, `404 Not Found: no route for $uri${where}\n`);
      });
    }
    writeErrorPages(out);
    writeTunnels(out, context, placed);
    if (host === null) {
      // nginx knows a variable only once some `set` names it; the access log names these in every request.
      out.block('location @sy_declare_variables', () => {
        for (const name of ACCESS_LOG_VARIABLES) out.line(`set $${name} ""`);
      });
    }
    const spaSites = siteFallbacks(context, placed);
    if (placed.some((entry) => siteOf(context, entry.route) !== null)) writeStaticFallbacks(out, spaSites);
  });
}

/** `/api` for `/api/`: the whole path the builtin also routes to it. */
function bareOf(path: string): string | null {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : null;
}

/**
 * Whether `= bare` must be written: a route whose prefix is exactly `bare` scores higher unless it
 * is host-less and `entry` is a host route (route-table.ts: prefix 4n+1, whole path 4n, host +2).
 */
function exactWins(entry: Placed, bare: string, placed: readonly Placed[]): boolean {
  const rival = placed.find((other) => other.route.path === bare);
  return rival === undefined || (entry.hostRoute && !rival.hostRoute);
}

/** The static files a route is answered from by nginx itself, or null when it is proxied. */
function siteOf(context: ServerContext, route: ProxyRoute): { upstream: UpstreamConfig; files: StaticSiteFiles } | null {
  if (route.target !== 'static') return null;
  const upstream = context.config.upstreams[route.to];
  return upstream?.site === undefined ? null : { upstream, files: upstream.site };
}

function siteFallbacks(context: ServerContext, placed: readonly Placed[]): { site: string; root: string }[] {
  const sites = new Map<string, string>();
  for (const entry of placed) {
    const site = siteOf(context, entry.route);
    if (site !== null && site.files.spa) sites.set(site.upstream.name, context.siteRoot(site.upstream.name, site.files));
  }
  return [...sites.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([site, root]) => ({ site, root }));
}

function labelOf(route: ProxyRoute): string {
  return route.host === null ? route.path : `${route.host.toLowerCase()}${route.path}`;
}

/** The part of the path route-table.ts's forwardedTarget cuts off, as a regex literal. */
function cutLiteral(route: ProxyRoute): string {
  return regexLiteral(bareOf(route.path) ?? route.path);
}

/** The `rewrite` of forwardedTarget: the prefix cut (keeping a leading slash), then a URL's base path put before it. */
function rewriteFor(route: ProxyRoute, basePath: string): string | null {
  // The replacement expands variables: `$1` is the capture, a `$` of the path goes through $sy_dollar.
  const base = basePath.replace(/\$/g, '${sy_dollar}');
  if (route.stripPrefix) return `rewrite ${quotedRegex(`^${cutLiteral(route)}/?+(.*)$`)} ${quotedTemplate(`${base}/$1`)} break`;
  return basePath === '' ? null : `rewrite ^(.*)$ ${quotedTemplate(`${base}$1`)} break`;
}

/** A route's location; `exact` for its `= /api` twin. */
function writeRouteBody(out: ConfWriter, context: ServerContext, route: ProxyRoute, exact: boolean): void {
  out.line(`set $sy_route ${quoted(labelOf(route))}`);
  const site = siteOf(context, route);
  if (site !== null) {
    out.line(`set $sy_worker ${quoted(site.upstream.name)}`);
    if (exact && route.stripPrefix) {
      // `/app` stripped is the site's `/`: served by the prefix location, which maps it onto the folder.
      out.line(`rewrite ^ ${quoted(route.path)} last`);
      return;
    }
    const cut = route.stripPrefix ? cutLiteral(route) : '';
    writeStaticLocationBody(out, {
      site: site.upstream.name,
      root: context.siteRoot(site.upstream.name, site.files),
      spa: site.files.spa,
      hiddenPattern: hiddenPathPattern(cut),
      strip: route.stripPrefix,
    });
    return;
  }
  const forward = forwardOf(context, route);
  if (forward === null) {
    const upstream = context.config.upstreams[route.to];
    out.line('set $sy_error "no ready worker"');
    const why = upstream === undefined ? 'it has no workers' : unavailableReason(upstream);
    writeTextAnswer(out, 503, `503 Service Unavailable: no ready worker for ${route.to}: ${why}\n`);
    return;
  }
  if (forward.kind === 'url') out.line(`set $sy_worker ${quoted(route.to)}`);
  // error_page in a location replaces the server's, so the proxied locations name all theirs.
  out.line(`error_page ${TUNNEL_STATUS} = ${tunnelName(context, route)}`);
  out.line('error_page 502 = @sy_502');
  out.line('error_page 504 @sy_504');
  writeForwarding(out, route, forward);
}

/** Where a proxied route forwards: an app's upstream block, or a URL's (with its own Host). */
type Forward = { kind: 'app'; upstream: string; attempts: number } | { kind: 'url'; upstream: string; url: URL };

/**
 * The builtin's tunnels have no idle timeout once upgraded, but nginx applies proxy_read_timeout
 * to a tunnel too, so upgrade requests are sent on (by a status only this `if` uses) to a named
 * location whose timeout is a day.
 */
const TUNNEL_STATUS = 418;
const TUNNEL_TIMEOUT_MS = 24 * 60 * 60 * 1000;

/** The named location a route's WebSocket upgrades go to; one per route, shared by its `= /api` twin. */
function tunnelName(context: ServerContext, route: ProxyRoute): string {
  return `@sy_tunnel_${context.config.routes.indexOf(route)}`;
}

function writeForwarding(out: ConfWriter, route: ProxyRoute, forward: Forward): void {
  out.line(`set $sy_timeout ${quoted(formatMillis(route.timeout))}`);
  out.block('if ($http_upgrade)', () => out.line(`return ${TUNNEL_STATUS}`));
  writeForwardTo(out, route, forward, route.timeout);
}

/** The rewrite, proxy_pass and limits of one forwarding, with `timeout` for reads and writes. */
function writeForwardTo(out: ConfWriter, route: ProxyRoute, forward: Forward, timeout: number): void {
  const basePath = forward.kind === 'url' ? forward.url.pathname.replace(/\/$/, '') : '';
  const rewrite = rewriteFor(route, basePath);
  if (rewrite !== null) out.line(rewrite);
  if (forward.kind === 'app') {
    out.line(`proxy_pass http://${forward.upstream}`);
  } else {
    out.line(`proxy_pass ${forward.url.protocol}//${forward.upstream}`);
    writeProxyHeaders(out, quoted(forward.url.host));
    if (forward.url.protocol === 'https:') {
      out.line('proxy_ssl_server_name on');
      out.line(`proxy_ssl_name ${quoted(forward.url.hostname)}`);
    }
  }
  out.line(`proxy_read_timeout ${duration(timeout)}`);
  out.line(`proxy_send_timeout ${duration(timeout)}`);
  // A URL route has one target; its second attempt covers a keep-alive connection closed under the request.
  out.line(`proxy_next_upstream_tries ${forward.kind === 'app' ? forward.attempts : 2}`);
}

/** The named locations of a server's WebSocket tunnels. */
function writeTunnels(out: ConfWriter, context: ServerContext, placed: readonly Placed[]): void {
  for (const { route } of placed) {
    const forward = forwardOf(context, route);
    if (forward !== null) out.block(`location ${tunnelName(context, route)}`, () => writeForwardTo(out, route, forward, TUNNEL_TIMEOUT_MS));
  }
}

/** How a route is proxied, or null when nginx answers it itself (a static site, no live worker). */
function forwardOf(context: ServerContext, route: ProxyRoute): Forward | null {
  if (siteOf(context, route) !== null) return null;
  if (route.target === 'url') {
    const url = new URL(route.to);
    return { kind: 'url', upstream: context.urlUpstreams.get(url.origin) as string, url };
  }
  const upstream = context.config.upstreams[route.to];
  const servers = context.servers.get(route.to);
  if (upstream === undefined || servers === undefined || !hasLiveServer(servers)) return null;
  return { kind: 'app', upstream: upstreamName(upstream.name), attempts: attemptsFor(servers) };
}

/**
 * The request headers sent upstream (proxy_set_header in a location replaces every inherited one,
 * so a URL route, which sends its own Host, writes the whole list again).
 */
export function writeProxyHeaders(out: ConfWriter, host: string): void {
  out.line(`proxy_set_header Host ${host}`);
  out.line('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for');
  out.line('proxy_set_header X-Forwarded-Proto $scheme');
  out.line('proxy_set_header X-Forwarded-Host $http_host');
  out.line('proxy_set_header X-Forwarded-Port $server_port');
  out.line('proxy_set_header X-Request-Id $sy_request_id');
  out.line('proxy_set_header Via $sy_via');
  out.line('proxy_set_header Upgrade $http_upgrade');
  out.line('proxy_set_header Connection $sy_connection_upgrade');
  out.line('proxy_set_header Proxy-Connection ""');
}

/** The builtin's error pages for what nginx answers itself after an attempt (error-page.ts failurePage). */
function writeErrorPages(out: ConfWriter): void {
  out.block('location @sy_502', () => {
    // nginx names the upstream block instead of an address when passive checks left no server to try.
    out.block(`if ($upstream_addr ~ ${quotedRegex(`^${UPSTREAM_PREFIX}(.+)$`)})`, () => {
      out.line('set $sy_error "no ready worker"');
      writeTextAnswer(out, 503, '503 Service Unavailable: no ready worker for $1: every ready worker is out after a connection failure\n', false);
    });
    writeTextAnswer(out, 502, '502 Bad Gateway: route $sy_route → $sy_target_described: no valid response (the connection was refused, closed or reset, or the head was malformed)\n');
  });
  out.block('location @sy_504', () => {
    writeTextAnswer(out, 504, '504 Gateway Timeout: route $sy_route → $sy_target_described: no response within $sy_timeout\n');
  });
  out.block('location @sy_508', () => {
    writeTextAnswer(out, 508, '508 Loop Detected: $sy_error\n');
  });
}

/** A one-line text answer with the headers of error-page.ts errorPageHeaders; `typed` false inside an `if`, which takes its location's type. */
function writeTextAnswer(out: ConfWriter, status: number, body: string, typed = true): void {
  if (typed) out.line('default_type "text/plain; charset=utf-8"');
  out.line('add_header X-Content-Type-Options nosniff always');
  out.line('add_header X-Request-Id $sy_request_id always');
  out.line(`return ${status} ${quotedTemplate(body)}`);
}
