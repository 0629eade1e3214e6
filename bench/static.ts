// Static file throughput: requests/s, latency and CPU per request of a 1 KiB, a 100 KiB and a 5 MiB
// file served by static-main.ts (a site's own server, in a stack without a proxy), by Switchyard's
// proxy port (where a browser fetches it: the proxy serves the site's folder itself) and by nginx
// (sendfile on, one worker), all on loopback, loaded by
// wrk (or autocannon when wrk is absent) with 32 keep-alive connections. CPU per request is read
// from /proc for each server's own process, so it holds steadier than req/s on a busy machine.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild } from './lib/child.ts';
import { cpuSeconds } from './lib/cpu.ts';
import { describeMachineLoad, watchMachineLoad } from './lib/machine-load.ts';
import { loadTool, runLoad, type LoadOptions } from './lib/load.ts';
import { freePort, LOOPBACK } from './lib/net.ts';
import { findNginx, startNginx, staticSite } from './lib/nginx.ts';
import { rootRouteStack, startStack, stopStack } from './lib/stack.ts';
import { count, median, ms, printTable, ratio, type BenchResult, type Goal, type ReadmeRow } from './stats.ts';
import { Stack } from '../main/core/stack.ts';

const STATIC_MAIN = fileURLToPath(new URL('../main/core/static/static-main.ts', import.meta.url));
const CONNECTIONS = 32;
const SECONDS = 3;
const WARM_UP_SECONDS = 1;
/** Rounds per file and server, alternated so that a burst of load elsewhere on the machine hits both. */
const ROUNDS = 3;
/** The small file's req/s against nginx's, on the static server's own port. */
const RPS_GOAL = 0.8;
/** The large file's CPU per request against nginx's, at most. */
const CPU_GOAL = 3;
/** The small file's req/s through the proxy port against nginx's. */
const PROXY_PORT_RPS_GOAL = 0.5;
/** Far beyond a healthy start; only there so a broken server fails the run instead of hanging it. */
const START_DEADLINE_MS = 10_000;

interface BenchFile {
  label: string;
  name: string;
  bytes: number;
  goal: 'rps' | 'cpu' | null;
}

const FILES: readonly BenchFile[] = [
  { label: '1 KiB', name: 'asset-1k.bin', bytes: 1024, goal: 'rps' },
  { label: '100 KiB', name: 'asset-100k.bin', bytes: 100 * 1024, goal: null },
  { label: '5 MiB', name: 'asset-5m.bin', bytes: 5 * 1024 * 1024, goal: 'cpu' },
];

/** A server under test, reachable on a loopback port. */
interface Target {
  name: string;
  port: number;
  pid: number;
  stop: () => Promise<void>;
}

