// `switchyard export k8s`: a Deployment and a Service per app, a Job per task, a ConfigMap per env
// file set, and an Ingress with the routes (k8s-ingress.ts), in one multi-document manifests.yaml.
import path from 'node:path';
import type { AppSpec, HealthSpec, StackSpec, TaskSpec } from '../../../shared/stack.ts';
import { formatDuration } from '../config/duration.ts';
import { CONTAINER_PORT, containerCommand, containerEnvironment, IMAGE_PLACEHOLDER, ownerOf, relativePath, supervisorOnly, workingDirNote } from './container.ts';
import { ingressFor, kubeName, SERVICE_PORT } from './k8s-ingress.ts';
import { startDeadline } from './probes.ts';
import type { ExportResult, Untranslated } from './untranslated.ts';
import { yamlStream } from './yaml-file.ts';

/** The manifests for `spec`, and what they could not translate (paths in messages relative to the stack file). */
export function exportKubernetes(spec: StackSpec): ExportResult {
  // Nothing is mounted from this machine: a path is only named, as the stack file writes it.
  const relative = (file: string) => relativePath(spec.dir, file);
  const untranslated: Untranslated[] = [];
  const partOf = kubeName(spec.name);
  const objects: unknown[] = [];
  for (const task of spec.tasks) {
    const { container, configMap } = containerOf(task, partOf, relative, untranslated);
    untranslated.push(...workingDirNote(task, spec.dir));
    if (configMap) objects.push(configMap);
    if (task.dependsOn.length > 0) untranslated.push(orderNote(task));
    objects.push({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: metadata(task.name, partOf),
      // A task runs once and is never restarted on its own, in Switchyard as here.
      spec: { backoffLimit: 0, template: { metadata: { labels: labels(task.name, partOf) }, spec: { restartPolicy: 'Never', containers: [container] } } },
    });
  }
  for (const app of spec.apps) {
    const { container, configMap } = containerOf(app, partOf, relative, untranslated);
    untranslated.push(...workingDirNote(app, spec.dir), ...supervisorOnly(app), ...appNotes(app));
    if (configMap) objects.push(configMap);
    if (app.portEnv !== null) Object.assign(container, { ports: [{ name: 'http', containerPort: CONTAINER_PORT }] }, probes(app.health));
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: metadata(app.name, partOf),
      spec: {
        replicas: app.replicas,
        selector: { matchLabels: { 'app.kubernetes.io/name': kubeName(app.name) } },
        template: {
          metadata: { labels: labels(app.name, partOf) },
          spec: { terminationGracePeriodSeconds: Math.ceil(app.stop.timeout / 1000), containers: [container] },
        },
      },
    });
    if (app.portEnv === null) continue;
    objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: metadata(app.name, partOf),
      spec: { selector: { 'app.kubernetes.io/name': kubeName(app.name) }, ports: [{ name: 'http', port: SERVICE_PORT, targetPort: 'http' }] },
    });
  }
  if (spec.proxy) {
    const ingress = ingressFor(spec, partOf, relative);
    objects.push(ingress.object);
    untranslated.push(...ingress.untranslated);
  }
  const header = `Written by \`switchyard export k8s\` from ${path.basename(spec.file)}: change the stack file and export again.\nApps listen on port ${CONTAINER_PORT} in their containers; each app's Service answers on port ${SERVICE_PORT}.`;
  return { files: [{ name: 'manifests.yaml', text: yamlStream(objects, header) }], untranslated };
}

function metadata(name: string, partOf: string): Record<string, unknown> {
  return { name: kubeName(name), labels: labels(name, partOf) };
}

function labels(name: string, partOf: string): Record<string, string> {
  return { 'app.kubernetes.io/name': kubeName(name), 'app.kubernetes.io/part-of': partOf };
}

