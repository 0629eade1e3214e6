// The demo stack at rest (4 workers ready, no traffic, no dashboard): the CPU and memory of
// Switchyard's own processes (the `up` process that is the core, its watchdog, proxy and static
// server), and of the workers (their health checks), beside nginx in front of the same workers.
// Read from /proc, so Linux only; the workers run from a copy of examples/demo in a temp folder.

import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { processListing, type ProcessRow } from '../main/core/process/process-listing.ts';
import { stopChild } from './lib/child.ts';
import { processMemory } from './lib/browser.ts';
import { freePort, LOOPBACK } from './lib/net.ts';
import { findNginx, startNginx } from './lib/nginx.ts';
import { isMain, runAlone } from './lib/standalone.ts';
import { bytes, printTable, type BenchResult } from './stats.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(ROOT, 'main/cli/switchyard.js');
/** What `npm install` runs to fill Node's compile cache (main/cli/warm-start.ts says why). */
const WARM_START = path.join(ROOT, 'main/cli/warm-start.ts');
const DEMO = path.join(ROOT, 'examples/demo');
/** How long the stack is watched at rest (the issue's window: ready workers are checked every 5 s). */
const WINDOW_MS = 60_000;
/** Once ready, a little time for start-up work (compilation, first samples) to finish before the window. */
const SETTLE_MS = 3000;
const READY_DEADLINE_MS = 30_000;
/** The issue's goals for Switchyard's own processes together. */
const CPU_GOAL = 0.3;
const MEMORY_GOAL = 120 * 1024 * 1024;

/** A process's command line, or '' once it is gone. */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** What a process of the `up` tree is, by its command line. */
function role(row: ProcessRow, core: number): string {
  if (row.pid === core) return 'core (switchyard up)';
  const command = commandLine(row.pid);
  if (/\bserver\.js\b/.test(command)) return 'worker';
  const script = /([\w-]+)\.(?:[jt]s|sh)\b/.exec(command.split(' ').slice(1).join(' '));
  return script?.[1] ?? command.slice(0, 40);
}

/** CPU percent of one core and RSS of each process of `roots`' trees, over `ms`. */
async function watch(roots: readonly number[], ms: number): Promise<{ row: ProcessRow; cpu: number }[]> {
  const listing = processListing();
  const take = async () => {
    await listing.refresh();
    return (await Promise.all(roots.map((root) => listing.tree(root)))).flat();
  };
  const before = new Map((await take()).map((row) => [row.pid, row]));
  const started = Date.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = await take();
  const elapsed = Date.now() - started;
  return after.map((row) => ({ row, cpu: ((row.cpuTime - (before.get(row.pid)?.cpuTime ?? row.cpuTime)) / elapsed) * 100 }));
}

/**
 * Starts `switchyard up` on a copy of the demo with a free proxy port, on a compile cache of its own
 * as `npm install` leaves it: the first start after an install or update, never one warmed by earlier
 * runs. Resolves with its pid and the workers' ports once all are ready.
 */
