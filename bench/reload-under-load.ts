// Failed requests under churn: the demo's API (4 × examples/demo/backend/server.js, which drains on
// SIGTERM) behind the Switchyard proxy, under continuous keep-alive load. Counts every non-2xx and
// every error while (a) `stack.reload('api')` replaces all four workers one by one and (b) one
// worker is SIGKILLed. A proxy that drains and retries well loses nothing in either.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CLIENT_LIMITS } from '../shared/stack.ts';
import type { StackSpec } from '../shared/stack.ts';
import { loadStack } from '../main/core/config/load.ts';
import { Stack } from '../main/core/stack.ts';
import { ChurnClient, measureWindow, sleep, windowRow, type ChurnWindow } from './lib/churn.ts';
import { freePort, LOOPBACK } from './lib/net.ts';
import { startStack, stopStack } from './lib/stack.ts';
import { isMain, runAlone } from './lib/standalone.ts';
import { printTable, type BenchResult, type Goal, type ReadmeRow } from './stats.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEMO_FILE = path.join(ROOT, 'examples/demo/switchyard.yaml');
const APP = 'api';
const PATH = '/api/whoami';
const CONNECTIONS = 16;
const WARMUP_MS = 1000;
const STEADY_MS = 2000;
const AFTER_KILL_MS = 3000;
const READY_DEADLINE_MS = 30_000;

/** Runs the churn benchmark; usable alone (`node bench/reload-under-load.ts`) or from `bench/run.ts`. */
export async function benchFailuresUnderChurn(): Promise<BenchResult> {
  const run = await runChurn(await churnStack(await freePort()));
  printChurn('behind the Switchyard proxy', run);
  return { name: 'failures under churn', goals: churnGoals(run, ''), readme: [churnReadmeRow(run, `rolling reload of ${run.replicas} workers / SIGKILL of a worker, ${CONNECTIONS} clients`)] };
}

/** What one churn run measured: its windows (steady load, the rolling reload, the kill) and notes on them. */
export interface ChurnRun {
  replicas: number;
  windows: ChurnWindow[];
  notes: string[];
}

/** Wraps the rolling reload, to watch what happens during it (the engine benchmark counts nginx's reloads). */
export type AroundReload = (stack: Stack, reload: () => Promise<void>) => Promise<void>;

/** Runs `spec` under load through steady load, a rolling reload of its app and a SIGKILL of one worker. */
export async function runChurn(spec: StackSpec, { aroundReload = (_stack, reload) => reload(), retryResets = false }: { aroundReload?: AroundReload; retryResets?: boolean } = {}): Promise<ChurnRun> {
  const replicas = spec.apps[0]?.replicas ?? 0;
  const stack = new Stack(spec);
  const windows: ChurnWindow[] = [];
  const notes: string[] = [];
  let client: ChurnClient | null = null;
  try {
    await startStack(stack, READY_DEADLINE_MS);
    const load = new ChurnClient(`http://${LOOPBACK}:${spec.proxy?.listen.port ?? 0}${PATH}`, CONNECTIONS, { retryResets });
    client = load;
    await sleep(WARMUP_MS);
    const measure = (label: string, action: () => Promise<void>) => measureWindow(load, windows, label, action);

    await measure(`steady load, ${STEADY_MS / 1000} s`, () => sleep(STEADY_MS));
    let replaced: string[] = [];
    await measure(`stack.reload('${APP}'), ${replicas} workers one by one`, () =>
      aroundReload(stack, async () => {
        replaced = await stack.reload(APP);
      }),
    );
    notes.push(`reload replaced ${replaced.join(', ') || 'nothing'}`);

    const victim = stack.processes().find((p) => p.app === APP && p.state === 'ready' && p.pid !== null);
    if (!victim?.pid) throw new Error(`no ready ${APP} worker to kill: ${stack.processes().map((p) => `${p.name} ${p.state}`).join(', ')}`);
    const pid = victim.pid;
    await measure(`SIGKILL ${victim.name}, then ${AFTER_KILL_MS / 1000} s`, async () => {
      process.kill(pid, 'SIGKILL');
      await sleep(AFTER_KILL_MS);
    });
    const back = stack.find(victim.name)?.info();
    notes.push(`${victim.name} (pid ${pid}) after ${AFTER_KILL_MS / 1000} s: ${back ? `${back.state}, pid ${back.pid ?? 'none'}, ${back.restarts} restart(s)` : 'gone'}`);
  } finally {
    await client?.stop();
    await stopStack(stack);
  }
  return { replicas, windows, notes };
}

/** Prints a run's windows under a title saying what the workers were behind. */
export function printChurn(behind: string, run: ChurnRun): void {
  printTable(
    `Failures under churn: ${run.replicas} × demo backend ${behind}, ${CONNECTIONS} keep-alive clients (undici) on GET ${PATH}`,
    [{ title: '' }, { title: 's' }, { title: 'requests' }, { title: 'failed' }, { title: 'req/s' }, { title: 'slowest ms' }, { title: 'failures', align: 'left' }],
    run.windows.map(windowRow),
    [
      'failed = any non-2xx status or client error (reset, timeout after 5 s), counted in the window in which the request finished',
      `the client runs in a child process, back to back with no pacing (closed loop); ${WARMUP_MS / 1000} s of warm-up first`,
      ...run.notes,
    ].join('\n'),
  );
}

/** The goals of 0 failed requests in the reload and the kill windows, their labels starting with `prefix`. */
export function churnGoals(run: ChurnRun, prefix: string): Goal[] {
  const goal = (index: number, label: string): Goal => {
    const window = run.windows[index];
    if (!window) return { label, met: false, detail: 'not measured' };
    const total = window.counts.ok + window.counts.failed;
    return { label, met: window.counts.failed === 0, detail: `${window.counts.failed} failed of ${total} requests in ${window.seconds.toFixed(1)} s (goal: 0)` };
  };
  return [goal(1, `${prefix}failed requests during a rolling reload of ${run.replicas} workers`), goal(2, `${prefix}failed requests after SIGKILL of a worker (${AFTER_KILL_MS / 1000} s)`)];
}

/** README's row: failed requests in the reload / the kill window. */
export function churnReadmeRow(run: ChurnRun, benchmark: string): ReadmeRow {
  const failed = (index: number) => {
    const window = run.windows[index];
    return window ? `${window.counts.failed} of ${(window.counts.ok + window.counts.failed).toLocaleString('en-US')}` : 'not measured';
  };
  return { benchmark: `failed requests: ${benchmark}`, anchor: '—', switchyard: `${failed(1)} / ${failed(2)}`, ratio: 'goal 0' };
}

/** The demo's API behind a proxy on a free port: no static site (its route is not under test) and no file watching. */
export async function churnStack(port: number): Promise<StackSpec> {
  const { spec, issues } = await loadStack(DEMO_FILE, { checkPorts: false });
  if (!spec) throw new Error(`cannot load ${DEMO_FILE}: ${issues.map((issue) => issue.message).join('; ')}`);
  const app = spec.apps.find((each) => each.name === APP);
  const routes = spec.proxy?.routes.filter((route) => route.to === APP) ?? [];
  if (!app || routes.length === 0) throw new Error(`the demo stack is expected to route to an app named ${APP}`);
  return { ...spec, proxy: { listen: { host: LOOPBACK, port }, routes, ...DEFAULT_CLIENT_LIMITS }, statics: [], apps: [{ ...app, watch: [] }] };
}

if (isMain(import.meta.url)) await runAlone(benchFailuresUnderChurn);
