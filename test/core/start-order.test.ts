// depends_on and tasks with real processes: the order of starts, waiting and blocked runs and their
// reasons, a task run again from the control API, and a changed stack file.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessInfo } from '../../shared/process.ts';
import type { AppSpec, Dependency, StackSpec, TaskSpec } from '../../shared/stack.ts';
import { ControlClient } from '../../main/core/control/control-client.ts';
import { ControlHub } from '../../main/core/control/control-api.ts';
import { ControlServer } from '../../main/core/control/control-server.ts';
import { Stack } from '../../main/core/stack.ts';
import { FIXTURES, fixtureApp, fixtureStack } from '../helpers/specs.ts';
import { waitFor, waitForState } from '../helpers/wait.ts';

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** A file a fixture reads its mode from (task-step.js, controlled.js). */
function controlFile(mode: string): { file: string; set: (mode: string) => void } {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sy-order-')), 'control');
  writeFileSync(file, mode);
  return { file, set: (next) => writeFileSync(file, next) };
}

function task(name: string, control: string, overrides: Partial<TaskSpec> = {}): TaskSpec {
  return { name, argv: [process.execPath, path.join(FIXTURES, 'task-step.js')], cwd: FIXTURES, env: { CONTROL_FILE: control }, dependsOn: [], ...overrides };
}

function after(...pairs: [string, Dependency['condition']][]): Dependency[] {
  return pairs.map(([on, condition]) => ({ on, condition }));
}

function stackOf(apps: AppSpec[], tasks: TaskSpec[]): StackSpec {
  return { ...fixtureStack(apps), tasks };
}

async function run(spec: StackSpec): Promise<Stack> {
  const stack = new Stack(spec, { retainedLines: 500 });
  cleanups.push(() => stack.kill());
  await stack.start();
  return stack;
}

function info(stack: Stack, name: string): ProcessInfo {
  const found = stack.processes().find((p) => p.name === name);
  if (!found) throw new Error(`no process ${name}; have ${stack.processes().map((p) => p.name).join(', ')}`);
  return found;
}

/** The order in which processes reached each state, from now on. */
function timeline(stack: Stack): string[] {
  const seen: string[] = [];
  stack.onProcessChange(({ from, to, info }) => {
    if (from !== to) seen.push(`${info.name} ${to}`);
  });
  return seen;
}

function logText(stack: Stack, source: string): string[] {
  return stack.logs.query({ sources: new Set([source]) }).map((line) => line.text);
}

describe('start order', () => {
  it('starts an app only after the task it depends on has completed, and says what it waits for meanwhile', async () => {
    const control = controlFile('wait');
    const stack = await run(stackOf([fixtureApp('api', 'http-worker.js', { dependsOn: after(['migrate', 'completed']) })], [task('migrate', control.file)]));

    await waitFor(() => logText(stack, 'migrate').includes('migrating (no arguments)'), 'the task to run');
    expect(info(stack, 'api-1')).toMatchObject({ state: 'waiting', reason: 'waiting for migrate (completed)', pid: null, kind: 'worker' });
    expect(info(stack, 'migrate')).toMatchObject({ state: 'starting', kind: 'task' });

    control.set('ok');
    await waitForState(stack, 'api-1', 'ready');
    const migrate = info(stack, 'migrate');
    expect(migrate).toMatchObject({ state: 'exited', lastExit: { code: 0 } });
    expect(info(stack, 'api-1').startedAt).toBeGreaterThanOrEqual(migrate.lastExit?.at ?? Infinity);
    expect(logText(stack, 'api')).toEqual(['waiting for migrate (completed)', 'starting: migrate (completed)']);
  });

  it('holds a task until the app it needs is healthy, and its dependants until it has completed', async () => {
    const db = controlFile('sick');
    const stack = await run(
      stackOf(
        [fixtureApp('db', 'controlled.js', { env: { CONTROL_FILE: db.file } }), fixtureApp('api', 'http-worker.js', { dependsOn: after(['migrate', 'completed'], ['db', 'started']) })],
        [task('migrate', controlFile('ok').file, { dependsOn: after(['db', 'healthy']) })],
      ),
    );
    const order = timeline(stack);
    await waitFor(() => info(stack, 'db-1').pid !== null, 'db to run');
    expect(info(stack, 'migrate')).toMatchObject({ state: 'waiting', reason: 'waiting for db (healthy)' });
    expect(info(stack, 'api-1')).toMatchObject({ state: 'waiting', reason: 'waiting for migrate (completed)' });

    db.set('ok');
    await waitForState(stack, 'api-1', 'ready');
    const relevant = order.filter((step) => ['db-1 ready', 'migrate starting', 'migrate exited', 'api-1 starting'].includes(step));
    expect(relevant).toEqual(['db-1 ready', 'migrate starting', 'migrate exited', 'api-1 starting']);
  });

  it('blocks the dependants of a failed task with its reason and stderr, refuses to start them, and starts them once it is run again', async () => {
    const control = controlFile('fail');
    const stack = await run(
      stackOf(
        [
          fixtureApp('api', 'http-worker.js', { dependsOn: after(['migrate', 'completed']) }),
          fixtureApp('web', 'http-worker.js', { dependsOn: after(['api', 'started']) }),
        ],
        [task('migrate', control.file)],
      ),
    );
    await waitForState(stack, 'web-1', 'blocked');
    expect(info(stack, 'migrate')).toMatchObject({ state: 'crashed', lastExit: { code: 1 } });
    expect(info(stack, 'migrate').lastStderr).toEqual(['migration 0042 failed: relation "users" already exists (fixture)']);
    expect(info(stack, 'api-1')).toMatchObject({ state: 'blocked', reason: 'blocked: migrate failed (exit 1)', pid: null });
    expect(info(stack, 'web-1')).toMatchObject({ state: 'blocked', reason: 'blocked: api cannot run, migrate failed (exit 1)' });

    const refusal = 'cannot restart api: blocked: migrate failed (exit 1); fix migrate, then run it again (switchyard restart migrate) and api starts on its own';
    await expect(stack.restart('api')).rejects.toThrow(refusal);
    await expect(stack.reload('api')).rejects.toThrow('cannot reload api: blocked: migrate failed (exit 1)');
    await expect(stack.startTarget('web')).rejects.toThrow("cannot start web: blocked: api cannot run, migrate failed (exit 1); fix migrate");
    await expect(stack.scale('api', 2)).rejects.toThrow('cannot scale api: blocked');

    // Run again through the control API, as the dashboard's Run again does.
    const token = randomBytes(16).toString('hex');
    const hub = new ControlHub(stack, { startedAt: Date.now(), onShutdown: () => {} });
    const server = await ControlServer.listen({ api: hub.api, logs: stack.logs, logSources: (name) => stack.logSources(name), token });
    cleanups.push(async () => {
      await server.close();
      hub.dispose();
    });
    control.set('ok');
    expect(await new ControlClient({ port: server.port, token }).restart('migrate')).toEqual(['migrate']);
    await Promise.all([waitForState(stack, 'web-1', 'ready'), waitForState(stack, 'api-1', 'ready')]);
    expect(info(stack, 'migrate')).toMatchObject({ state: 'exited', manualRestarts: 1, lastStderr: [] });
  });

  it('runs a task again from a stopped or finished state, and leaves running dependants alone', async () => {
    const runs = path.join(mkdtempSync(path.join(os.tmpdir(), 'sy-runs-')), 'runs');
    const stack = await run(
      stackOf([fixtureApp('api', 'http-worker.js', { dependsOn: after(['migrate', 'completed']) })], [task('migrate', controlFile('ok').file, { env: { RUNS_FILE: runs } })]),
    );
    await waitForState(stack, 'api-1', 'ready');
    const pid = info(stack, 'api-1').pid;
    expect(await stack.restart('migrate')).toEqual(['migrate']);
    await waitFor(() => readFileSync(runs, 'utf8').trim().split('\n').length === 2 && info(stack, 'migrate').state === 'exited', 'the second run to finish');
    expect(info(stack, 'api-1')).toMatchObject({ state: 'ready', pid });
  });
});

