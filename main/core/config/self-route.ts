// A route whose URL is the proxy's own address sends each request back into the proxy, which matches
// the same route again: an endless loop that ends only when the proxy runs out of sockets.
import type { ListenAddress, RouteSpec } from '../../../shared/stack.ts';
import { report } from './build-context.ts';
import type { BuildContext } from './build-context.ts';
import { reachesListen } from './listen.ts';

const DEFAULT_PORT: Record<string, number> = { 'http:': 80, 'https:': 443 };

/** Reports each URL route that targets the proxy's own `listen` address; `routes` are indexed as written. */
export function reportRoutesToSelf(ctx: BuildContext, routes: readonly (RouteSpec | null)[], listen: ListenAddress): void {
  for (const [i, route] of routes.entries()) {
    if (route?.target !== 'url') continue;
    const url = new URL(route.to);
    const port = url.port === '' ? (DEFAULT_PORT[url.protocol] ?? 0) : Number(url.port);
    if (!reachesListen(url.hostname, port, listen)) continue;
    const address = `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
    report(
      ctx,
      ['proxy', 'routes', i, 'to'],
      `to '${route.to}' is the proxy's own address (it listens on ${address}) (proxy route ${i + 1}), so each request would come back to the proxy and loop; route to the server that should answer: an app or static site by name, or a URL on another port`,
    );
  }
}
