// `export k8s`: manifests a maintained Kubernetes models package accepts, the same bytes every time,
// and every setting without a Kubernetes field named on its own line.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import type { StackSpec } from '../../shared/stack.ts';
import { EXAMPLES, loadOffline } from './offline-stack.ts';
import { exportKubernetes } from '../../main/core/export/k8s.ts';
import { kubeName } from '../../main/core/export/k8s-ingress.ts';
import { formatUntranslated } from '../../main/core/export/untranslated.ts';
import { makeStackDir, yaml } from '../config/stack-dir.ts';
import type { StackDir } from '../config/stack-dir.ts';

const MODELS = { Deployment, Job, Ingress, ConfigMap, Service } as const;


// Parsed YAML whose shape each test asserts on, after the Kubernetes schema has checked it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = { kind: keyof typeof MODELS; metadata: { name: string }; spec: Record<string, any> };

/** The manifests of `spec`, each checked against its Kubernetes schema; the test fails on the first invalid one. */
function manifestsOf(spec: StackSpec): { objects: Manifest[]; notes: string[]; text: string } {
  const { files, untranslated } = exportKubernetes(spec);
  expect(files.map((file) => file.name)).toEqual(['manifests.yaml']);
  const text = files[0]?.text ?? '';
  // A value used twice (one check in three probes) is written twice, never as a YAML anchor and alias.
  expect(text).not.toMatch(/(^|\s)[&*]a\d+(\s|$)/m);
  const objects = parseAllDocuments(text).map((doc) => {
    expect(doc.errors).toEqual([]);
    return doc.toJS() as Manifest;
  });
  for (const object of objects) {
    const Model = MODELS[object.kind];
    expect(Model, `a model for ${object.kind}`).toBeDefined();
    expect(() => new Model(object as never).validate(), `${object.kind} ${object.metadata.name}`).not.toThrow();
  }
  return { objects, notes: untranslated.map(formatUntranslated), text };
}

function find(objects: Manifest[], kind: string, name: string): Manifest {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${objects.map((object) => `${object.kind}/${object.metadata.name}`).join(', ')}`);
  return found;
}

describe('export k8s', () => {
  it('turns the demo into a Deployment and Service per app and an Ingress with its routes', async () => {
    const spec = await loadOffline(path.join(EXAMPLES, 'demo/switchyard.yaml'));
    const { objects, notes } = manifestsOf(spec);
    expect(objects.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual(['Deployment/api', 'Service/api', 'Ingress/demo']);
    const api = find(objects, 'Deployment', 'api').spec;
    expect(api.replicas).toBe(4);
    const [container] = api.template.spec.containers;
    expect(container.command).toEqual(['node', 'server.js']);
    expect(container.env).toEqual([
      { name: 'GREETING', value: 'hello from switchyard' },
      { name: 'PORT', value: '8000' },
      { name: 'SWITCHYARD_APP', value: 'api' },
    ]);
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8000 }]);
    expect(container.readinessProbe).toEqual({ httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
    expect(container.livenessProbe).toEqual({ httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 10 });
    // 10 × (5s + 1s): as long as Switchyard gives a reload's new worker to pass a check.
    expect(container.startupProbe).toMatchObject({ periodSeconds: 1, failureThreshold: 60 });
    expect(api.template.spec.terminationGracePeriodSeconds).toBe(5);
    expect(find(objects, 'Ingress', 'demo').spec.rules).toEqual([
      {
        http: {
          paths: [
            { path: '/api/', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 80 } } } },
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
          ],
        },
      },
    ]);
    expect(notes).toEqual([
      `app 'api': image: neither image: nor build: is given, so 'REPLACE-ME' stands in; add image: NAME to it in the stack file`,
      `app 'api': cwd: the command runs in the image's WORKDIR, not in ./backend: make the WORKDIR hold what ./backend does`,
      `app 'api': watch: a file change does not redeploy; build and roll out a new image instead`,
      `static site 'web': root: Kubernetes has no place for the files of ./web: its routes go to a Service 'web' on port 80 that you provide (an nginx image with the folder copied in)`,
    ]);
  });

  it('the Python example: a Job for the migration, its order, the reload signal, and binds widened to 0.0.0.0', async () => {
    const spec = await loadOffline(path.join(EXAMPLES, 'python/switchyard.yaml'));
    const { objects, notes } = manifestsOf(spec);
    const job = find(objects, 'Job', 'migrate').spec;
    expect(job.backoffLimit).toBe(0);
    expect(job.template.spec.restartPolicy).toBe('Never');
    expect(job.template.spec.containers[0].command).toEqual(['/usr/bin/python3', 'migrate.py']);
    const catalog = find(objects, 'Deployment', 'catalog').spec.template.spec.containers[0];
    expect(catalog.command).toEqual(['/usr/bin/python3', '-m', 'uvicorn', 'catalog:app', '--host', '0.0.0.0', '--port', '8000']);
    const orders = find(objects, 'Deployment', 'orders').spec.template.spec.containers[0];
    expect(orders.command).toContain('0.0.0.0:8000');
    expect(notes).toEqual(
      expect.arrayContaining([
        `app 'catalog': depends_on: Kubernetes starts everything at once, so it does not wait for migrate (completed); wait in an init container, or apply the Jobs first`,
        `app 'catalog': command: '127.0.0.1' binds loopback, which nothing outside the container reaches; written as '0.0.0.0'`,
        `app 'orders': command: '127.0.0.1:8000' binds loopback, which nothing outside the container reaches; written as '0.0.0.0:8000'`,
        `app 'orders': reload.signal: a rollout replaces containers; SIGHUP is not sent to reload in place`,
        `app 'orders': command: \${PYTHON:-…} is not set in the container, so its default '/usr/bin/python3' is written; make sure the image has it, or set PYTHON in env`,
      ]),
    );
  });
});

