import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessInfo } from '../../shared/process.ts';
import type { AppSpec } from '../../shared/stack.ts';
import { SwitchyardError } from '../../main/core/errors.ts';
import { Stack } from '../../main/core/stack.ts';
import type { StateChange } from '../../main/core/process/supervisor.ts';
import { alive } from '../helpers/processes.ts';
import { fixtureApp, fixtureStack } from '../helpers/specs.ts';
import { waitFor, waitForState } from '../helpers/wait.ts';

const running: Stack[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((stack) => stack.kill()));
});

async function startStack(apps: AppSpec[]): Promise<Stack> {
  const stack = new Stack(fixtureStack(apps), { retainedLines: 500 });
  running.push(stack);
  await stack.start();
  return stack;
}

function info(stack: Stack, name: string): ProcessInfo {
  const found = stack.processes().find((p) => p.name === name);
  if (!found) throw new Error(`no process ${name}; have ${stack.processes().map((p) => p.name).join(', ')}`);
  return found;
}

function pids(stack: Stack): Record<string, number | null> {
  return Object.fromEntries(stack.processes().map((p) => [p.name, p.pid]));
}

async function allReady(stack: Stack, names: string[]): Promise<void> {
  await Promise.all(names.map((name) => waitForState(stack, name, 'ready')));
}

/** Every state change of the named processes from now on (not a health result, which a busy machine can flip). */
function changesOf(stack: Stack, names: string[]): StateChange[] {
  const seen: StateChange[] = [];
  stack.onProcessChange((change) => {
    if (names.includes(change.info.name) && change.from !== change.to) seen.push(change);
  });
  return seen;
}

async function whoami(port: number): Promise<{ app: string; worker: number; pid: number }> {
  const response = await fetch(`http://127.0.0.1:${port}/whoami`);
  return (await response.json()) as { app: string; worker: number; pid: number };
}

async function expectSwitchyardError(promise: Promise<unknown> | (() => unknown), code: string): Promise<SwitchyardError> {
  let caught: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SwitchyardError);
  expect((caught as SwitchyardError).code).toBe(code);
  return caught as SwitchyardError;
}

