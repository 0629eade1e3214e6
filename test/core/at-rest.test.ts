// A stack at rest costs no processes: the demo (4 workers, a static site, the proxy) sampled for
// metrics round after round spawns nothing from the core on Linux, where /proc is read instead of
// running `ps`. Every spawn is seen twice over: Node's `child_process` diagnostics channel (which
// catches even a process that lives a few milliseconds) and new pids in /proc whose parent is us.

import diagnostics from 'node:diagnostics_channel';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessInfo } from '../../shared/process.ts';
import { loadStack } from '../../main/core/config/load.ts';
import { Stack } from '../../main/core/stack.ts';
import { waitFor } from '../helpers/wait.ts';

const DEMO_FILE = fileURLToPath(new URL('../../examples/demo/switchyard.yaml', import.meta.url));
/** Rounds of metrics watched at rest; several, so a per-round or per-tree listing could not hide. */
const ROUNDS = 6;

const running: Stack[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((stack) => stack.kill()));
});

/** Live pids whose parent is this process. */
function ourChildren(): Set<number> {
  const found = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid) found.add(Number(entry));
    } catch {
      // Ended while we looked.
    }
  }
  return found;
}

describe.skipIf(process.platform !== 'linux')('a stack at rest (Linux)', () => {
  it('spawns no process over several metrics rounds with 4 workers, the static site and the proxy running', async () => {
    const { spec } = await loadStack(DEMO_FILE, { checkPorts: false });
    if (!spec?.proxy) throw new Error(`cannot load ${path.relative(process.cwd(), DEMO_FILE)}`);
    // The demo's own 8080 may be taken on this machine; everything else is as a person runs it.
    const port = await getPort({ host: '127.0.0.1' });
    const stack = new Stack({ ...spec, proxy: { ...spec.proxy, listen: { host: '127.0.0.1', port } } }, { retainedLines: 500, metricsInterval: 100 });
    running.push(stack);
    await stack.start();
    await waitFor(() => stack.processes().length === 6 && stack.processes().every((p) => p.state === 'ready'), 'the demo ready', { timeout: 30_000 });

    const spawned: string[] = [];
    const onSpawn = (message: unknown) => {
      const child = (message as { process?: { spawnargs?: string[] } }).process;
      // Read once the spawn has happened, when its arguments are filled in.
      queueMicrotask(() => spawned.push(child?.spawnargs?.join(' ') ?? '(a process)'));
    };
    diagnostics.subscribe('child_process', onSpawn);
    const atRest = ourChildren();
    const newcomers = new Set<number>();
    const rounds: ProcessInfo[][] = [];
    const subscription = stack.onMetrics((all) => {
      rounds.push(all);
      for (const pid of ourChildren()) if (!atRest.has(pid)) newcomers.add(pid);
    });
    try {
      await waitFor(() => rounds.length >= ROUNDS, `${ROUNDS} metrics rounds`, { timeout: 30_000 });
    } finally {
      subscription.dispose();
      diagnostics.unsubscribe('child_process', onSpawn);
    }

    expect(spawned).toEqual([]);
    expect([...newcomers]).toEqual([]);
    // The rounds did sample every tree: nothing was skipped to get here.
    const last = rounds.at(-1) ?? [];
    expect(last.map((p) => p.name).sort()).toEqual(['api-1', 'api-2', 'api-3', 'api-4', 'proxy', 'web']);
    // The static site is served by the proxy: its CPU and memory are counted in the proxy's row.
    for (const p of last.filter((each) => each.name !== 'web')) {
      expect(p.cpu, p.name).not.toBeNull();
      expect(p.memory as number, p.name).toBeGreaterThan(1024 * 1024);
    }
  });
});