/** Runs the comparison, prints its table and returns the ratio to nginx as goals. */
export async function benchStatic(): Promise<BenchResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-static-'));
  const root = path.join(dir, 'site');
  mkdirSync(root);
  for (const file of FILES) writeFileSync(path.join(root, file.name), Buffer.alloc(file.bytes, 'switchyard '));
  const measured: LoadOptions = { connections: CONNECTIONS, seconds: SECONDS, warmup: 0 };
  const warmup: LoadOptions = { connections: CONNECTIONS, seconds: WARM_UP_SECONDS, warmup: 0 };
  const targets: Target[] = [];
  const machine = watchMachineLoad();
  try {
    targets.push(await startStaticMain(root));
    const proxyPort = await startProxyPortSite(root);
    targets.push(proxyPort);
    const nginx = await startNginxSite(root);
    if (nginx) targets.push(nginx);

    for (const target of targets) for (const file of FILES) await checkServes(target, file.name, file.bytes);

    const results = new Map<string, Figures[]>();
    const key = (target: Target, file: BenchFile) => `${target.name} ${file.label}`;
    for (const file of FILES) {
      for (const target of targets) await measure(target, file.name, warmup);
      for (let round = 0; round < ROUNDS; round++) {
        // The order flips each round, so neither server always runs on a machine the other just heated.
        const ordered = round % 2 === 0 ? targets : [...targets].reverse();
        for (const target of ordered) {
          const list = results.get(key(target, file)) ?? [];
          list.push(await measure(target, file.name, measured));
          results.set(key(target, file), list);
        }
      }
    }

    const figures = (target: Target, file: BenchFile): Figures => {
      const runs = results.get(key(target, file)) ?? [];
      const cpu = runs.map((run) => run.cpuUsPerRequest).filter((value) => value !== null);
      return {
        requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
        p50: median(runs.map((run) => run.p50)),
        p99: median(runs.map((run) => run.p99)),
        cpuUsPerRequest: cpu.length === runs.length ? median(cpu) : null,
      };
    };
    const load = describeMachineLoad(machine.stop());
    const rows: string[][] = [];
    const goals: Goal[] = [];
    for (const file of FILES) {
      const anchor = nginx ? figures(nginx, file) : null;
      for (const target of targets) {
        const figure = figures(target, file);
        const ours = target !== nginx && anchor;
        rows.push([
          file.label,
          target.name,
          figure.requestsPerSecond.toFixed(0),
          ms(figure.p50),
          ms(figure.p99),
          ours ? ratio(figure.requestsPerSecond, anchor.requestsPerSecond) : '',
          usPerRequest(figure.cpuUsPerRequest),
          ours ? cpuRatio(figure, anchor) : '',
        ]);
      }
      const goal = fileGoal(file, figures(targets[0] as Target, file), anchor);
      if (goal) goals.push(goal);
      if (file.goal === 'rps' && anchor) {
        const through = figures(proxyPort, file).requestsPerSecond;
        goals.push({
          label: `static ${file.label}, through the proxy port ÷ nginx req/s`,
          met: through / anchor.requestsPerSecond >= PROXY_PORT_RPS_GOAL,
          detail: `${through.toFixed(0)} vs ${anchor.requestsPerSecond.toFixed(0)} req/s = ${ratio(through, anchor.requestsPerSecond)} (goal >= ${PROXY_PORT_RPS_GOAL}x)`,
        });
      }
    }
    printTable(
      `Static files: ${loadTool(measured).tool}, ${CONNECTIONS} keep-alive connections, ${SECONDS} s per run, median of ${ROUNDS} runs`,
      [
        { title: 'file' },
        { title: 'server', align: 'left' },
        { title: 'req/s' },
        { title: 'p50 ms' },
        { title: 'p99 ms' },
        { title: '÷ nginx' },
        { title: 'CPU µs/req' },
        { title: 'CPU ÷ nginx' },
      ],
      rows,
      [
        `load generator and servers share ${os.availableParallelism()} cores; nginx: 1 worker, sendfile on, access_log off`,
        "CPU µs/req: the server process's own user + system time per request, from /proc",
        `machine during the run: ${load}`,
      ].join('\n'),
    );
    const ours = FILES.map((file) => figures(targets[0] as Target, file).requestsPerSecond);
    const nginxRps = nginx ? FILES.map((file) => figures(nginx, file).requestsPerSecond) : null;
    const readme: ReadmeRow = {
      benchmark: `static file, ${FILES.map((file) => file.label).join(' / ')}`,
      anchor: nginxRps ? `nginx: ${nginxRps.map(count).join(' / ')} req/s` : 'nginx not installed',
      switchyard: `${ours.map(count).join(' / ')} req/s`,
      ratio: nginxRps ? `${ours.map((rps, i) => ratio(rps, nginxRps[i] ?? Number.NaN)).join(' / ')} (goal ${RPS_GOAL}x at 1 KiB)` : '—',
    };
    const throughProxy = FILES.map((file) => figures(proxyPort, file).requestsPerSecond);
    const proxyRow: ReadmeRow = {
      benchmark: `static file through the proxy port, ${FILES.map((file) => file.label).join(' / ')}`,
      anchor: nginxRps ? `nginx: ${nginxRps.map(count).join(' / ')} req/s` : 'nginx not installed',
      switchyard: `${throughProxy.map(count).join(' / ')} req/s`,
      ratio: nginxRps ? `${throughProxy.map((rps, i) => ratio(rps, nginxRps[i] ?? Number.NaN)).join(' / ')} (goal ${PROXY_PORT_RPS_GOAL}x at 1 KiB)` : '—',
    };
    return { name: 'static', goals, readme: [readme, proxyRow] };
  } finally {
    await Promise.all(targets.map((target) => target.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The figures of a run; an error response makes the run worthless, so it fails. */
interface Figures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** The server's CPU time per request in microseconds, or null off Linux. */
  cpuUsPerRequest: number | null;
}

async function measure(target: Target, name: string, options: LoadOptions): Promise<Figures> {
  const address = url(target, name);
  const before = cpuSeconds(target.pid);
  const result = await runLoad(address, options);
  const after = cpuSeconds(target.pid);
  if (result.non2xx > 0) throw new Error(`${result.tool} saw ${result.non2xx} error responses from ${address}`);
  const cpuUsPerRequest = before === null || after === null || result.requests === 0 ? null : ((after - before) * 1e6) / result.requests;
  return { requestsPerSecond: result.rps, p50: result.p50, p99: result.p99, cpuUsPerRequest };
}

/** The goal a file carries, measured against nginx when it ran. */
function fileGoal(file: BenchFile, ours: Figures, anchor: Figures | null): Goal | null {
  if (file.goal === null) return null;
  if (!anchor) return { label: `static ${file.label}, static-main req/s`, met: null, detail: `${ours.requestsPerSecond.toFixed(0)} req/s (nginx absent, no anchor)` };
  if (file.goal === 'rps') {
    const share = ours.requestsPerSecond / anchor.requestsPerSecond;
    return {
      label: `static ${file.label}, static-main ÷ nginx req/s`,
      met: share >= RPS_GOAL,
      detail: `${ours.requestsPerSecond.toFixed(0)} vs ${anchor.requestsPerSecond.toFixed(0)} req/s = ${ratio(ours.requestsPerSecond, anchor.requestsPerSecond)} (goal ≥ ${RPS_GOAL}x)`,
    };
  }
  const label = `static ${file.label}, static-main ÷ nginx CPU per request`;
  if (ours.cpuUsPerRequest === null || anchor.cpuUsPerRequest === null) return { label, met: null, detail: 'CPU time unknown (no /proc)' };
  return {
    label,
    met: ours.cpuUsPerRequest / anchor.cpuUsPerRequest <= CPU_GOAL,
    detail: `${usPerRequest(ours.cpuUsPerRequest)} vs ${usPerRequest(anchor.cpuUsPerRequest)} µs = ${cpuRatio(ours, anchor)} (goal ≤ ${CPU_GOAL}x)`,
  };
}

function usPerRequest(value: number | null): string {
  if (value === null) return '-';
  return value < 100 ? value.toFixed(1) : value.toFixed(0);
}

function cpuRatio(ours: Figures, anchor: Figures): string {
  return ours.cpuUsPerRequest === null || anchor.cpuUsPerRequest === null ? '-' : ratio(ours.cpuUsPerRequest, anchor.cpuUsPerRequest);
}

function url(target: Target, name: string): string {
  return `http://${LOOPBACK}:${target.port}/${name}`;
}

async function startStaticMain(root: string): Promise<Target> {
  const child = spawn(process.execPath, [STATIC_MAIN], {
    env: { ...process.env, PORT: '0', SWITCHYARD_STATIC_ROOT: root, SWITCHYARD_STATIC_SPA: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`static-main.ts printed no address within ${START_DEADLINE_MS} ms: ${output}`)), START_DEADLINE_MS);
    child.stdout.on('data', () => {
      const match = /on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`static-main.ts exited with code ${code} before listening: ${output}`));
    });
  });
  return { name: 'static-main.ts', port, pid: child.pid as number, stop: () => stopChild(child) };
}