/** The container of an app or a task, and the ConfigMap holding its env files' values when it has any. */
function containerOf(owner: AppSpec | TaskSpec, partOf: string, relative: (file: string) => string, untranslated: Untranslated[]): { container: Record<string, unknown>; configMap: unknown } {
  const runs = image(owner, relative, untranslated);
  const command = containerCommand(owner);
  untranslated.push(...command.notes);
  if (owner.name !== kubeName(owner.name)) untranslated.push({ owner: ownerOf(owner), key: 'name', why: `Kubernetes names allow no _, so its objects are named '${kubeName(owner.name)}'` });
  const { inline, files, fromFiles } = containerEnvironment(owner);
  const configName = `${kubeName(owner.name)}-env`;
  const container: Record<string, unknown> = {
    name: kubeName(owner.name),
    image: runs,
    // Kubernetes expands $(NAME) in commands and values itself: `$$(` keeps one as written.
    command: command.argv.map(escapeReferences),
    env: Object.entries(inline).map(([name, value]) => ({ name, value: escapeReferences(value) })),
    ...(files.length > 0 ? { envFrom: [{ configMapRef: { name: configName } }] } : {}),
  };
  if (files.length === 0) return { container, configMap: null };
  untranslated.push({ owner: ownerOf(owner), key: 'env_file', why: `its values are in ConfigMap ${configName}, readable by anyone who can read the namespace: move secrets to a Secret` });
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: configName, labels: labels(owner.name, partOf) }, data: fromFiles };
  return { container, configMap };
}

function image(owner: AppSpec | TaskSpec, relative: (file: string) => string, untranslated: Untranslated[]): string {
  const container = owner.container;
  if (container && 'image' in container) return container.image;
  const why = container
    ? `Kubernetes runs published images only: build ${relative(container.build)}, push it, and put its name in place of '${IMAGE_PLACEHOLDER}' (or give image: in the stack file)`
    : `neither image: nor build: is given, so '${IMAGE_PLACEHOLDER}' stands in; add image: NAME to it in the stack file`;
  untranslated.push({ owner: ownerOf(owner), key: container ? 'build' : 'image', why, placeholder: true });
  return IMAGE_PLACEHOLDER;
}

/**
 * Readiness as Switchyard's rotation (healthy_after passes in, unhealthy_after fails out), liveness as
 * its restart of a hung worker (restart_after fails), and a startup probe giving a new container as long
 * as Switchyard gives a reload's new worker, checked at start_interval's pace.
 */
function probes(health: HealthSpec): Record<string, unknown> {
  const check = health.path === null ? { tcpSocket: { port: 'http' } } : { httpGet: { path: health.path, port: 'http' } };
  const timing = { periodSeconds: seconds(health.interval), timeoutSeconds: seconds(health.timeout) };
  const startPeriod = seconds(health.startInterval);
  return {
    startupProbe: { ...check, periodSeconds: startPeriod, timeoutSeconds: timing.timeoutSeconds, failureThreshold: Math.ceil(startDeadline(health) / (startPeriod * 1000)) },
    readinessProbe: { ...check, ...timing, successThreshold: health.healthyAfter, failureThreshold: health.unhealthyAfter },
    livenessProbe: { ...check, ...timing, failureThreshold: health.restartAfter },
  };
}

// Probes count whole seconds, at least one.
function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function appNotes(app: AppSpec): Untranslated[] {
  const owner = ownerOf(app);
  const notes: Untranslated[] = [];
  const note = (key: string, why: string) => notes.push({ owner, key, why });
  if (app.dependsOn.length > 0) notes.push(orderNote(app));
  if (app.balance !== 'round-robin') {
    const instead = app.balance === 'ip-hash' ? "set session affinity by client address in your Ingress controller" : "set least connections as your Ingress controller's balancing";
    note('balance', `a Service spreads connections its own way; for ${app.balance}, ${instead}`);
  }
  if (app.restart === 'never') note('restart', 'a Deployment always restarts its containers');
  if (app.stop.signal !== 'SIGTERM') note('stop.signal', `Kubernetes stops containers with SIGTERM (or the image's STOPSIGNAL), not ${app.stop.signal}`);
  for (const key of ['interval', 'timeout'] as const) {
    if (app.portEnv !== null && app.health[key] % 1000 !== 0) note(`health.${key}`, `probes count whole seconds; ${formatDuration(app.health[key])} is written as ${seconds(app.health[key])}s`);
  }
  return notes;
}

function orderNote(owner: AppSpec | TaskSpec): Untranslated {
  const waits = owner.dependsOn.map((dependency) => `${dependency.on} (${dependency.condition})`).join(', ');
  return { owner: ownerOf(owner), key: 'depends_on', why: `Kubernetes starts everything at once, so it does not wait for ${waits}; wait in an init container, or apply the Jobs first` };
}

function escapeReferences(text: string): string {
  return text.replaceAll('$(', () => '$$(');
}
