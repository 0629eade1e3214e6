// `switchyard export compose`: a compose.yaml with one service per app and task, and nginx in front
// with the same nginx.conf `export nginx` writes, pointed at the services by name.
import type { AppSpec, Dependency, StackSpec, TaskSpec } from '../../../shared/stack.ts';
import { formatDuration } from '../config/duration.ts';
import { CONTAINER_PORT, containerCommand, containerEnvironment, imageOrPlaceholder, ownerOf, relativePath, supervisorOnly, workingDirNote } from './container.ts';
import { exportNginxConf, STATIC_MOUNT } from './nginx-export.ts';
import { startDeadline } from './probes.ts';
import type { ExportResult, Untranslated } from './untranslated.ts';
import { yamlFile } from './yaml-file.ts';

/** The nginx image the proxy service runs: the stable line, pinned to its minor version. */
export const NGINX_IMAGE = 'nginx:1.28';

/** The proxy's service; `proxy` is a name no app, site or task may take. */
const PROXY_SERVICE = 'proxy';

/** compose.yaml and nginx.conf for `spec`, written to `outDir` (paths in them are relative to it). */
export function exportCompose(spec: StackSpec, outDir: string): ExportResult {
  const untranslated: Untranslated[] = [];
  const relative = (file: string) => relativePath(outDir, file);
  const portless = new Set(spec.apps.filter((app) => app.portEnv === null).map((app) => app.name));
  const services: Record<string, unknown> = {};
  for (const task of spec.tasks) {
    services[task.name] = { ...program(task, relative, untranslated), restart: 'no', ...dependsOn(task.dependsOn, portless) };
    untranslated.push(...workingDirNote(task, spec.dir));
  }
  for (const app of spec.apps) {
    const runs = program(app, relative, untranslated);
    untranslated.push(...workingDirNote(app, spec.dir), ...supervisorOnly(app), ...healthNotes(app));
    services[app.name] = {
      ...runs,
      ...(app.portEnv === null ? {} : { expose: [String(CONTAINER_PORT)], healthcheck: healthcheck(app) }),
      deploy: { replicas: app.replicas },
      restart: app.restart === 'never' ? 'no' : app.restart,
      stop_signal: app.stop.signal,
      stop_grace_period: formatDuration(app.stop.timeout),
      ...dependsOn(app.dependsOn, portless),
    };
  }
  const files = [];
  if (spec.proxy) {
    const conf = exportNginxConf(spec, { listen: { host: '0.0.0.0', port: 80 } });
    untranslated.push(...conf.untranslated);
    files.push(...conf.files);
    services[PROXY_SERVICE] = proxyService(spec, relative);
  } else if (spec.statics.length > 0) {
    for (const site of spec.statics) untranslated.push({ owner: `static site '${site.name}'`, key: 'root', why: 'the stack has no proxy:, and only the proxy serves static sites in the export; add a proxy with a route to it' });
  }
  const header = `Written by \`switchyard export compose\` from ${relative(spec.file)}: change the stack file and export again.\nApps listen on port ${CONTAINER_PORT} in their containers (PORT is set to it); the proxy publishes the stack's listen port.`;
  files.unshift({ name: 'compose.yaml', text: yamlFile({ name: composeProjectName(spec.name), services }, header) });
  return { files, untranslated };
}

function program(owner: AppSpec | TaskSpec, relative: (file: string) => string, untranslated: Untranslated[]): Record<string, unknown> {
  const image = imageOrPlaceholder(owner, untranslated);
  const command = containerCommand(owner);
  untranslated.push(...command.notes);
  const { inline, files } = containerEnvironment(owner);
  return {
    ...('build' in image ? { build: relative(image.build) } : image),
    // Compose replaces $VAR from the shell that runs it; the command and values are meant as written.
    command: command.argv.map(escapeDollars),
    environment: Object.fromEntries(Object.entries(inline).map(([key, value]) => [key, escapeDollars(value)])),
    ...(files.length > 0 ? { env_file: files.map(relative) } : {}),
  };
}

