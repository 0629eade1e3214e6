// Pre-fork masters (gunicorn -w 3, a Node cluster) as they are: their children listed with their
// numbers, a re-fork logged, lines from several workers on one pipe kept whole, and a worker
// listening beyond loopback warned about. Real servers, real sockets; no traffic leaves loopback.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessInfo } from '../../shared/process.ts';
import type { AppSpec } from '../../shared/stack.ts';
import { exposedBy, exposedSockets } from '../../main/core/metrics/listeners.ts';
import { describeChildChanges, exposedWarning } from '../../main/core/process/process-family.ts';
import { wholeLinesPythonPath } from '../../main/core/process/python-lines.ts';
import { Stack } from '../../main/core/stack.ts';
import { FIXTURES, fixtureApp, fixtureStack } from '../helpers/specs.ts';
import { waitFor, waitForState } from '../helpers/wait.ts';

const GUNICORN = '/usr/bin/gunicorn';
const PYTHON = '/usr/bin/python3';
const noGunicorn = !existsSync(GUNICORN) ? `${GUNICORN} is not installed (Debian's python3-gunicorn)` : null;
const PYTHON_APPS = path.join(FIXTURES, 'python');

const running: Stack[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((stack) => stack.kill()));
});

async function startStack(apps: AppSpec[], retainedLines = 500): Promise<Stack> {
  const stack = new Stack(fixtureStack(apps), { retainedLines, metricsInterval: 200 });
  running.push(stack);
  await stack.start();
  return stack;
}

function info(stack: Stack, name: string): ProcessInfo {
  const found = stack.processes().find((p) => p.name === name);
  if (!found) throw new Error(`no process ${name}`);
  return found;
}

function systemLines(stack: Stack, name: string): string[] {
  return stack.logs.query({ sources: new Set([name]) }).filter((line) => line.stream === 'system').map((line) => line.text);
}

/** `gunicorn -w N` serving the fixture app; with only PORT set it binds 0.0.0.0:$PORT, as it does for a user. */
function gunicornApp(env: Record<string, string> = {}, overrides: Partial<AppSpec> = {}): AppSpec {
  return fixtureApp('web', 'python/fork_print_app.py', {
    argv: [GUNICORN, '-w', '3', 'fork_print_app:app'],
    cwd: PYTHON_APPS,
    env,
    health: { path: '/healthz', interval: 200, startInterval: 20, timeout: 5000, healthyAfter: 1, unhealthyAfter: 3, restartAfter: 10 },
    ...overrides,
  });
}

/** Waits for `count` children of `name`, then kills one with SIGKILL and waits for its master to fork a replacement. */
async function killOneChild(stack: Stack, name: string, count: number): Promise<void> {
  await waitForState(stack, name, 'ready', 30_000);
  const before = await waitFor(() => {
    const children = info(stack, name).children;
    return children.length === count ? children : undefined;
  }, `${name} to show ${count} children`, { timeout: 30_000 });
  const master = info(stack, name).pid;
  for (const child of before) {
    expect(child.ppid).toBe(master);
    expect(child.memory).toBeGreaterThan(0);
    expect(child.startedAt).toBeLessThanOrEqual(Date.now());
  }
  // A sample may find the master halfway through forking: each child is told of once, in one line or several.
  const told = systemLines(stack, name).filter((text) => /^child(ren)? [\d, ]+ started$/.test(text)).join(' ');
  for (const child of before) expect(told).toContain(String(child.pid));

  const victim = before[1]!.pid;
  process.kill(victim, 'SIGKILL');
  const after = await waitFor(() => {
    const children = info(stack, name).children.map((child) => child.pid);
    return children.length === count && !children.includes(victim) ? children : undefined;
  }, `${name}'s master to fork a replacement for ${victim}`, { timeout: 30_000 });
  const replacement = after.find((pid) => !before.some((child) => child.pid === pid));
  // One line when a sample saw the replacement already (`child 1234 exited; 1240 started`), else two.
  const lines = systemLines(stack, name);
  expect(lines.some((text) => text === `child ${victim} exited; ${replacement} started` || text === `child ${victim} exited`), lines.join('\n')).toBe(true);
  expect(lines.some((text) => text.endsWith(`; ${replacement} started`) || text === `child ${replacement} started`), lines.join('\n')).toBe(true);
  expect(info(stack, name).pid).toBe(master);
}

describe('children of a pre-fork master', () => {
  it.skipIf(noGunicorn)('lists gunicorn -w 3 workers with their numbers and logs a worker re-forked after kill -9', async () => {
    const stack = await startStack([gunicornApp()]);
    await killOneChild(stack, 'web-1', 3);
  }, 90_000);

  it('lists a Node cluster\'s workers and logs the one its primary forks after kill -9', async () => {
    const stack = await startStack([fixtureApp('cluster', 'fork-cluster.js')]);
    await killOneChild(stack, 'cluster-1', 3);
    expect(info(stack, 'cluster-1').children.every((child) => child.command?.includes('fork-cluster.js'))).toBe(true);
  }, 90_000);

  it('says which children came and went in one line', () => {
    const child = (pid: number) => ({ pid, ppid: 1, command: null, cpu: 0, memory: 0, startedAt: 0 });
    expect(describeChildChanges(new Set(), [child(1001), child(1002), child(1003)])).toBe('children 1001, 1002, 1003 started');
    expect(describeChildChanges(new Set([1001, 1002]), [child(1002), child(1240)])).toBe('child 1001 exited; 1240 started');
    expect(describeChildChanges(new Set([1001, 1002]), [])).toBe('children 1001, 1002 exited');
    expect(describeChildChanges(new Set([1001]), [child(1001)])).toBeNull();
  });
});

