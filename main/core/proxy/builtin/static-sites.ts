// Static sites served by the proxy process itself, as nginx serves a `root` location: a route to a
// static site is answered from its folder without a second hop to the site's own server. Each site
// keeps its handler (and the file bodies it caches) across configurations while its folder and
// SPA setting stay the same.

import type { ProxyConfig } from '../../../../shared/proxy.ts';
import { createStaticHandler, type StaticHandler } from '../../static/static-handler.ts';

interface ServedSite {
  root: string;
  spa: boolean;
  handler: StaticHandler;
}

/** The static sites of the current configuration, by name. */
export class StaticSites {
  private sites = new Map<string, ServedSite>();

  /** Takes the sites of `upstreams`; a site whose folder or SPA setting changed gets a fresh handler. */
  apply(upstreams: ProxyConfig['upstreams']): void {
    const next = new Map<string, ServedSite>();
    for (const upstream of Object.values(upstreams)) {
      const files = upstream.site;
      if (files === undefined) continue;
      const kept = this.sites.get(upstream.name);
      if (kept !== undefined && kept.root === files.root && kept.spa === files.spa) {
        next.set(upstream.name, kept);
        continue;
      }
      const name = upstream.name;
      const handler = createStaticHandler({ root: files.root, spa: files.spa, log: (line) => console.log(`${name}: ${line}`) });
      next.set(name, { root: files.root, spa: files.spa, handler });
    }
    this.sites = next;
  }

  /** The handler that answers for site `name`, or undefined when the proxy does not serve it itself. */
  handlerOf(name: string): StaticHandler | undefined {
    return this.sites.get(name)?.handler;
  }
}
