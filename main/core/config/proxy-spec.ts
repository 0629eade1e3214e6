// `proxy:`: where it listens and which app, static site or URL serves each route.
import { closestMatch } from 'leven';
import type { AppSpec, ProxySpec, RouteSpec } from '../../../shared/stack.ts';
import { report } from './build-context.ts';
import type { BuildContext } from './build-context.ts';
import { describeListenFailure } from '../proxy/listen-failure.ts';
import { isLoopback, probeListen } from './listen.ts';
import { describePortHolder, findPortHolder } from './port-holder.ts';
import { proxySchema, routeSchema } from './schema.ts';
import type { RouteInput } from './schema.ts';
import { reportSchemaIssues } from './schema-issues.ts';
import { reportRoutesToSelf } from './self-route.ts';

/** Every name a route may point at; an app that failed its own checks is known but has no spec. */
export interface RouteTargets {
  apps: ReadonlyMap<string, AppSpec | null>;
  statics: ReadonlySet<string>;
}

/** The proxy, or null after reporting why it is invalid. */
export async function buildProxy(ctx: BuildContext, raw: unknown, targets: RouteTargets): Promise<ProxySpec | null> {
  const parsed = proxySchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) ctx.issues.push(...reportSchemaIssues(ctx.source, ['proxy'], raw, parsed.error.issues));
  const before = ctx.issues.length;
  // Routes are checked even when `listen` is wrong, so that every mistake shows up in one run.
  const rawRoutes = raw !== null && typeof raw === 'object' && 'routes' in raw && Array.isArray(raw.routes) ? (raw.routes as unknown[]) : [];
  const routes = rawRoutes.map((route, i) => buildRoute(ctx, i, route, targets));
  reportRepeatedRoutes(ctx, routes);
  if (parsed.success) reportRoutesToSelf(ctx, routes, parsed.data.listen);
  if (parsed.success) await checkListen(ctx, parsed.data.listen);

  if (!parsed.success || ctx.issues.some((issue, i) => i >= before && issue.severity === 'error')) return null;
  const { listen, engine, client_header_timeout, client_body_timeout, keepalive_timeout, max_connections } = parsed.data;
  return {
    listen,
    engine,
    routes: routes.filter((route) => route !== null),
    clientHeaderTimeout: client_header_timeout,
    clientBodyTimeout: client_body_timeout,
    keepaliveTimeout: keepalive_timeout,
    maxConnections: max_connections,
  };
}

async function checkListen(ctx: BuildContext, listen: ProxySpec['listen']): Promise<void> {
  if (!isLoopback(listen.host)) {
    report(ctx, ['proxy', 'listen'], `listen binds to ${listen.host}, reachable from other machines; use 127.0.0.1 unless you mean it`, 'warning');
  }
  if (!ctx.checkPorts) return;
  const failure = await probeListen(listen);
  if (failure === null || (failure === 'EADDRINUSE' && ctx.ownPorts.has(listen.port))) return;
  const holder = failure === 'EADDRINUSE' ? await findPortHolder(listen.port) : null;
  const message = holder
    ? `port ${listen.port} on ${listen.host} is in use by another program (${describePortHolder(holder)}); stop it or choose another \`listen\` port`
    : describeListenFailure(listen, failure);
  report(ctx, ['proxy', 'listen'], message);
}

function buildRoute(ctx: BuildContext, i: number, raw: unknown, targets: RouteTargets): RouteSpec | null {
  const at = ['proxy', 'routes', i];
  const parsed = routeSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    ctx.issues.push(...reportSchemaIssues(ctx.source, at, raw, parsed.error.issues));
    return null;
  }
  const route = parsed.data;
  const target = targetKind(ctx, i, route, targets);
  if (target === null) return null;
  return {
    host: route.host ?? null,
    path: route.path,
    to: route.to,
    target,
    stripPrefix: route.strip_prefix,
    timeout: route.timeout,
    at: ctx.source.position(at),
  };
}

function targetKind(ctx: BuildContext, i: number, route: RouteInput, targets: RouteTargets): RouteSpec['target'] | null {
  const at = ['proxy', 'routes', i, 'to'];
  const where = `(proxy route ${i + 1})`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(route.to)) {
    if (!URL.canParse(route.to) || !['http:', 'https:'].includes(new URL(route.to).protocol)) {
      report(ctx, at, `to '${route.to}' is not a valid http:// or https:// URL ${where}; write it like http://127.0.0.1:9000`);
      return null;
    }
    return 'url';
  }
  if (targets.statics.has(route.to)) return 'static';
  if (targets.apps.has(route.to)) {
    if (targets.apps.get(route.to)?.portEnv === null) {
      report(ctx, at, `to '${route.to}' is an app with port_env: none, which serves no port ${where}; route to an app that serves one, or give '${route.to}' a port_env`);
      return null;
    }
    return 'app';
  }
  const names = [...targets.apps.keys(), ...targets.statics];
  const suggestion = closestMatch(route.to, names, { maxDistance: Math.max(2, Math.floor(route.to.length / 3)) });
  const known = `apps: ${list([...targets.apps.keys()])}; static sites: ${list([...targets.statics])}`;
  const didYouMean = suggestion ? ` did you mean '${suggestion}'?` : '';
  report(ctx, at, `to '${route.to}' names no app or static site ${where};${didYouMean} ${known}; or write an http(s):// URL`);
  return null;
}

function list(names: string[]): string {
  return names.length > 0 ? names.join(', ') : '(none)';
}

// The longest prefix wins, so two routes with the same host and path would leave one unreachable.
function reportRepeatedRoutes(ctx: BuildContext, routes: (RouteSpec | null)[]): void {
  const seen = new Map<string, number>();
  for (const [i, route] of routes.entries()) {
    if (route === null) continue;
    const key = `${route.host ?? ''} ${route.path}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, i);
      continue;
    }
    const match = route.host === null ? `path ${route.path}` : `host ${route.host} and path ${route.path}`;
    const written = ctx.source.scalarText(['proxy', 'routes', i, 'path']) !== undefined;
    report(
      ctx,
      written ? ['proxy', 'routes', i, 'path'] : ['proxy', 'routes', i],
      `proxy route ${i + 1} repeats the ${match} of route ${first + 1}, so it would never be used; remove one or change its path`,
    );
  }
}