describe('export k8s of every kind of setting', () => {
  let stack: StackDir;
  beforeEach(async () => {
    stack = await makeStackDir();
  });
  afterEach(async () => {
    await stack.remove();
  });

  async function richStack(): Promise<StackSpec> {
    await stack.folder('backend');
    await stack.write('backend/.env', 'DATABASE_URL=postgres://db/shop\nSHARED=from-file\n');
    return loadOffline(
      await stack.write(
        'switchyard.yaml',
        yaml(
          'name: Shop Front',
          'proxy:',
          '  listen: 8080',
          '  client_header_timeout: 10s',
          '  routes:',
          '    - { path: /api/, to: api_v2, strip_prefix: true, timeout: 5m }',
          '    - { host: admin.example.com, path: /, to: api_v2 }',
          '    - { path: /docs, to: "https://docs.example.com" }',
          'tasks:',
          '  migrate: { command: python3 manage.py migrate, image: "shop/api:1.4", env_file: backend/.env }',
          'apps:',
          '  api_v2:',
          '    command: [sh, -c, "exec gunicorn -b 0.0.0.0:$$PORT app:app --name $$(hostname)"]',
          '    build: ./backend',
          '    replicas: 2',
          '    env_file: backend/.env',
          '    env: { SHARED: from-file, MODE: prod }',
          '    balance: ip-hash',
          '    restart: never',
          '    stop: { signal: SIGQUIT, timeout: 2500ms }',
          '    health: { path: /healthz, interval: 1500ms }',
          '    depends_on: { migrate: completed }',
          '  jobs:',
          '    command: python3 jobs.py',
          '    image: shop/jobs',
          '    port_env: none',
        ),
      ),
    );
  }

  it('writes what Kubernetes has a field for and names each setting it has none for', async () => {
    const spec = await richStack();
    const { objects, notes } = manifestsOf(spec);
    expect(objects.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual([
      'ConfigMap/migrate-env',
      'Job/migrate',
      'ConfigMap/api-v2-env',
      'Deployment/api-v2',
      'Service/api-v2',
      'Deployment/jobs',
      'Ingress/shop-front',
    ]);
    expect(find(objects, 'ConfigMap', 'api-v2-env')).toMatchObject({ data: { DATABASE_URL: 'postgres://db/shop', SHARED: 'from-file' } });
    const api = find(objects, 'Deployment', 'api-v2').spec.template.spec.containers[0];
    // $$ is the stack file's literal $, and Kubernetes's own $(…) is escaped so the shell gets it.
    expect(api.command).toEqual(['sh', '-c', 'exec gunicorn -b 0.0.0.0:$PORT app:app --name $$(hostname)']);
    expect(api.env).toEqual([
      { name: 'MODE', value: 'prod' },
      { name: 'PORT', value: '8000' },
      { name: 'SWITCHYARD_APP', value: 'api_v2' },
    ]);
    expect(api.envFrom).toEqual([{ configMapRef: { name: 'api-v2-env' } }]);
    expect(api.image).toBe('REPLACE-ME');
    const jobs = find(objects, 'Deployment', 'jobs').spec.template.spec.containers[0];
    expect(jobs).not.toHaveProperty('ports');
    expect(jobs).not.toHaveProperty('readinessProbe');
    const toApi = (path: string) => ({ path, pathType: 'Prefix', backend: { service: { name: 'api-v2', port: { number: 80 } } } });
    // The host's rule also has the host-less /api/: Switchyard routes admin.example.com/api/ by it, and an Ingress would not.
    expect(find(objects, 'Ingress', 'shop-front').spec.rules).toEqual([
      { http: { paths: [toApi('/api/')] } },
      { host: 'admin.example.com', http: { paths: [toApi('/'), toApi('/api/')] } },
    ]);
    expect(notes).toEqual([
      `task 'migrate': env_file: its values are in ConfigMap migrate-env, readable by anyone who can read the namespace: move secrets to a Secret`,
      `app 'api_v2': build: Kubernetes runs published images only: build ./backend, push it, and put its name in place of 'REPLACE-ME' (or give image: in the stack file)`,
      `app 'api_v2': name: Kubernetes names allow no _, so its objects are named 'api-v2'`,
      `app 'api_v2': env_file: its values are in ConfigMap api-v2-env, readable by anyone who can read the namespace: move secrets to a Secret`,
      `app 'api_v2': depends_on: Kubernetes starts everything at once, so it does not wait for migrate (completed); wait in an init container, or apply the Jobs first`,
      `app 'api_v2': balance: a Service spreads connections its own way; for ip-hash, set session affinity by client address in your Ingress controller`,
      `app 'api_v2': restart: a Deployment always restarts its containers`,
      `app 'api_v2': stop.signal: Kubernetes stops containers with SIGTERM (or the image's STOPSIGNAL), not SIGQUIT`,
      `app 'api_v2': health.interval: probes count whole seconds; 1s500ms is written as 2s`,
      `route /api/: strip_prefix: an Ingress has no field for it: the app gets /api/… unless your controller rewrites it (ingress-nginx: rewrite-target; Traefik: a StripPrefix middleware)`,
      `route /api/: timeout: an Ingress has no field for it (5m); set your controller's proxy read timeout`,
      `route /docs: to: an Ingress routes to Services only: make https://docs.example.com one (type ExternalName) and route to it`,
      `route /docs: path: a Prefix path matches whole segments, so /docs does not match /docsx as it does here`,
      `proxy: client limits: client_header_timeout 10s: an Ingress has no field for these; set them in your controller`,
    ]);
  });

  it("gives each host's Ingress rule the host-less routes it does not shadow, as Switchyard routes that host", async () => {
    await stack.folder('web');
    const spec = await loadOffline(
      await stack.write(
        'switchyard.yaml',
        yaml(
          'proxy:',
          '  listen: 8080',
          '  routes:',
          '    - { path: /api/, to: api }',
          '    - { path: /, to: web }',
          '    - { host: admin.example.com, path: /, to: admin }',
          'static:',
          '  web: { root: ./web }',
          'apps:',
          '  api: { command: node api.js, image: shop/api }',
          '  admin: { command: node admin.js, image: shop/admin, balance: least-conn }',
        ),
      ),
    );
    const to = (path: string, service: string) => ({ path, pathType: 'Prefix', backend: { service: { name: service, port: { number: 80 } } } });
    const { objects, notes } = manifestsOf(spec);
    expect(find(objects, 'Ingress', kubeName(spec.name)).spec.rules).toEqual([
      { http: { paths: [to('/api/', 'api'), to('/', 'web')] } },
      { host: 'admin.example.com', http: { paths: [to('/', 'admin'), to('/api/', 'api')] } },
    ]);
    expect(notes).toContain(`app 'admin': balance: a Service spreads connections its own way; for least-conn, set least connections as your Ingress controller's balancing`);
  });

  it('writes the same bytes for the same stack file, loaded again', async () => {
    const first = manifestsOf(await richStack()).text;
    const second = manifestsOf(await richStack()).text;
    expect(second).toBe(first);
  });

  it('a manifest the schema refuses is caught: the check is not a no-op', () => {
    expect(() => new Deployment({ metadata: { name: 'api' }, spec: { replicas: 'four' } } as never).validate()).toThrow();
  });
});