async function startDemo(dir: string): Promise<{ pid: number; workerPorts: number[]; stop: () => Promise<void> }> {
  const env = { ...process.env, NO_COLOR: '1', NODE_COMPILE_CACHE: path.join(dir, '.compile-cache') };
  const warmed = spawnSync(process.execPath, [WARM_START], { env, stdio: 'ignore' });
  if (warmed.status !== 0) throw new Error(`warm-start.ts failed (exit ${warmed.status}): the demo would start on a cold compile cache`);
  cpSync(DEMO, dir, { recursive: true });
  const file = path.join(dir, 'switchyard.yaml');
  const proxyPort = await freePort();
  writeFileSync(file, readFileSync(file, 'utf8').replace(/listen: 8080/, `listen: ${proxyPort}`));
  const child = spawn(process.execPath, [CLI, 'up'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
  const stop = () => stopChild(child);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the demo was not ready after ${READY_DEADLINE_MS} ms: ${output.slice(-500)}`)), READY_DEADLINE_MS);
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        output += text;
        if ((output.match(/^api-\d +\| ready:/gm) ?? []).length === 4 && /^proxy +\| ready/m.test(output) && /^web +\| ready/m.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`switchyard up exited (code ${code}) before the demo was ready: ${output.slice(-500)}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const workerPorts = [...output.matchAll(/^api-\d +\| started pid \d+ on port (\d+)/gm)].map((match) => Number(match[1]));
  return { pid: child.pid as number, workerPorts, stop };
}

/** nginx as the demo's front: the same workers upstream, the same static folder. */
function demoSite(workerPorts: readonly number[], webRoot: string): (port: number) => string {
  return (port) => `
  upstream api {
${workerPorts.map((p) => `    server ${LOOPBACK}:${p};`).join('\n')}
    keepalive 32;
  }

  server {
    listen ${LOOPBACK}:${port};
    location /api/ {
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
    location / {
      root ${webRoot};
      try_files $uri /index.html;
    }
  }`;
}

export async function benchAtRest(): Promise<BenchResult> {
  if (process.platform !== 'linux') throw new Error('the at-rest benchmark reads /proc: Linux only');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-rest-'));
  const nginxBinary = findNginx();
  let demo: Awaited<ReturnType<typeof startDemo>> | null = null;
  let nginx: Awaited<ReturnType<typeof startNginx>> | null = null;
  try {
    demo = await startDemo(dir);
    // The anchor runs beside the stack, over the same window: both at rest, both on the same machine load.
    if (nginxBinary !== null && demo.workerPorts.length > 0) nginx = await startNginx(nginxBinary, demoSite(demo.workerPorts, path.join(dir, 'web')));
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const load = os.loadavg()[0] ?? 0;
    const seen = await watch(nginx ? [demo.pid, nginx.pid] : [demo.pid], WINDOW_MS);
    const ofNginx = seen.filter(({ row }) => nginx !== null && row.pid === nginx.pid);
    const ofStack = seen.filter(({ row }) => nginx === null || row.pid !== nginx.pid).map((each) => ({ ...each, role: role(each.row, demo?.pid ?? 0) }));
    const own = ofStack.filter((each) => each.role !== 'worker');
    const workers = ofStack.filter((each) => each.role === 'worker');
    // RSS counts the Node binary's pages once per process. What a group holds together is its
    // private pages plus the pages they share counted once (at most the largest process's shared
    // pages, as they all map the same binary); PSS is shown too, though it also splits the binary
    // with the workers when they are Node.
    const memoryOf = new Map(seen.map(({ row }) => [row.pid, processMemory(row.pid)]));
    const pss = (row: ProcessRow) => memoryOf.get(row.pid)?.pss ?? row.memory;
    const sum = (list: readonly { row: ProcessRow; cpu: number }[]) => ({
      cpu: list.reduce((total, each) => total + each.cpu, 0),
      memory: list.reduce((total, each) => total + each.row.memory, 0),
      pss: list.reduce((total, each) => total + pss(each.row), 0),
      together:
        list.reduce((total, each) => total + (memoryOf.get(each.row.pid)?.private ?? each.row.memory), 0) +
        Math.max(0, ...list.map((each) => memoryOf.get(each.row.pid)?.shared ?? 0)),
    });
    const ownTotal = sum(own);
    const workerTotal = sum(workers);
    const nginxTotal = sum(ofNginx);
    const percent = (cpu: number) => `${cpu.toFixed(2)}%`;
    printTable(
      `At rest: the demo stack (4 workers ready, no traffic, no dashboard) over ${WINDOW_MS / 1000} s, its first start after an install (compile cache as npm install leaves it); CPU in % of one core`,
      [{ title: '' }, { title: 'CPU' }, { title: 'RSS' }, { title: 'PSS' }],
      [
        ...own.map((each) => [`  ${each.role} (pid ${each.row.pid})`, percent(each.cpu), bytes(each.row.memory), bytes(pss(each.row))]),
        ["Switchyard's own processes, summed", percent(ownTotal.cpu), bytes(ownTotal.memory), bytes(ownTotal.pss)],
        ['  held together (private pages + shared pages once)', '', bytes(ownTotal.together), ''],
        [`workers (${workers.length}), health checks included, each`, percent(workerTotal.cpu / Math.max(1, workers.length)), bytes(workerTotal.memory / Math.max(1, workers.length)), bytes(workerTotal.pss / Math.max(1, workers.length))],
        nginx ? ['anchor: nginx in front of the same workers (master + worker)', percent(nginxTotal.cpu), bytes(nginxTotal.memory), bytes(nginxTotal.pss)] : ['anchor: nginx', 'not installed', '', ''],
        nginx ? ['  held together', '', bytes(nginxTotal.together), ''] : ['', '', '', ''],
      ],
      `load average ${load.toFixed(2)} on ${os.availableParallelism()} cores when the window began`,
    );
    return {
      name: 'at rest',
      goals: [
        { label: "at rest: Switchyard's own CPU", met: ownTotal.cpu <= CPU_GOAL, detail: `${percent(ownTotal.cpu)} of one core (goal <= ${CPU_GOAL}%; nginx ${nginx ? percent(nginxTotal.cpu) : 'not installed'})` },
        {
          label: "at rest: Switchyard's own memory held together",
          met: ownTotal.together <= MEMORY_GOAL,
          detail: `${bytes(ownTotal.together)} (private + shared once; ${bytes(ownTotal.pss)} PSS, ${bytes(ownTotal.memory)} RSS summed) (goal <= ${bytes(MEMORY_GOAL)}; nginx ${nginx ? `${bytes(nginxTotal.together)}` : 'not installed'})`,
        },
        { label: 'at rest: a worker with its health checks', met: null, detail: `${percent(workerTotal.cpu / Math.max(1, workers.length))} of one core each (no goal set)` },
      ],
      readme: [
        {
          benchmark: `demo stack at rest, ${WINDOW_MS / 1000} s: Switchyard's own processes (core, watchdog, proxy that also serves the static site), CPU of one core / memory held together (RSS summed)`,
          anchor: nginx ? `nginx in front of the same workers: ${percent(nginxTotal.cpu)} / ${bytes(nginxTotal.together)} (${bytes(nginxTotal.memory)})` : 'nginx not installed',
          switchyard: `${percent(ownTotal.cpu)} / ${bytes(ownTotal.together)} (${bytes(ownTotal.memory)})`,
          ratio: `goal <= ${CPU_GOAL}% / <= ${bytes(MEMORY_GOAL)}: ${ownTotal.cpu <= CPU_GOAL ? 'met' : 'not met'} / ${ownTotal.together <= MEMORY_GOAL ? 'met' : 'not met'}`,
        },
      ],
    };
  } finally {
    await nginx?.stop();
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await runAlone(benchAtRest);