/** A Stack whose proxy serves `root` as a static site on its port; the proxy process is the one measured. */
async function startProxyPortSite(root: string): Promise<Target> {
  const port = await freePort();
  const stack = new Stack(rootRouteStack('bench-static', root, port, 'site', { statics: [{ name: 'site', root, spa: false }] }));
  await startStack(stack, START_DEADLINE_MS);
  const pid = stack.processes().find((p) => p.name === 'proxy')?.pid;
  if (pid === null || pid === undefined) throw new Error('the bench stack has no proxy process');
  return { name: 'Switchyard proxy port', port, pid, stop: () => stopStack(stack) };
}

/** nginx serving `root`, or null (with the reason printed) where it is absent or does not start. */
async function startNginxSite(root: string): Promise<Target | null> {
  const binary = findNginx();
  if (!binary) {
    console.log('\nStatic: nginx not found; measuring static-main.ts alone, without the nginx anchor');
    return null;
  }
  try {
    const server = await startNginx(binary, staticSite(root));
    return { name: 'nginx', port: server.port, pid: server.pid, stop: server.stop };
  } catch (error) {
    console.log(`\nStatic: nginx did not start (${(error as Error).message}); measuring static-main.ts alone`);
    return null;
  }
}

async function checkServes(target: Target, name: string, bytes: number): Promise<void> {
  const reply = await new Promise<{ status: number; length: number }>((resolve, reject) => {
    http
      .get({ host: LOOPBACK, port: target.port, path: `/${name}`, agent: false }, (response) => {
        let length = 0;
        response.on('data', (chunk: Buffer) => (length += chunk.length));
        response.once('end', () => resolve({ status: response.statusCode ?? 0, length }));
      })
      .once('error', reject);
  });
  if (reply.status !== 200 || reply.length !== bytes) throw new Error(`${target.name} answered /${name} with ${reply.status} and ${reply.length} bytes, not 200 and ${bytes}`);
}

if (import.meta.main) {
  const result = await benchStatic();
  for (const goal of result.goals) console.log(`  ${goal.met === null ? 'info  ' : goal.met ? 'MET   ' : 'MISSED'}  ${goal.label}: ${goal.detail}`);
}
