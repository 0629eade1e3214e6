// The desktop app's stack switching, in plain Node on real stacks: real StackHosts on stack files in
// temporary folders, real workers behind a real proxy. A switch stops one stack and starts the next;
// a next stack that cannot start gives way to the previous one, serving again; a stack another
// instance runs is refused before anything stops; closing stops what runs and refuses what comes.

import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runFilePath } from '../../main/core/host/run-file.ts';
import { DisposableStore } from '../../main/core/events.ts';
import { StackSwitcher, type HostSettings, type SwitchProblem } from '../../main/core/host/stack-switcher.ts';
import { startUp } from '../helpers/cli.ts';
import { alive, describeProcesses, newMarker, processesWithMarker } from '../helpers/processes.ts';
import { FIXTURES } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';

const marker = newMarker();
const cleanups: (() => void | Promise<void>)[] = [];

beforeEach(() => {
  process.env[marker.key] = marker.value;
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  delete process.env[marker.key];
  await waitFor(() => processesWithMarker(marker).length === 0, 'no marked process left', { timeout: 15_000 }).catch((error: Error) => {
    throw new Error(`${error.message}: ${describeProcesses(processesWithMarker(marker)).join('; ')}`, { cause: error });
  });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface TestStack {
  file: string;
  /** The proxy's address: `/api/` reaches the workers. */
  url: string;
}

/** A stack folder: a proxy in front of `replicas` http workers (or of `command`, run the same way). */
async function stackFolder(name: string, options: { replicas?: number; command?: string[]; fixture?: string; extra?: string } = {}): Promise<TestStack> {
  const dir = tempDir('sy-switcher-');
  const port = await getPort({ host: '127.0.0.1' });
  const command = options.command ?? [process.execPath, path.join(FIXTURES, options.fixture ?? 'http-worker.js')];
  const lines = [
    `name: ${name}`,
    'proxy:',
    `  listen: 127.0.0.1:${port}`,
    '  routes:',
    '    - { path: /api/, to: api }',
    'apps:',
    '  api:',
    `    command: ${JSON.stringify(command)}`,
    `    replicas: ${options.replicas ?? 1}`,
    '    health: { path: /healthz, interval: 200ms, timeout: 2s }',
    options.extra ?? '    stop: { timeout: 2s }',
  ];
  const file = path.join(dir, 'switchyard.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, url: `http://127.0.0.1:${port}/api/` };
}

/** The pid of the worker that answers at `url`, once one does. */
function servingPid(stack: TestStack): Promise<number> {
  return waitFor(async () => {
    const response = await fetch(stack.url, { headers: { connection: 'close' } });
    return response.ok ? ((await response.json()) as { pid: number }).pid : null;
  }, `${stack.url} to answer`, { timeout: 15_000 });
}

/** A switcher as the desktop app makes one, recording what it reports. */
function switcher(settings: Partial<HostSettings> = {}, options: { stopTimeoutMs?: number } = {}) {
  const problems: SwitchProblem[] = [];
  const events: string[] = [];
  const logs: string[] = [];
  const created = new StackSwitcher({ settings: async () => ({ onShutdownRequest: () => {}, ...settings }), log: (line) => logs.push(line), ...options });
  const subscriptions = new DisposableStore();
  subscriptions.add(created.onProblem((problem) => problems.push(problem)));
  subscriptions.add(created.onHosted((host) => events.push(`hosted ${host.stack.spec.name}`)));
  subscriptions.add(created.onStarted((host) => events.push(`started ${host.stack.spec.name}`)));
  subscriptions.add(created.onStopping((host) => events.push(`stopping ${host.stack.spec.name}`)));
  subscriptions.add(created.onClosed((host) => events.push(`closed ${host.stack.spec.name}`)));
  cleanups.push(async () => {
    await created.close();
    subscriptions.dispose();
  });
  return { switcher: created, problems, events, logs };
}

describe('StackSwitcher', () => {
  it('switches: the current stack stops and the next one serves in its place', async () => {
    const first = await stackFolder('first');
    const second = await stackFolder('second', { replicas: 2 });
    const { switcher: stacks, problems, events } = switcher();
    expect(await stacks.open(first.file)).toBe('opened');
    expect(stacks.current?.file).toBe(first.file);
    const firstPid = await servingPid(first);

    // A folder opens the stack file inside it.
    const switching = stacks.open(path.dirname(second.file));
    expect(stacks.busy).toBe(true);
    expect(await stacks.open(first.file)).toBe('refused');
    expect(await switching).toBe('opened');
    expect(stacks.busy).toBe(false);
    expect(stacks.current?.stack.spec.name).toBe('second');
    await servingPid(second);
    expect(alive(firstPid)).toBe(false);
    expect([existsSync(runFilePath(first.file)), existsSync(runFilePath(second.file))]).toEqual([false, true]);
    expect(events).toEqual(['hosted first', 'started first', 'stopping first', 'closed first', 'hosted second', 'started second']);
    expect(problems).toEqual([]);
  });

  it('starts the previous stack again when the next cannot start, serving as before', async () => {
    const before = await stackFolder('before');
    const next = await stackFolder('next');
    // Where the run file goes, a file: the next stack passes every check, then cannot be hosted.
    writeFileSync(path.join(path.dirname(next.file), '.switchyard'), 'not a folder\n');
    const { switcher: stacks, problems, events } = switcher();
    await stacks.open(before.file);
    const pidBefore = await servingPid(before);

    expect(await stacks.open(next.file)).toBe('restored');
    expect(stacks.current?.file).toBe(before.file);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.title).toBe('Could not start next');
    expect(problems[0]!.detail.startsWith(`could not write the run file ${runFilePath(next.file)}: EEXIST`)).toBe(true);
    expect(problems[0]!.detail.endsWith('\n\nbefore is running again.')).toBe(true);
    // Started again, not kept: a new worker answers.
    const pidAfter = await servingPid(before);
    expect(pidAfter).not.toBe(pidBefore);
    expect(alive(pidBefore)).toBe(false);
    expect(existsSync(runFilePath(before.file))).toBe(true);
    expect(events).toEqual(['hosted before', 'started before', 'stopping before', 'closed before', 'hosted before', 'started before']);
  });

  it('refuses a stack file another instance runs, before stopping its own', async () => {
    const own = await stackFolder('own');
    const theirs = await stackFolder('theirs');
    const up = startUp(path.dirname(theirs.file), [], { [marker.key]: marker.value });
    cleanups.push(async () => {
      up.child.kill('SIGINT');
      await up.child;
    });
    await up.waitForOutput('ready');
    const { switcher: stacks, problems, events } = switcher();
    await stacks.open(own.file);
    const ownPid = await servingPid(own);
    const theirPid = await servingPid(theirs);

    expect(await stacks.open(theirs.file)).toBe('refused');
    expect(problems).toEqual([{ title: 'Could not open this stack', detail: expect.stringMatching(/ is already running \(pid \d+\); stop it with `switchyard down`/) }]);
    expect(problems[0]!.detail.startsWith(`${theirs.file} is already running`)).toBe(true);
    expect(stacks.current?.file).toBe(own.file);
    expect([await servingPid(own), await servingPid(theirs)]).toEqual([ownPid, theirPid]);
    expect(events).toEqual(['hosted own', 'started own']);
  });

  it('keeps the current stack when the next file is not valid, or not there', async () => {
    const good = await stackFolder('good');
    const broken = path.join(path.dirname(good.file), 'broken.yaml');
    writeFileSync(broken, 'name: broken\napps:\n  api:\n    command: node x.js\n    replica: 2\n');
    const { switcher: stacks, problems } = switcher();
    await stacks.open(good.file);
    const pid = await servingPid(good);
    expect(await stacks.open(broken)).toBe('refused');
    expect(await stacks.open(path.join(os.tmpdir(), 'no-such-folder-switchyard'))).toBe('refused');
    expect(problems.map((problem) => problem.title)).toEqual(['broken.yaml is not valid', 'Cannot open this stack']);
    expect(problems[0]!.detail).toMatch(/broken\.yaml:5:5: error: .*'replica'.*did you mean 'replicas'/);
    expect(await servingPid(good)).toBe(pid);
  });

  it('closes: an open under way stops at its next step, nothing is left running, and no open is taken after', async () => {
    const first = await stackFolder('first');
    const second = await stackFolder('second', { replicas: 2 });
    const { switcher: stacks } = switcher();
    await stacks.open(first.file);
    await servingPid(first);
    // Closed while the next stack is being checked: the current one is stopped by the close, not the switch.
    const switching = stacks.open(second.file);
    const closing = stacks.close();
    expect(await switching).toBe('refused');
    await closing;
    expect(stacks.current).toBeNull();
    expect([existsSync(runFilePath(first.file)), existsSync(runFilePath(second.file))]).toEqual([false, false]);
    expect(await stacks.open(first.file)).toBe('refused');
    expect(existsSync(runFilePath(first.file))).toBe(false);
  });

  it('closes between stopping one stack and starting the next: neither runs', async () => {
    const first = await stackFolder('first');
    const second = await stackFolder('second');
    const { switcher: stacks, events } = switcher();
    await stacks.open(first.file);
    await servingPid(first);
    let closing: Promise<void> | null = null;
    const closeOnStop = stacks.onClosed(() => (closing = stacks.close()));
    expect(await stacks.open(second.file)).toBe('lost');
    closeOnStop.dispose();
    await closing;
    expect(stacks.current).toBeNull();
    expect(events).toEqual(['hosted first', 'started first', 'stopping first', 'closed first']);
    expect([existsSync(runFilePath(first.file)), existsSync(runFilePath(second.file))]).toEqual([false, false]);
  });

  it('kills at once when asked while a graceful stop is under way', async () => {
    // A stop timeout far beyond the test's own: only the kill can end the stop in time.
    const stubborn = await stackFolder('stubborn', { fixture: 'ignore-sigterm.js', extra: '    stop: { timeout: 300s }' });
    const { switcher: stacks } = switcher();
    await stacks.open(stubborn.file);
    const host = stacks.current!;
    await waitFor(() => host.stack.processes().find((p) => p.name === 'api-1')?.state === 'ready', 'api-1 ready', { timeout: 15_000 });
    const pids = host.stack.processes().map((p) => p.pid!);
    const closing = stacks.close();
    await waitFor(() => host.stack.processes().find((p) => p.name === 'api-1')?.state === 'stopping', 'the graceful stop under way');
    await stacks.kill();
    await closing;
    expect(pids.filter(alive)).toEqual([]);
  });

  it('checks and runs a stack with the PATH of its baseEnv, leaving its own untouched', async () => {
    // A program only the login shell's PATH has, as Homebrew's or nvm's are for a GUI app.
    const bin = tempDir('sy-login-bin-');
    const program = path.join(bin, 'sy-login-only-worker');
    writeFileSync(program, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(FIXTURES, 'http-worker.js'))}\n`);
    chmodSync(program, 0o755);
    const loginPath = `${bin}${path.delimiter}${process.env.PATH}`;
    const stack = await stackFolder('login', { command: ['sy-login-only-worker'] });
    const ownPath = process.env.PATH;

    const { switcher: withoutIt, problems } = switcher();
    expect(await withoutIt.open(stack.file)).toBe('refused');
    expect(problems[0]!.detail).toMatch(/command 'sy-login-only-worker' not found on PATH/);

    const { switcher: withIt } = switcher({ baseEnv: { ...process.env, PATH: loginPath } });
    expect(await withIt.open(stack.file)).toBe('opened');
    // The script execs the worker: the pid that answers is the program found on that PATH.
    const pid = await servingPid(stack);
    expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain(`PATH=${loginPath}`);
    expect(process.env.PATH).toBe(ownPath);
  });
});