describe('Stack', () => {
  it('brings every worker up ready, each on its own port and with its own number', async () => {
    const stack = await startStack([fixtureApp('api', 'env-dump.js', { replicas: 3 }), fixtureApp('jobs', 'ticker.js', { portEnv: null })]);
    const names = ['api-1', 'api-2', 'api-3', 'jobs-1'];
    expect(stack.processes().map((p) => p.name)).toEqual(names);
    await allReady(stack, names);
    const api = stack.processes().filter((p) => p.app === 'api');
    const ports = api.map((p) => p.port);
    expect(new Set(ports).size).toBe(3);
    for (const p of api) {
      expect(p.port).toBeGreaterThan(0);
      // The worker itself says who it is, on the port it was given.
      expect(await whoami(p.port as number)).toEqual({ app: 'api', worker: p.worker, pid: p.pid });
      const lines = stack.logs.query({ sources: new Set([p.name]) }).map((l) => l.text);
      expect(lines).toContain(`ENV SWITCHYARD_WORKER=${p.worker}`);
      expect(lines).toContain(`ENV PORT=${p.port}`);
    }
    expect(api.map((p) => p.worker)).toEqual([1, 2, 3]);
    expect(info(stack, 'jobs-1').port).toBeNull();
  });

  it('scales up with the next numbers without touching the running workers', async () => {
    const stack = await startStack([fixtureApp('api', 'env-dump.js', { replicas: 2 })]);
    await allReady(stack, ['api-1', 'api-2']);
    const before = pids(stack);
    const touched = changesOf(stack, ['api-1', 'api-2']);
    expect(await stack.scale('api', 4)).toEqual(['api-1', 'api-2', 'api-3', 'api-4']);
    await allReady(stack, ['api-3', 'api-4']);
    expect((await whoami(info(stack, 'api-4').port as number)).worker).toBe(4);
    expect(pids(stack)).toMatchObject(before);
    expect(new Set(Object.values(pids(stack))).size).toBe(4);
    expect(touched).toEqual([]);
    expect(info(stack, 'api-1').restarts).toBe(0);
  });

  it('scales down by draining and stopping the highest numbers, leaving the rest alone', async () => {
    const stack = await startStack([fixtureApp('api', 'graceful.js', { replicas: 4 })]);
    await allReady(stack, ['api-1', 'api-2', 'api-3', 'api-4']);
    const before = pids(stack);
    const leaving = [stack.find('api-3'), stack.find('api-4')];
    const touched = changesOf(stack, ['api-1', 'api-2']);
    const removedChanges = changesOf(stack, ['api-3', 'api-4']);
    const removed: string[] = [];
    stack.onProcessRemoved((info) => removed.push(info.name));

    expect(await stack.scale('api', 2)).toEqual(['api-1', 'api-2']);

    expect(stack.processes().map((p) => p.name)).toEqual(['api-1', 'api-2']);
    expect(removed.sort()).toEqual(['api-3', 'api-4']);
    for (const supervisor of leaving) {
      expect(supervisor?.state).toBe('stopped');
      expect(supervisor?.info().pid).toBeNull();
    }
    expect(alive(before['api-3'] as number)).toBe(false);
    expect(alive(before['api-4'] as number)).toBe(false);
    // Out of rotation before the signal: ready → draining → stopping → stopped.
    expect(removedChanges.filter((c) => c.info.name === 'api-3').map((c) => c.to)).toEqual(['draining', 'stopping', 'stopped']);
    expect(pids(stack)).toEqual({ 'api-1': before['api-1'], 'api-2': before['api-2'] });
    expect(touched).toEqual([]);

    // Scaling up again reuses the lowest free number.
    expect(await stack.scale('api', 3)).toEqual(['api-1', 'api-2', 'api-3']);
    await waitForState(stack, 'api-3', 'ready');
    expect(info(stack, 'api-3').pid).not.toBe(before['api-3']);
    expect(await stack.scale('api', 0)).toEqual([]);
    expect(stack.processes()).toEqual([]);
  });

  it('refuses a replica count that is not a whole number from 0 to 256', async () => {
    const stack = await startStack([fixtureApp('jobs', 'ticker.js', { portEnv: null })]);
    for (const bad of [-1, 1.5, 257, Number.NaN]) {
      const error = await expectSwitchyardError(stack.scale('jobs', bad), 'bad-request');
      expect(error.message).toMatch(/whole number from 0 to 256/);
    }
    expect(stack.processes().map((p) => p.name)).toEqual(['jobs-1']);
  });

  it('restarts one worker: only its pid changes', async () => {
    const stack = await startStack([fixtureApp('api', 'env-dump.js', { replicas: 3 })]);
    await allReady(stack, ['api-1', 'api-2', 'api-3']);
    const before = pids(stack);
    const touched = changesOf(stack, ['api-1', 'api-3']);
    expect(await stack.restart('api-2')).toEqual(['api-2']);
    await waitForState(stack, 'api-2', 'ready');
    const after = pids(stack);
    expect(after['api-2']).not.toBe(before['api-2']);
    expect(alive(before['api-2'] as number)).toBe(false);
    expect(after['api-1']).toBe(before['api-1']);
    expect(after['api-3']).toBe(before['api-3']);
    expect(touched).toEqual([]);
    // A restart a person asked for is counted apart from those after a crash (issue 14).
    expect(info(stack, 'api-2')).toMatchObject({ restarts: 0, manualRestarts: 1 });
    expect(info(stack, 'api-1')).toMatchObject({ restarts: 0, manualRestarts: 0 });
  });

  it('restarts an app: all its pids change, other apps keep theirs', async () => {
    const stack = await startStack([fixtureApp('api', 'env-dump.js', { replicas: 2 }), fixtureApp('jobs', 'ticker.js', { portEnv: null })]);
    await allReady(stack, ['api-1', 'api-2', 'jobs-1']);
    const before = pids(stack);
    expect(await stack.restart('api')).toEqual(['api-1', 'api-2']);
    await allReady(stack, ['api-1', 'api-2']);
    const after = pids(stack);
    expect(after['api-1']).not.toBe(before['api-1']);
    expect(after['api-2']).not.toBe(before['api-2']);
    expect(after['jobs-1']).toBe(before['jobs-1']);

    expect(await stack.restart('all')).toEqual(['api-1', 'api-2', 'jobs-1']);
    await allReady(stack, ['api-1', 'api-2', 'jobs-1']);
    expect(pids(stack)['jobs-1']).not.toBe(before['jobs-1']);
  });

  it('answers an unknown name with not-found and the names it knows', async () => {
    const stack = await startStack([fixtureApp('api', 'env-dump.js', { replicas: 2 }), fixtureApp('jobs', 'ticker.js', { portEnv: null })]);
    const restart = await expectSwitchyardError(stack.restart('apu'), 'not-found');
    expect(restart.message).toContain("'apu'");
    for (const known of ['api', 'jobs', 'api-1', 'api-2', 'jobs-1', 'all']) expect(restart.message).toContain(known);
    expect(restart.message).not.toContain('api-3');

    const scale = await expectSwitchyardError(stack.scale('apu', 2), 'not-found');
    expect(scale.message).toMatch(/apps: api, jobs/);

    const logs = await expectSwitchyardError(() => stack.logSources('api-9'), 'not-found');
    expect(logs.message).toContain('api-1');
    expect(stack.processes().map((p) => p.name)).toEqual(['api-1', 'api-2', 'jobs-1']);
  });

  it('resolves log sources for a worker, an app (removed workers included) and everything', async () => {
    const stack = await startStack([fixtureApp('api', 'env-dump.js', { replicas: 3 }), fixtureApp('api_v2', 'ticker.js', { portEnv: null })]);
    await allReady(stack, ['api-1', 'api-2', 'api-3']);
    await stack.scale('api', 1);
    const sources = stack.logSources('api');
    expect(typeof sources).toBe('function');
    const covers = sources as (source: string) => boolean;
    // The app's own lines (reloads, scaling), present and removed workers, and any the app may be
    // scaled up to; never another app.
    expect(['api', 'api-1', 'api-2', 'api-3', 'api-7'].every(covers)).toBe(true);
    expect(['api_v2-1', 'api_v2', 'api-', 'api-x', 'api-1-2'].some(covers)).toBe(false);
    const texts = stack.logs.query({ sources }).map((l) => `${l.source}: ${l.text}`);
    expect(texts).toContain('api-3: ENV SWITCHYARD_WORKER=3');
    expect(texts.some((t) => t.startsWith('api_v2'))).toBe(false);
    expect(stack.logSources('api-1')).toEqual(new Set(['api-1']));
    // A removed worker's retained lines can still be asked for by name.
    expect(stack.logSources('api-3')).toEqual(new Set(['api-3']));
    expect(stack.logSources(undefined)).toBeNull();
    expect(stack.logSources('all')).toBeNull();
  });

  it('samples CPU and memory of every live worker, summed over its process tree', async () => {
    const stop = { signal: 'SIGTERM' as const, timeout: 500 };
    const stack = await startStack([
      fixtureApp('plain', 'env-dump.js', { stop }),
      fixtureApp('tree', 'grandchild.js', { stop }),
      fixtureApp('jobs', 'ticker.js', { portEnv: null, stop }),
    ]);
    await allReady(stack, ['plain-1', 'tree-1', 'jobs-1']);
    // The grandchild is spawned at boot; wait until its own runtime is resident before measuring.
    await waitFor(() => stack.logs.query({ sources: new Set(['tree-1']) }).some((l) => l.text.startsWith('grandchild pid=')), 'the grandchild');
    const samples: ProcessInfo[][] = [];
    stack.onMetrics((all) => samples.push(all));
    await stack.sampleMetrics();
    expect(samples).toHaveLength(1);
    for (const p of stack.processes()) {
      expect(p.cpu, p.name).not.toBeNull();
      expect(p.cpu as number, p.name).toBeGreaterThanOrEqual(0);
      expect(p.memory as number, p.name).toBeGreaterThan(1024 * 1024);
    }
    // Two Node runtimes against one: the grandchild's memory is counted in. On a busy machine the
    // grandchild's runtime becomes resident some time after its first line: sample until it has.
    const counted = await waitFor(async () => {
      await stack.sampleMetrics();
      const plain = info(stack, 'plain-1').memory as number;
      const tree = info(stack, 'tree-1').memory as number;
      return tree > plain * 1.3 ? { plain, tree } : undefined;
    }, "the grandchild's memory in tree-1's");
    expect(counted.tree).toBeGreaterThan(counted.plain * 1.3);
  });

  it('stops everything, once, however often asked', async () => {
    const stack = await startStack([fixtureApp('api', 'graceful.js', { replicas: 2 }), fixtureApp('jobs', 'ticker.js', { portEnv: null })]);
    await allReady(stack, ['api-1', 'api-2', 'jobs-1']);
    const before = pids(stack);
    const stopping = changesOf(stack, ['api-1', 'api-2', 'jobs-1']);
    const first = stack.stop();
    const second = stack.stop();
    expect(second).toBe(first);
    expect(stack.isStopping).toBe(true);
    await Promise.all([first, second]);
    for (const p of stack.processes()) {
      expect(p.state, p.name).toBe('stopped');
      expect(p.pid, p.name).toBeNull();
    }
    for (const pid of Object.values(before)) expect(alive(pid as number)).toBe(false);
    expect(stopping.filter((c) => c.to === 'stopped')).toHaveLength(3);
    await stack.stop();
    expect(stopping.filter((c) => c.to === 'stopped')).toHaveLength(3);
    await expectSwitchyardError(stack.restart('api'), 'bad-request');
    await expectSwitchyardError(stack.scale('api', 3), 'bad-request');
    expect(stack.processes().every((p) => p.state === 'stopped')).toBe(true);
  });

  it('does not finish stopping while scaled-down workers are still on their way out', async () => {
    const stack = await startStack([
      fixtureApp('quick', 'graceful.js'),
      fixtureApp('slow', 'ignore-sigterm.js', { stop: { signal: 'SIGTERM', timeout: 1500 } }),
    ]);
    await allReady(stack, ['quick-1', 'slow-1']);
    const leavingPid = info(stack, 'slow-1').pid as number;
    const scaling = stack.scale('slow', 0);
    try {
      await waitFor(() => stack.processes().length === 1, 'slow-1 to leave the pool');
      await stack.stop();
      // Whoever awaited stop() (the CLI, just before it exits) must find no worker alive.
      expect(alive(leavingPid), 'the scaled-down worker outlived stop()').toBe(false);
    } finally {
      // Its own stop ends in a kill after the timeout; wait for it so no test leaves it behind.
      await scaling;
    }
  });

  it('gives up on a crash-looping app while the other apps keep running', async () => {
    const stack = await startStack([
      fixtureApp('good', 'env-dump.js'),
      fixtureApp('bad', 'crash-now.js', { maxRestarts: 2, backoff: { initial: 20, max: 100 } }),
    ]);
    await waitForState(stack, 'good-1', 'ready');
    const goodPid = info(stack, 'good-1').pid;
    const good = changesOf(stack, ['good-1']);
    await waitForState(stack, 'bad-1', 'failed', 20_000);
    const bad = info(stack, 'bad-1');
    expect(bad.lastStderr).toEqual(['fatal: cannot open config (fixture)']);
    expect(bad.reason).toMatch(/crash loop/);
    expect(bad.restarts).toBe(2);
    expect(info(stack, 'good-1')).toMatchObject({ state: 'ready', pid: goodPid });
    expect((await whoami(info(stack, 'good-1').port as number)).pid).toBe(goodPid);
    expect(good).toEqual([]);
  });
});
