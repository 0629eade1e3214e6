// Faults around the processes a stack starts: children that escape their worker, a watchdog that
// dies, two instances started at once. Real `switchyard up` processes; survivors are found by the
// environment marker every process of a test inherits.

import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, psJson, stackDir, startUp, type UpProcess } from '../helpers/cli.ts';
import { alive, commandLine, newMarker, killMarked, processesWithMarker } from '../helpers/processes.ts';
import { FIXTURES } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';

const node = JSON.stringify(process.execPath);

/** A stack of one portless app running the escape fixture. */
function escapeStack(env: Record<string, string>, extra: string[] = []): string {
  return [
    'name: faults',
    'apps:',
    '  escape:',
    `    command: [${node}, ${JSON.stringify(path.join(FIXTURES, 'escape.js'))}]`,
    '    port_env: none',
    '    restart: never',
    '    stop: { timeout: 2s }',
    `    env: ${JSON.stringify(env)}`,
    ...extra,
    '',
  ].join('\n');
}

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A folder holding `yaml` as its stack file, removed after the test. */
function folderWith(yaml: string): string {
  const { dir, cleanup } = stackDir(yaml);
  cleanups.push(cleanup);
  return dir;
}

/** `up` in `dir`, killed after the test if it still runs. */
function upInFolder(dir: string, env: Record<string, string> = {}): UpProcess {
  const up = startUp(dir, [], env);
  cleanups.push(async () => {
    up.child.kill('SIGKILL');
    await up.child;
  });
  return up;
}

/** `up` in a fresh folder, with a marker of its own; whatever carries it is killed after the test. */
function upIn(yaml: string): { up: UpProcess; dir: string; marker: { key: string; value: string } } {
  const marker = newMarker();
  const dir = folderWith(yaml);
  cleanups.push(() => {
    killMarked(marker);
  });
  const up = upInFolder(dir, { [marker.key]: marker.value });
  return { up, dir, marker };
}

/** `down` succeeds, and `up` then exits 0. */
async function downCleanly(dir: string, up: UpProcess): Promise<void> {
  const down = await runCli(['down'], dir);
  expect(down.exitCode, String(down.stderr)).toBe(0);
  expect((await up.child).exitCode).toBe(0);
}

/** The pids the escape fixture printed. */
async function escapedPids(up: UpProcess, count: number): Promise<number[]> {
  // Forking a hundred escapees on a machine whose cores are busy elsewhere takes a while: a bound, not a goal.
  await up.waitForOutput(`escaped ${count}: `, 60_000);
  const line = /escaped \d+: ([\d ]+)/.exec(up.output())?.[1] ?? '';
  return line.trim().split(' ').map(Number);
}

/** The watchdog of `up`: the process carrying the marker that runs watchdog.sh (or watchdog-main.ts). */
function watchdogOf(marker: { key: string; value: string }): number[] {
  return processesWithMarker(marker).filter((pid) => /watchdog(-main\.ts|\.sh)\b/.test(commandLine(pid)));
}

