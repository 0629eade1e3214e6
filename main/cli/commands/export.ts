// `switchyard export nginx|compose|k8s`: write the stack for the engines people deploy on, and say
// on stderr, one line each, what the target has no place for.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ListenAddress, StackSpec } from '../../../shared/stack.ts';
import { parseListen } from '../../core/config/listen.ts';
import type { NginxServer } from '../../core/proxy/nginx/nginx-conf.ts';
import { IMAGE_PLACEHOLDER } from '../../core/export/container.ts';
import { exportCompose } from '../../core/export/compose.ts';
import { exportKubernetes } from '../../core/export/k8s.ts';
import { exportNginxConf, parseUpstreamOption } from '../../core/export/nginx-export.ts';
import { formatUntranslated } from '../../core/export/untranslated.ts';
import type { ExportResult } from '../../core/export/untranslated.ts';
import { CliError, EXIT } from '../cli-error.ts';
import { loadOrExit } from './check.ts';

/** The targets, in the order the help lists them. */
export const EXPORT_TARGETS = ['nginx', 'compose', 'k8s'] as const;
type Target = (typeof EXPORT_TARGETS)[number];

export const EXPORT_USAGE = `Usage: switchyard export nginx|compose|k8s [-f FILE] [-o DIR] [options]

  nginx     nginx.conf: the proxy's routes, upstreams, headers and static rules for a production host
  compose   compose.yaml, with nginx in front (its nginx.conf beside it) and one service per app and task
  k8s       manifests.yaml: a Deployment and a Service per app, a Job per task, ConfigMaps for env
            files, and an Ingress with the routes

  -o, --out DIR            where to write (created if missing); default: deploy/<target>/ beside the stack file
  -f, --file FILE          the stack file (default: switchyard.yaml in the current folder)

Only for nginx:
  --listen [HOST:]PORT     where nginx listens (default: 80, every address)
  --upstream APP=HOST:PORT[,HOST:PORT…]
                           the servers of an app's upstream; repeat for each app (default: APP:8000,
                           its service in the compose export; in Kubernetes, its Service answers on 80)
  --static-dir DIR         the folder holding one folder per static site, named like the site
                           (default: /srv/static, so the site web is served from /srv/static/web)

Apps get a fixed port, 8000, in their containers (in PORT, or their port_env), and a command binding
127.0.0.1 is written with 0.0.0.0. An app or task without image: or build: in the stack file gets the
image '${IMAGE_PLACEHOLDER}' and the export exits 1 after writing, naming the key to add. What the target
cannot express (watch:, max_requests, reload signals, ...) is printed on stderr, one line each.`;

/** What `export` was asked for, as parsed from the command line. */
export interface ExportOptions {
  cwd: string;
  file: string | undefined;
  target: string;
  out: string | undefined;
  listen: string | undefined;
  upstreams: string[];
  staticDir: string | undefined;
}

export async function exportStack(options: ExportOptions): Promise<number> {
  const target = targetOf(options.target);
  if (target !== 'nginx' && (options.listen !== undefined || options.upstreams.length > 0 || options.staticDir !== undefined)) {
    throw new CliError(`--listen, --upstream and --static-dir are for export nginx only\n\n${EXPORT_USAGE}`, EXIT.usage);
  }
  const nginx = target === 'nginx' ? nginxOptions(options) : null;
  // The export is for another machine: this one need not have the programs, nor the port free.
  const { spec, file } = await loadOrExit(options.cwd, options.file, process.stderr, { checkPorts: false, checkCommands: false });
  if (nginx) checkUpstreamNames(spec, nginx.upstreams);
  const outDir = path.resolve(options.cwd, options.out ?? path.join(path.dirname(file), 'deploy', target));
  const result: ExportResult =
    target === 'compose' ? exportCompose(spec, outDir) : target === 'k8s' ? exportKubernetes(spec) : exportNginxConf(spec, nginx ?? { listen: { host: '0.0.0.0', port: 80 } });
  await mkdir(outDir, { recursive: true });
  for (const written of result.files) {
    const destination = path.join(outDir, written.name);
    await writeFile(destination, written.text);
    process.stdout.write(`${path.relative(options.cwd, destination) || destination}\n`);
  }
  for (const item of result.untranslated) process.stderr.write(`not translated: ${formatUntranslated(item)}\n`);
  const placeholders = result.untranslated.filter((item) => item.placeholder);
  if (placeholders.length > 0) {
    const owners = placeholders.map((item) => item.owner).join(', ');
    throw new CliError(`written with the placeholder image '${IMAGE_PLACEHOLDER}' for ${owners}: give each ${target === 'k8s' ? 'an image:' : 'an image: or a build:'} in ${path.relative(options.cwd, file) || file} and export again`);
  }
  if (result.files.length === 0) throw new CliError(`nothing to export to ${target}`);
  return EXIT.ok;
}

function targetOf(text: string): Target {
  const target = EXPORT_TARGETS.find((name) => name === text);
  if (target === undefined) throw new CliError(`unknown export target '${text}'; choose nginx, compose or k8s\n\n${EXPORT_USAGE}`, EXIT.usage);
  return target;
}

function nginxOptions(options: ExportOptions): { listen: ListenAddress; upstreams: Record<string, NginxServer[]>; staticDir?: string } {
  const usage = (message: string) => new CliError(`${message}\n\n${EXPORT_USAGE}`, EXIT.usage);
  let listen: ListenAddress = { host: '0.0.0.0', port: 80 };
  if (options.listen !== undefined) {
    try {
      const parsed = parseListen(/^\d+$/.test(options.listen) ? Number(options.listen) : options.listen);
      // A bare port means every address, as nginx's own `listen 80` does, not Switchyard's loopback default.
      listen = /^\d+$/.test(options.listen) ? { host: '0.0.0.0', port: parsed.port } : parsed;
    } catch (error) {
      throw usage(`--listen: ${(error as Error).message}`);
    }
  }
  const upstreams: Record<string, NginxServer[]> = {};
  for (const text of options.upstreams) {
    try {
      const { app, servers } = parseUpstreamOption(text);
      upstreams[app] = [...(upstreams[app] ?? []), ...servers];
    } catch (error) {
      throw usage((error as Error).message);
    }
  }
  if (options.staticDir !== undefined && !path.posix.isAbsolute(options.staticDir)) throw usage(`--static-dir takes an absolute path on the nginx host, like /srv/static; got '${options.staticDir}'`);
  return { listen, upstreams, ...(options.staticDir === undefined ? {} : { staticDir: options.staticDir }) };
}

function checkUpstreamNames(spec: StackSpec, upstreams: Record<string, NginxServer[]>): void {
  const apps = spec.apps.filter((app) => app.portEnv !== null).map((app) => app.name);
  for (const name of Object.keys(upstreams)) {
    if (!apps.includes(name)) throw new CliError(`--upstream ${name}: the stack has no app '${name}' that serves a port; apps: ${apps.join(', ') || '(none)'}`, EXIT.usage);
  }
}