describe('a changed stack file with tasks and depends_on', () => {
  it('adds a task and a dependency of a running app: the task runs, the app keeps running', async () => {
    const api = fixtureApp('api', 'http-worker.js');
    const stack = await run(stackOf([api], []));
    await waitForState(stack, 'api-1', 'ready');
    const pid = info(stack, 'api-1').pid;
    const control = controlFile('wait');
    const changes = await stack.applySpec(
      stackOf([{ ...api, dependsOn: after(['migrate', 'completed']) }, fixtureApp('worker', 'http-worker.js', { dependsOn: after(['migrate', 'completed']) })], [task('migrate', control.file)]),
    );
    expect(changes).toEqual(['added app worker', 'added task migrate', "updated api's settings in place (no worker replaced)"]);
    expect(info(stack, 'worker-1')).toMatchObject({ state: 'waiting', reason: 'waiting for migrate (completed)' });
    control.set('ok');
    await waitForState(stack, 'worker-1', 'ready');
    expect(info(stack, 'api-1')).toMatchObject({ state: 'ready', pid });
  });

  it('scales an app that still waits: the new worker waits with the others', async () => {
    const control = controlFile('wait');
    const api = fixtureApp('api', 'http-worker.js', { dependsOn: after(['migrate', 'completed']) });
    const stack = await run(stackOf([api], [task('migrate', control.file)]));
    expect(await stack.applySpec(stackOf([{ ...api, replicas: 2 }], [task('migrate', control.file)]))).toEqual(['scaled api to 2']);
    expect(info(stack, 'api-2')).toMatchObject({ state: 'waiting', reason: 'waiting for migrate (completed)', pid: null });
    control.set('ok');
    await Promise.all([waitForState(stack, 'api-1', 'ready'), waitForState(stack, 'api-2', 'ready')]);
  });

  it('refuses to replace running workers before a dependency the same change adds has completed', async () => {
    const api = fixtureApp('api', 'http-worker.js');
    const stack = await run(stackOf([api], []));
    await waitForState(stack, 'api-1', 'ready');
    const changed = stackOf([{ ...api, env: { VERSION: '2' }, dependsOn: after(['migrate', 'completed']) }], [task('migrate', controlFile('ok').file)]);
    await expect(stack.applySpec(changed)).rejects.toThrow(
      'api would be replaced or run again now, but it is waiting for migrate (completed), which this change adds; apply the new dependency first',
    );
    expect(stack.processes().map((p) => p.name)).toEqual(['api-1']);
  });

  it('runs a failed task again with its fixed settings, and its blocked dependants start', async () => {
    const failing = task('migrate', controlFile('fail').file);
    const api = fixtureApp('api', 'http-worker.js', { dependsOn: after(['migrate', 'completed']) });
    const stack = await run(stackOf([api], [failing]));
    await waitForState(stack, 'api-1', 'blocked');
    const changes = await stack.applySpec(stackOf([api], [{ ...failing, argv: [...failing.argv, '--fake'], env: { CONTROL_FILE: controlFile('ok').file } }]));
    expect(changes).toEqual(['ran migrate again with its new settings']);
    await waitForState(stack, 'api-1', 'ready');
    expect(logText(stack, 'migrate')).toContain('migrating (--fake)');
  });
});
