// The watchdog, both kinds: the waiting shell (POSIX) and the Node process on an IPC channel
// (Windows, run here on Linux too). A real orchestrator process starts one, tracks a real child,
// and dies by SIGKILL; the watchdog must reap the child and remove the orchestrator's run file. Told
// goodbye, it exits and touches nothing.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, commandLine, killMarked, newMarker } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait.ts';

const WATCHDOG = new URL('../../main/core/host/watchdog.ts', import.meta.url).href;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/**
 * An orchestrator: starts a watchdog of `shell`'s kind with `runFile`, starts `sleep` in its own
 * group, tracks it, writes its run file, prints `<watchdog pid> <sleep pid>`. On a line `bye` on
 * stdin it untracks the sleep and disposes of the watchdog, then prints `disposed`.
 */
function orchestrator(shell: string | null, runFile: string, marker: { key: string; value: string }): ChildProcess {
  const source = `
    import { spawn } from 'node:child_process';
    import { writeFileSync } from 'node:fs';
    import { Watchdog } from ${JSON.stringify(WATCHDOG)};
    const watchdog = Watchdog.start({ runFile: ${JSON.stringify(runFile)}, shell: ${JSON.stringify(shell)} });
    const sleep = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
    watchdog.track(sleep.pid);
    writeFileSync(${JSON.stringify(runFile)}, JSON.stringify({ pid: process.pid, port: 1, token: 't' }));
    console.log(watchdog.pid + ' ' + sleep.pid);
    process.stdin.setEncoding('utf8').on('data', async () => {
      watchdog.untrack(sleep.pid);
      await watchdog.dispose();
      console.log('disposed');
    });
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', source], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, [marker.key]: marker.value } });
  cleanups.push(() => {
    killMarked(marker);
  });
  return child;
}

/** A started orchestrator with its watchdog, its tracked sleep and its run file, and the lines it printed. */
async function startOrchestrator(shell: string | null) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-watchdog-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const runFile = path.join(dir, 'run.json');
  const child = orchestrator(shell, runFile, newMarker());
  const lines: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (text: string) => lines.push(...text.split('\n').filter(Boolean)));
  const [watchdog, sleep] = (await waitFor(() => lines[0], 'the orchestrator to start')).split(' ').map(Number) as [number, number];
  await waitFor(() => existsSync(runFile), 'the run file');
  return { child, lines, watchdog, sleep, runFile };
}

describe.each([
  ['shell', '/bin/sh'],
  ['Node', null],
])('the %s watchdog', (_kind, shell) => {
  it('reaps what it tracks and removes the run file when its orchestrator is killed', async () => {
    const { child, watchdog, sleep, runFile } = await startOrchestrator(shell);
    expect(alive(sleep)).toBe(true);
    if (shell !== null) expect(commandLine(watchdog)).toContain('watchdog.sh');
    child.kill('SIGKILL');
    await waitFor(() => !alive(sleep), 'the watchdog to kill the tracked sleep');
    await waitFor(() => !existsSync(runFile), 'the watchdog to remove the run file');
    await waitFor(() => !alive(watchdog), 'the watchdog to exit');
  });

  it('exits on goodbye and leaves everything as it was', async () => {
    const { child, lines, watchdog, sleep, runFile } = await startOrchestrator(shell);
    child.stdin?.write('bye\n');
    await waitFor(() => lines.includes('disposed'), 'the watchdog to be disposed of');
    await waitFor(() => !alive(watchdog), 'the watchdog to exit');
    expect(alive(sleep)).toBe(true);
    expect(existsSync(runFile)).toBe(true);
    process.kill(sleep, 'SIGKILL');
  });
});