describe('a worker whose child escapes its process group and session', () => {
  it('is exited once its own pid is gone, and down stops the escaped child and exits 0', async () => {
    const { up, dir, marker } = upIn(escapeStack({ ESCAPE_THEN: 'exit' }));
    const [escaped] = await escapedPids(up, 1);
    // The child holds the worker's stdout and stderr: the worker's end must still be seen.
    await waitFor(async () => (await psJson(dir)).find((p) => p.name === 'escape-1')?.state === 'exited', 'escape-1 to be exited');
    await downCleanly(dir, up);
    expect(alive(escaped as number)).toBe(false);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('stops with up on Ctrl-C while the worker lives, escaped children included', async () => {
    const { up, marker } = upIn(escapeStack({ ESCAPE_COUNT: '5' }));
    const escaped = await escapedPids(up, 5);
    await up.waitForOutput('all 1 ready');
    up.child.kill('SIGINT');
    const exit = await up.child;
    expect(exit.exitCode).toBe(0);
    for (const pid of escaped) expect(alive(pid)).toBe(false);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('leaves none of 100 escaped children when up is SIGKILLed after the worker exited', async () => {
    const { up, dir, marker } = upIn(escapeStack({ ESCAPE_COUNT: '100', ESCAPE_THEN: 'exit' }));
    const escaped = await escapedPids(up, 100);
    await up.waitForOutput(/escape-1 +\| exited/);
    up.child.kill('SIGKILL');
    await up.child;
    await waitFor(() => processesWithMarker(marker).length === 0, 'the watchdog to reap every escaped child', { timeout: 20_000 });
    for (const pid of escaped) expect(alive(pid)).toBe(false);
    await waitFor(() => !existsSync(path.join(dir, '.switchyard', 'run.json')), 'the run file to be removed');
    await waitFor(() => !existsSync(path.join(dir, '.switchyard', 'lock')), 'the lock to be released');
  }, 120_000);
});

describe('the watchdog', () => {
  it('is replaced at once when it dies, and the new one reaps everything after a SIGKILL of up', async () => {
    const { up, dir, marker } = upIn(escapeStack({ ESCAPE_COUNT: '3' }));
    const escaped = await escapedPids(up, 3);
    await up.waitForOutput('all 1 ready');
    const [first] = await waitFor(() => (watchdogOf(marker).length === 1 ? watchdogOf(marker) : null), 'the watchdog');
    process.kill(first as number, 'SIGKILL');
    await up.waitForOutput(new RegExp(`the watchdog \\(pid ${first}\\) died \\(killed by SIGKILL\\); a new one \\(pid \\d+\\) guards the 1 process it was handed`));
    const second = Number(new RegExp(`pid ${first}\\) died.*a new one \\(pid (\\d+)\\)`).exec(up.output())?.[1]);
    expect(alive(second)).toBe(true);
    up.child.kill('SIGKILL');
    await up.child;
    await waitFor(() => processesWithMarker(marker).length === 0, 'the new watchdog to reap everything', { timeout: 20_000 });
    for (const pid of escaped) expect(alive(pid)).toBe(false);
    await waitFor(() => !existsSync(path.join(dir, '.switchyard', 'run.json')), 'the run file to be removed');
  });

  it('is stood in for by the next up when up and its watchdog both died', async () => {
    const { up, dir, marker } = upIn(escapeStack({ ESCAPE_COUNT: '2' }));
    const escaped = await escapedPids(up, 2);
    await up.waitForOutput('all 1 ready');
    const [watchdog] = watchdogOf(marker);
    // The watchdog first, so that nothing reaps: as if the machine's OOM killer took both.
    process.kill(up.child.pid as number, 'SIGSTOP');
    process.kill(watchdog as number, 'SIGKILL');
    process.kill(up.child.pid as number, 'SIGKILL');
    await up.child;
    for (const pid of escaped) expect(alive(pid)).toBe(true);
    const next = upInFolder(dir);
    await next.waitForOutput(`the previous run of this stack (pid ${up.child.pid}) died with nobody to clean up after it; stopped`);
    for (const pid of escaped) await waitFor(() => !alive(pid), `escaped child ${pid} to be gone`);
    await next.waitForOutput('all 1 ready');
    await downCleanly(dir, next);
  });
});

describe('two instances on one stack file', () => {
  it('lets exactly one run when both start at once; the other exits 1 naming the winner', async () => {
    const dir = folderWith(escapeStack({ ESCAPE_COUNT: '0' }));
    const marker = newMarker();
    const ups = [upInFolder(dir, { [marker.key]: marker.value }), upInFolder(dir, { [marker.key]: marker.value })];
    const loser = await Promise.race(ups.map((up) => up.child.then(() => up)));
    const winner = ups.find((up) => up !== loser) as UpProcess;
    expect((await loser.child).exitCode).toBe(1);
    expect(loser.output()).toMatch(new RegExp(`is already running \\(pid ${winner.child.pid}\\b`));
    await winner.waitForOutput('all 1 ready');
    const run = JSON.parse(readFileSync(path.join(dir, '.switchyard', 'run.json'), 'utf8')) as { pid: number };
    expect(run.pid).toBe(winner.child.pid);
    await downCleanly(dir, winner);
    expect(existsSync(path.join(dir, '.switchyard', 'lock'))).toBe(false);
  });

  it('takes over a lock whose owner is gone', async () => {
    const dir = folderWith(escapeStack({ ESCAPE_COUNT: '0' }));
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, '.switchyard'));
    // A pid that cannot be alive: above the kernel's pid_max.
    writeFileSync(path.join(dir, '.switchyard', 'lock'), JSON.stringify({ pid: 2 ** 22 + 1, started: null, marker: 'gone' }));
    const up = upInFolder(dir);
    await up.waitForOutput('all 1 ready');
    await downCleanly(dir, up);
  });
});

describe('the stack lock', () => {
  it('is respected while its owner lives, even before that owner has written a run file', async () => {
    const dir = folderWith(escapeStack({ ESCAPE_COUNT: '0' }));
    const { mkdirSync } = await import('node:fs');
    const { spawn } = await import('node:child_process');
    // Stands in for an instance caught between taking the lock and writing its run file.
    const owner = spawn(process.execPath, [path.join(FIXTURES, 'lib', 'sleeper.js')], { stdio: 'ignore' });
    cleanups.push(() => void owner.kill('SIGKILL'));
    const pid = owner.pid as number;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    mkdirSync(path.join(dir, '.switchyard'));
    writeFileSync(path.join(dir, '.switchyard', 'lock'), JSON.stringify({ pid, started, marker: 'held' }));
    const marker = newMarker();
    const result = await runCli(['up'], dir, { [marker.key]: marker.value });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`is already running (pid ${pid}, which holds ${path.join(dir, '.switchyard', 'lock')})`);
    expect(result.stdout).not.toContain('started pid');
    expect(existsSync(path.join(dir, '.switchyard', 'run.json'))).toBe(false);
    await waitFor(() => processesWithMarker(marker).length === 0, 'nothing of the refused up left');
  });
});
