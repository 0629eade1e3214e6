// The stack's routes as one Ingress: a rule per host, a Prefix path per route, each to its app's
// Service. What an Ingress has no field for (strip_prefix, timeouts, the proxy's client limits) is
// reported, since each controller spells it differently.
import { DEFAULT_CLIENT_LIMITS } from '../../../shared/stack.ts';
import type { RouteSpec, StackSpec } from '../../../shared/stack.ts';
import { formatDuration } from '../config/duration.ts';
import { describeClientLimits } from '../proxy/proxy-config.ts';
import type { Untranslated } from './untranslated.ts';

/** The port every app's Service answers on (it forwards to the container's named port `http`). */
export const SERVICE_PORT = 80;

/** The route timeout nginx and the common Ingress controllers use when nothing is said. */
const DEFAULT_ROUTE_TIMEOUT = 60_000;

/** `name` as a Kubernetes object name (DNS-1123: lowercase letters, digits and dashes). */
export function kubeName(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63) || 'stack'
  );
}

/** The Ingress for `spec`'s proxy, and what it could not say. */
export function ingressFor(spec: StackSpec, partOf: string, relative: (file: string) => string): { object: unknown; untranslated: Untranslated[] } {
  const proxy = spec.proxy;
  if (proxy === null) throw new Error('ingressFor needs a proxy');
  const untranslated: Untranslated[] = [];
  const rules = new Map<string | null, RouteSpec[]>();
  for (const route of proxy.routes) {
    untranslated.push(...routeNotes(route));
    if (route.target === 'url') continue;
    rules.set(route.host, [...(rules.get(route.host) ?? []), route]);
  }
  // A request whose Host has a rule is routed by that rule's paths alone, where Switchyard also tries
  // the host-less routes: each host's rule gets those its own paths do not shadow.
  const hostless = rules.get(null) ?? [];
  for (const [host, routes] of rules) {
    if (host === null) continue;
    const own = new Set(routes.map((route) => route.path));
    rules.set(host, [...routes, ...hostless.filter((route) => !own.has(route.path))]);
  }
  for (const site of spec.statics) {
    if (!proxy.routes.some((route) => route.to === site.name)) continue;
    const why = `Kubernetes has no place for the files of ${relative(site.root)}: its routes go to a Service '${kubeName(site.name)}' on port ${SERVICE_PORT} that you provide (an nginx image with the folder copied in)`;
    untranslated.push({ owner: `static site '${site.name}'`, key: 'root', why });
  }
  const limits = describeClientLimits(proxy, DEFAULT_CLIENT_LIMITS);
  if (limits !== '') untranslated.push({ owner: 'proxy', key: 'client limits', why: `${limits}: an Ingress has no field for these; set them in your controller` });
  const object = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: partOf, labels: { 'app.kubernetes.io/part-of': partOf } },
    spec: { rules: [...rules].map(([host, routes]) => ({ ...(host === null ? {} : { host }), http: { paths: routes.map(ingressPath) } })) },
  };
  return { object, untranslated };
}

function ingressPath(route: RouteSpec): unknown {
  return { path: route.path, pathType: 'Prefix', backend: { service: { name: kubeName(route.to), port: { number: SERVICE_PORT } } } };
}

function routeNotes(route: RouteSpec): Untranslated[] {
  const owner = `route ${route.host ?? ''}${route.path}`;
  const notes: Untranslated[] = [];
  const note = (key: string, why: string) => notes.push({ owner, key, why });
  if (route.target === 'url') note('to', `an Ingress routes to Services only: make ${route.to} one (type ExternalName) and route to it`);
  if (route.stripPrefix) note('strip_prefix', `an Ingress has no field for it: the app gets ${route.path}… unless your controller rewrites it (ingress-nginx: rewrite-target; Traefik: a StripPrefix middleware)`);
  if (route.timeout !== DEFAULT_ROUTE_TIMEOUT) note('timeout', `an Ingress has no field for it (${formatDuration(route.timeout)}); set your controller's proxy read timeout`);
  if (route.path !== '/' && !route.path.endsWith('/')) note('path', `a Prefix path matches whole segments, so ${route.path} does not match ${route.path}x as it does here`);
  return notes;
}