const CONDITION = { healthy: 'service_healthy', started: 'service_started', completed: 'service_completed_successfully' } as const;

// An app that serves no port has no healthcheck: Switchyard counts it healthy once started, and so does this.
function dependsOn(dependencies: readonly Dependency[], portless: ReadonlySet<string>): Record<string, unknown> {
  if (dependencies.length === 0) return {};
  const entries = dependencies.map(({ on, condition }) => [on, { condition: condition === 'healthy' && portless.has(on) ? CONDITION.started : CONDITION[condition] }]);
  return { depends_on: Object.fromEntries(entries) };
}

function proxyService(spec: StackSpec, relative: (file: string) => string): Record<string, unknown> {
  const proxy = spec.proxy;
  if (proxy === null) throw new Error('proxyService needs a proxy');
  const routed = new Set(proxy.routes.map((route) => route.to));
  const apps = spec.apps.filter((app) => routed.has(app.name) && app.portEnv !== null);
  const sites = spec.statics.filter((site) => routed.has(site.name));
  return {
    image: NGINX_IMAGE,
    ports: [`${proxy.listen.port}:80`],
    volumes: ['./nginx.conf:/etc/nginx/nginx.conf:ro', ...sites.map((site) => `${relative(site.root)}:${STATIC_MOUNT}/${site.name}:ro`)],
    restart: 'always',
    // nginx resolves its upstreams' names once, at start: each app's containers must be up by then.
    ...(apps.length > 0 ? { depends_on: Object.fromEntries(apps.map((app) => [app.name, { condition: CONDITION.healthy }])) } : {}),
  };
}

function healthcheck(app: AppSpec): Record<string, unknown> {
  return {
    test: ['CMD-SHELL', escapeDollars(healthcheckCommand(app.health.path, CONTAINER_PORT))],
    interval: formatDuration(app.health.interval),
    timeout: formatDuration(app.health.timeout),
    retries: app.health.unhealthyAfter,
    start_period: formatDuration(startDeadline(app.health)),
    start_interval: formatDuration(app.health.startInterval),
  };
}

/**
 * A check that needs nothing installed in the image: wget where there is one (Alpine's busybox), else
 * bash's /dev/tcp (Debian-based images, which the node and python images are, have bash but
 * neither wget nor curl in their slim variants). The path is a quoted word, and printf's argument
 * rather than its format, so a `&`, `%` or quote in it reaches the app as written.
 */
export function healthcheckCommand(path: string | null, port: number): string {
  if (path === null) return `nc -z 127.0.0.1 ${port} 2>/dev/null || bash -c '</dev/tcp/127.0.0.1/${port}'`;
  const request = `exec 3<>/dev/tcp/127.0.0.1/${port} && printf "GET %s HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n" ${shellWord(path)} >&3 && head -n 1 <&3 | grep -q " 2[0-9][0-9] "`;
  return `wget -q -O /dev/null ${shellWord(`http://127.0.0.1:${port}${path}`)} 2>/dev/null || bash -c ${shellWord(request)}`;
}

/** `text` as one word of a POSIX shell command: as it is when nothing in it is special, else single-quoted. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

function healthNotes(app: AppSpec): Untranslated[] {
  if (app.portEnv === null) return [];
  const owner = ownerOf(app);
  const notes: Untranslated[] = [{ owner, key: 'health.restart_after', why: 'Docker marks a container unhealthy but does not restart it; only an exit restarts it' }];
  if (app.health.healthyAfter !== 1) notes.push({ owner, key: 'health.healthy_after', why: 'Compose counts a container healthy after one passing check' });
  return notes;
}

function escapeDollars(text: string): string {
  return text.replaceAll('$', () => '$$');
}

// Compose project names: lowercase letters, digits, dashes and underscores, starting with a letter or digit.
function composeProjectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, '-').replace(/^[^a-z0-9]+/, '') || 'switchyard';
}