describe('lines of forked Python workers on one pipe', () => {
  it.skipIf(noGunicorn)('keeps every line of 3 unbuffered gunicorn workers printing at once whole: no glued and no blank lines', async () => {
    const perWorker = 2000;
    const stack = await startStack([gunicornApp({ PYTHONUNBUFFERED: '1', FORK_PRINT_LINES: String(perWorker) })], 10_000);
    const printed = () => stack.logs.query({ sources: new Set(['web-1']) }).filter((line) => line.stream === 'stdout');
    // Counted by the word each print() starts with, so that glued lines are counted too.
    await waitFor(() => printed().reduce((sum, line) => sum + (line.text.match(/fork-print/g)?.length ?? 0), 0) >= 3 * perWorker, `${3 * perWorker} printed lines`, {
      timeout: 60_000,
    });
    const lines = printed().map((line) => line.text);
    expect(lines.filter((text) => text === '')).toEqual([]);
    expect(lines.filter((text) => !/^fork-print pid=\d+ n=\d+ x* end$/.test(text)).slice(0, 5)).toEqual([]);
    expect(new Set(lines.map((text) => /pid=(\d+)/.exec(text)?.[1])).size).toBe(3);
  }, 90_000);

  it('makes unbuffered Python line-buffered, loads the sitecustomize it shadows and leaves sys.path alone', () => {
    const report = 'import sys; print(sys.stdout.line_buffering, sys.stdout.write_through, sys.stderr.line_buffering, sys.modules["sitecustomize"].__file__, any("switchyard-python" in p for p in sys.path))';
    const run = (env: Record<string, string | undefined>) => execFileSync(PYTHON, ['-c', report], { env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1', ...env }, encoding: 'utf8' }).trim();
    const shadowed = path.join(PYTHON_APPS, 'fork_site');
    expect(run({ PYTHONUNBUFFERED: '1', ...wholeLinesPythonPath(shadowed) })).toBe(`True False True ${path.join(shadowed, 'sitecustomize.py')} False`);
    // A person who turns PYTHONUNBUFFERED off gets Python's own buffering.
    expect(run({ ...wholeLinesPythonPath(undefined) }).split(' ').slice(0, 2)).toEqual(['False', 'False']);
  });
});

describe('workers listening beyond loopback', () => {
  it('finds a listener on 0.0.0.0 and on :: from the kernel tables, and none on 127.0.0.1', async () => {
    const listen = (host: string) =>
      new Promise<net.Server>((resolve) => {
        const server = net.createServer().listen(0, host, () => resolve(server));
      });
    const servers = await Promise.all(['0.0.0.0', '::', '127.0.0.1'].map(listen));
    try {
      const [any4, any6, loopback] = servers.map((server) => (server.address() as net.AddressInfo).port);
      const found = exposedBy([process.pid], exposedSockets());
      expect(found).toContain(`0.0.0.0:${any4}`);
      expect(found).toContain(`[::]:${any6}`);
      expect(found.some((address) => address.endsWith(`:${loopback}`))).toBe(false);
    } finally {
      for (const server of servers) server.close();
    }
  });

  it.skipIf(noGunicorn)('warns in the log and on the process when gunicorn binds 0.0.0.0:$PORT, naming the fix; not when it binds loopback', async () => {
    const open = gunicornApp();
    // A port of the kernel's choosing on loopback: no port to check, so it is ready once it runs.
    const closed = gunicornApp({}, { name: 'local', argv: [GUNICORN, '-w', '1', '-b', '127.0.0.1:0', 'fork_print_app:app'], portEnv: null });
    const stack = await startStack([open, closed]);
    await waitForState(stack, 'web-1', 'ready', 30_000);
    const port = info(stack, 'web-1').port;
    const warning = `listening on 0.0.0.0:${port}, which other machines can reach: the proxy needs only 127.0.0.1; bind it to loopback (gunicorn -b 127.0.0.1:$PORT)`;
    await waitFor(() => info(stack, 'web-1').warnings.includes(warning), 'the warning on web-1', { timeout: 30_000 });
    await waitFor(() => systemLines(stack, 'web-1').includes(`warning: ${warning}`), 'the warning in web-1\'s log');
    await waitFor(() => info(stack, 'local-1').children.length === 1, 'local-1\'s worker', { timeout: 30_000 });
    expect(info(stack, 'local-1').warnings).toEqual([]);
    expect(exposedWarning('[::]:8000', ['/usr/bin/python3', '-m', 'uvicorn', 'main:app'])).toContain('uvicorn --host 127.0.0.1');
    expect(exposedWarning('0.0.0.0:8000', ['./server'])).toContain('bind it to 127.0.0.1');
  }, 90_000);
});
