// The runtime of Switchyard's own processes reaches them and nothing else. In the desktop app the
// proxy, the static servers and the watchdog run on the Electron binary with ELECTRON_RUN_AS_NODE=1,
// and a user's worker started with that variable would be Node instead of the program it names.
// Plain Node ignores the variable, so these tests give it to plain Node and read each process's
// real environment from /proc.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_LIMITS } from '../../shared/stack.ts';
import type { StackSpec } from '../../shared/stack.ts';
import type { NodeRuntime } from '../../main/core/process/node-runtime.ts';
import { Watchdog } from '../../main/core/host/watchdog.ts';
import { Stack } from '../../main/core/stack.ts';
import { alive, newMarker, processesWithMarker } from '../helpers/processes.ts';
import { FIXTURES, fixtureApp } from '../helpers/specs.ts';
import { waitFor, waitForState } from '../helpers/wait.ts';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** What the desktop app passes, with a mark that only the runtime sets. */
const RUNTIME: NodeRuntime = { argv: [process.execPath], env: { ELECTRON_RUN_AS_NODE: '1', SWITCHYARD_TEST_MARK: 'x' } };

/** The environment a running process really has. Linux only. */
function environOf(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const equals = entry.indexOf('=');
    if (equals > 0) env[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return env;
}

function pidOf(stack: Stack, name: string): number {
  const pid = stack.processes().find((p) => p.name === name)?.pid;
  if (pid === null || pid === undefined) throw new Error(`${name} has no pid`);
  return pid;
}

/** A stack with a static site, an app and (unless `withProxy` is false) a proxy, which then serves the site itself. */
async function startStack(withProxy = true): Promise<{ stack: Stack; marker: { key: string; value: string } }> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'switchyard-runtime-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(path.join(root, 'index.html'), '<h1>site</h1>');
  const port = await getPort({ host: '127.0.0.1' });
  const route = { host: null, stripPrefix: false, timeout: 5000, at: { line: 1, col: 1 } };
  const spec: StackSpec = {
    name: 'runtime',
    file: path.join(FIXTURES, 'switchyard.yaml'),
    dir: FIXTURES,
    proxy: withProxy
      ? {
          listen: { host: '127.0.0.1', port },
          routes: [
            { ...route, path: '/api/', to: 'api', target: 'app' },
            { ...route, path: '/', to: 'web', target: 'static' },
          ],
          ...DEFAULT_CLIENT_LIMITS,
        }
      : null,
    statics: [{ name: 'web', root, spa: false }],
    apps: [fixtureApp('api', 'http-worker.js')],
    tasks: [],
  };
  const marker = newMarker();
  // The inherited environment carries the variable too, as it does under a process that Electron
  // runs as Node: workers must not get it from there either.
  const baseEnv = { ...process.env, ELECTRON_RUN_AS_NODE: '1', [marker.key]: marker.value };
  const stack = new Stack(spec, { node: RUNTIME, baseEnv, retainedLines: 500 });
  cleanups.push(async () => {
    await stack.kill();
    await waitFor(() => processesWithMarker(marker).length === 0, 'every process of the stack to be gone');
  });
  await stack.start();
  await Promise.all([...(withProxy ? ['proxy'] : []), 'web', 'api-1'].map((name) => waitForState(stack, name, 'ready')));
  return { stack, marker };
}

describe("the runtime of Switchyard's own processes", () => {
  it.each([
    ['the proxy (which serves the static site)', true, 'proxy'],
    ['the static server of a stack without a proxy', false, 'web'],
  ])('reaches %s, and never a worker', async (_label, withProxy, own) => {
    const { stack, marker } = await startStack(withProxy);
    for (const name of [own]) {
      const env = environOf(pidOf(stack, name));
      expect(env.ELECTRON_RUN_AS_NODE, name).toBe('1');
      expect(env.SWITCHYARD_TEST_MARK, name).toBe('x');
      // Beneath the runtime's variables, the stack's environment as usual.
      expect(env[marker.key], name).toBe(marker.value);
    }
    const worker = environOf(pidOf(stack, 'api-1'));
    expect(worker[marker.key]).toBe(marker.value);
    expect(worker).not.toHaveProperty('ELECTRON_RUN_AS_NODE');
    expect(worker).not.toHaveProperty('SWITCHYARD_TEST_MARK');
  });

  it('reaches the replacement of a reloaded static server, and not that of a restarted worker', async () => {
    const { stack } = await startStack(false);
    const site = pidOf(stack, 'web');
    const worker = pidOf(stack, 'api-1');
    await stack.restart('web');
    await stack.restart('api-1');
    await waitFor(() => pidOf(stack, 'web') !== site && stack.processes().find((p) => p.name === 'web')?.state === 'ready', 'a new static server');
    await waitFor(() => pidOf(stack, 'api-1') !== worker && stack.processes().find((p) => p.name === 'api-1')?.state === 'ready', 'a new worker');
    expect(environOf(pidOf(stack, 'web')).SWITCHYARD_TEST_MARK).toBe('x');
    expect(environOf(pidOf(stack, 'api-1'))).not.toHaveProperty('SWITCHYARD_TEST_MARK');
  });

  it.each([
    ['shell', '/bin/sh'],
    ['Node', null],
  ])('runs the %s watchdog with it', async (_kind, shell) => {
    const watchdog = Watchdog.start({ runtime: RUNTIME, shell });
    const pid = watchdog.pid;
    if (pid === undefined) throw new Error('the watchdog did not start');
    cleanups.push(async () => {
      await watchdog.dispose();
      await waitFor(() => !alive(pid), 'the watchdog to exit');
    });
    const env = await waitFor(() => {
      const read = environOf(pid);
      return read.SWITCHYARD_TEST_MARK ? read : undefined;
    }, 'the watchdog to run');
    expect(env.ELECTRON_RUN_AS_NODE).toBe('1');
  });
});
