// `switchyard export nginx`: the nginx.conf the nginx engine would run, for a production host:
// upstream servers where the apps run there, static sites where their files are put there.
import type { ListenAddress, StackSpec } from '../../../shared/stack.ts';
import { buildProxyConfig } from '../proxy/proxy-config.ts';
import { renderNginxConf } from '../proxy/nginx/nginx-conf.ts';
import type { NginxServer } from '../proxy/nginx/nginx-conf.ts';
import { CONTAINER_PORT } from './container.ts';
import type { ExportResult, Untranslated } from './untranslated.ts';

/** Where each static site's folder is on the host that runs the exported nginx: STATIC_MOUNT/<site>. */
export const STATIC_MOUNT = '/srv/static';

/** Where the exported nginx.conf listens, and where it finds the apps and the sites' files. */
export interface NginxExportOptions {
  listen: ListenAddress;
  /** Servers by app name; an app not named gets `<app>:8000`, its service in the compose export. */
  upstreams?: Readonly<Record<string, readonly NginxServer[]>>;
  /** The folder holding one folder per static site, named like the site. */
  staticDir?: string;
}

/** nginx.conf for `spec`'s proxy, and what it could not translate. */
export function exportNginxConf(spec: StackSpec, options: NginxExportOptions): ExportResult {
  const untranslated: Untranslated[] = [];
  if (spec.proxy === null) {
    untranslated.push({ owner: 'stack', key: 'proxy', why: 'the stack has no proxy:, so nginx has no route to serve; nothing was written' });
    return { files: [], untranslated };
  }
  const staticDir = (options.staticDir ?? STATIC_MOUNT).replace(/\/+$/, '');
  // The id marks forwarded requests (Via) to find loops; an export's stays the same from run to run.
  const config = buildProxyConfig(spec, proxyId(spec.name), () => []);
  const text = renderNginxConf(config, {
    mode: 'export',
    listen: options.listen,
    // A static site is served from its folder: its upstream (its own server under `up` without a proxy) is not written.
    servers: (upstream) => (upstream.kind === 'static' ? [] : [...(options.upstreams?.[upstream.name] ?? [{ host: upstream.name, port: CONTAINER_PORT }])]),
    siteRoot: (site) => `${staticDir}/${site}`,
  });
  return { files: [{ name: 'nginx.conf', text }], untranslated };
}

/**
 * `--upstream api=10.0.0.5:8000,10.0.0.6:8000` as an app name and its servers; throws a message
 * saying what is wrong. A host without a port gets the container port.
 */
export function parseUpstreamOption(text: string): { app: string; servers: NginxServer[] } {
  const equals = text.indexOf('=');
  const app = text.slice(0, equals);
  if (equals < 1) throw new Error(`--upstream takes APP=HOST:PORT[,HOST:PORT…], like api=10.0.0.5:8000,10.0.0.6:8000; got '${text}'`);
  const servers = text
    .slice(equals + 1)
    .split(',')
    .map((item) => {
      const match = /^(\[[0-9a-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(item.trim());
      const port = Number(match?.[2] ?? CONTAINER_PORT);
      if (!match?.[1] || port < 1 || port > 65_535) throw new Error(`--upstream ${app}: '${item}' is not HOST or HOST:PORT, like 10.0.0.5:8000`);
      // An IPv6 address is written in brackets here, as in a URL; the conf's writer adds its own.
      return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
    });
  return { app, servers };
}

function proxyId(name: string): string {
  return `export-${name.replace(/[^A-Za-z0-9-]/g, '-')}`;
}
