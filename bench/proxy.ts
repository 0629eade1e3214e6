// Proxy throughput: one trivial keep-alive backend, loaded directly and through four reverse
// proxies in turn (Switchyard's, nginx, Caddy, node http-proxy), all in front of the very same backend
// process. Requests/s and p50/p99 latency from wrk (or autocannon), plus where the CPU went on this machine.

import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppSpec, StackSpec } from '../shared/stack.ts';
import { ControlHub } from '../main/core/control/control-api.ts';
import { Stack } from '../main/core/stack.ts';
import { startNodeServer, type ChildServer } from './lib/child.ts';
import { cpuSeconds, machineCpu } from './lib/cpu.ts';
import { loadTool, runLoad, type LoadOptions, type LoadResult } from './lib/load.ts';
import { freePort, LOOPBACK } from './lib/net.ts';
import { findCaddy, startCaddy } from './lib/caddy.ts';
import { findNginx, proxySite, startNginx } from './lib/nginx.ts';
import { rootRouteStack, startStack, stopStack } from './lib/stack.ts';
import { isMain, runAlone } from './lib/standalone.ts';
import { count, ms, printTable, ratio, type BenchResult, type Goal, type ReadmeRow } from './stats.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const BACKEND = path.join(HERE, 'lib/hello-backend.ts');
const HTTP_PROXY = path.join(HERE, 'lib/http-proxy-server.ts');
/**
 * Light on purpose: on 2 cores every cycle wrk spends is one the proxy does not get. The warm-up is
 * long enough for V8 to have optimised the proxy's paths: after 1 s its first measured round cost
 * 83-96 µs/req against 55-65 in the rounds after it (quiet A/B, 2026-12-07), and a dev proxy runs
 * for hours, so the steady state is what is compared. Every variant gets the same warm-up.
 */
const LOAD: LoadOptions = { connections: 32, seconds: 4, warmup: 3 };
/**
 * Each round runs every variant once, alternating the order, so drift in machine load spreads over
 * all of them; three, so that the median is a round's figure and one odd round does not move it.
 */
const ROUNDS = 3;
const READY_DEADLINE_MS = 20_000;
const NGINX_GOAL = 0.5;
const CADDY_GOAL = 1.3;
const HTTP_PROXY_GOAL = 1;
/** The proxy's CPU per request may be at most this many times nginx's. */
const NGINX_CPU_GOAL = 2;
/** What each request may cost the core (access events arriving, the access log and its log lines), in µs of CPU. */
const CORE_US_GOAL = 2;
/** Above this much CPU going to other programs (% of a core), the table warns that req/s ratios are shaky. */
const BUSY_OTHER_PERCENT = 30;

const DIRECT = 'direct to the backend';
const SWITCHYARD = 'Switchyard proxy';
const NGINX = 'nginx (1 worker, keepalive 32)';
const CADDY = 'Caddy (reverse_proxy, defaults)';
const HTTP_PROXY_LABEL = 'node http-proxy (keep-alive agent)';

/** One load target: where to send load, and the pid of the hop in front of the backend (if any). */
interface Variant {
  label: string;
  port: number;
  proxyPid: number | null;
}

/** One measured run and the CPU each party used during it, in percent of one core. */
interface Run {
  load: LoadResult;
  cpu: { proxy: number | null; backend: number | null; core: number; generator: number | null; other: number | null };
  /** The proxy's CPU microseconds per request: unlike req/s, barely moved by other load on the machine. */
  proxyUsPerRequest: number | null;
}

/** Runs the comparison; usable alone (`node bench/proxy.ts`) or from `bench/run.ts`. */
export async function benchProxy(): Promise<BenchResult> {
  const stack = new Stack(helloStack(await freePort()));
  // The core as `up` hosts it: with the control hub the dashboard and the CLI talk to (no session open).
  const hub = new ControlHub(stack, { startedAt: Date.now(), onShutdown: () => {} });
  const skipped = new Map<string, string>();
  const servers: ChildServer[] = [];
  const runs = new Map<string, Run[]>();
  let switchyardFailure: string | null = null;
  let stopped: Promise<void> | null = null;
  const stop = () => (stopped ??= stopStack(stack).finally(() => hub.dispose()));
  try {
    try {
      await startStack(stack, READY_DEADLINE_MS);
    } catch (error) {
      switchyardFailure = (error as Error).message;
      // A proxy that keeps crashing is restarted over and over: that would load the machine under the anchors' runs.
      await stop();
    }
    // The backend is the Stack's own worker, so that every variant is in front of the same process;
    // a standalone copy stands in only when the Stack did not come up.
    const worker = stopped ? undefined : stack.processes().find((p) => p.kind === 'worker' && p.state === 'ready');
    let backend = worker?.port && worker.pid ? { port: worker.port, pid: worker.pid } : null;
    if (!backend) {
      const alone = await startNodeServer(BACKEND, {}, 'standalone backend');
      servers.push(alone);
      backend = { port: alone.port, pid: alone.pid };
    }

    const variants: Variant[] = [{ label: DIRECT, port: backend.port, proxyPid: null }];
    const proxy = stopped ? undefined : stack.processes().find((p) => p.kind === 'proxy');
    if (switchyardFailure === null && proxy?.pid) variants.push({ label: SWITCHYARD, port: stack.spec.proxy?.listen.port ?? 0, proxyPid: proxy.pid });
    else skipped.set(SWITCHYARD, `did not start: ${switchyardFailure ?? 'no proxy process'}`);

    const nginx = findNginx();
    if (nginx) {
      try {
        const server = await startNginx(nginx, proxySite(backend.port));
        servers.push(server);
        variants.push({ label: NGINX, port: server.port, proxyPid: server.pid });
      } catch (error) {
        skipped.set(NGINX, (error as Error).message);
      }
    } else {
      skipped.set(NGINX, 'nginx is not installed');
    }

    const caddy = findCaddy();
    if (caddy) {
      try {
        const server = await startCaddy(caddy, backend.port);
        servers.push(server);
        variants.push({ label: CADDY, port: server.port, proxyPid: server.pid });
      } catch (error) {
        skipped.set(CADDY, (error as Error).message);
      }
    } else {
      skipped.set(CADDY, 'caddy is not installed (apt-get install caddy)');
    }

    const httpProxy = await startNodeServer(HTTP_PROXY, { TARGET: `http://${LOOPBACK}:${backend.port}` }, 'http-proxy');
    servers.push(httpProxy);
    variants.push({ label: HTTP_PROXY_LABEL, port: httpProxy.port, proxyPid: httpProxy.pid });

    // A proxy that answers 404 or 502 fast would win; each must pass the backend's own body through first.
    for (const variant of [...variants]) {
      const problem = await checkHello(variant.port);
      if (problem === null) continue;
      variants.splice(variants.indexOf(variant), 1);
      skipped.set(variant.label, `GET / did not return the backend's "hello": ${problem}`);
      if (variant.label === SWITCHYARD) switchyardFailure = problem;
    }

    for (let round = 0; round < ROUNDS; round++) {
      // Every other round runs backwards, so no variant always runs right after the same neighbour.
      for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
        const list = runs.get(variant.label) ?? [];
        // Warmed up before its first run only: the proxies' upstream pools and JIT stay warm between rounds.
        list.push(await measure(variant, backend.pid, round === 0));
        runs.set(variant.label, list);
      }
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await stop();
  }

  const figures = new Map([...runs].map(([label, list]) => [label, summarize(list)]));
  const direct = figures.get(DIRECT);
  const rows = [DIRECT, SWITCHYARD, NGINX, CADDY, HTTP_PROXY_LABEL].map((label) => {
    const f = figures.get(label);
    if (!f) return [label, 'skipped', ...Array<string>(12).fill('')];
    return [
      label,
      f.rps.toFixed(0),
      f.spread,
      ms(f.p50),
      ms(f.p99),
      direct ? `${((f.rps / direct.rps) * 100).toFixed(0)}%` : '-',
      f.failures === 0 ? '0' : String(f.failures),
      f.proxyUsPerRequest === null ? '-' : f.proxyUsPerRequest.toFixed(0),
      percent(f.cpu.proxy),
      percent(f.cpu.backend),
      percent(f.cpu.core),
      percent(f.cpu.generator),
      percent(f.cpu.other),
    ];
  });
  const { tool, description } = loadTool(LOAD);
  const notes = [
    `${description} (before a variant's first round only); ${ROUNDS} rounds in alternating order, median shown (range: min–max)`,
    `every variant is in front of the same single backend process (${path.relative(process.cwd(), BACKEND)}, keep-alive, no logging)`,
    'proxy µs/req: CPU time the proxy process spent per request (steadier than req/s when other programs load the machine)',
    `CPU: % of one core over the measured seconds (${os.availableParallelism()} cores = ${os.availableParallelism() * 100}%); "core" is this process, which hosts the Switchyard core`,
    '(it receives the proxy\'s access events); "other" is the rest of the machine\'s busy time: other programs, unattributed kernel work',
    'core per request (goal): the core\'s CPU (a Stack with its control hub, as `up` runs it) through Switchyard less its CPU in the direct run (the same stack, no access events), over Switchyard\'s requests',
    'Caddy: reverse_proxy with its defaults, admin off, auto_https off, loopback only; Go\'s default threads (one per core)',
  ];
  for (const [label, why] of skipped) notes.push(`${label} skipped: ${why}`);
  const busiest = Math.max(...[...figures.values()].map((f) => f.cpu.other ?? 0));
  if (busiest > BUSY_OTHER_PERCENT) {
    notes.push(`the machine was busy with other programs (up to ${busiest.toFixed(0)}% of a core under "other"): req/s and their ratios move with that, µs/req much less`);
  }
  printTable(
    `Proxy: GET / → 6-byte "hello" over keep-alive, ${LOAD.connections} connections (requests/s, latency in ms)`,
    [
      { title: '' },
      { title: 'req/s' },
      { title: 'range' },
      { title: 'p50' },
      { title: 'p99' },
      { title: '÷ direct' },
      { title: 'errors' },
      { title: 'proxy µs/req' },
      { title: 'CPU proxy' },
      { title: 'backend' },
      { title: 'core' },
      { title: tool },
      { title: 'other' },
    ],
    rows,
    notes.join('\n'),
  );

  const switchyard = figures.get(SWITCHYARD);
  if (!switchyard) throw new Error(`the Switchyard proxy could not be measured: ${switchyardFailure ?? skipped.get(SWITCHYARD) ?? 'unknown'}`);
  const nginxFigures = figures.get(NGINX);
  const goals: Goal[] = [
    ratioGoal('proxy req/s, Switchyard ÷ nginx', switchyard, nginxFigures, '≥', NGINX_GOAL, skipped.get(NGINX)),
    ratioGoal('proxy req/s, Switchyard ÷ Caddy', switchyard, figures.get(CADDY), '≥', CADDY_GOAL, skipped.get(CADDY)),
    cpuGoal(switchyard, nginxFigures, skipped.get(NGINX)),
    coreGoal(switchyard, direct),
    ratioGoal('proxy req/s, Switchyard ÷ http-proxy', switchyard, figures.get(HTTP_PROXY_LABEL), '>', HTTP_PROXY_GOAL, skipped.get(HTTP_PROXY_LABEL)),
  ];
  if (switchyard.failures > 0) goals.push({ label: 'proxy errors under load', met: false, detail: `${switchyard.failures} socket errors or non-2xx responses through Switchyard` });
  return { name: 'proxy', goals, readme: [readmeRow(tool, switchyard, figures)] };
}

/** The stack under test: one `hello` worker behind a proxy route `/`. */
export function helloStack(port: number): StackSpec {
  const app: AppSpec = {
    name: 'hello',
    argv: [process.execPath, BACKEND],
    cwd: HERE,
    replicas: 1,
    portEnv: 'PORT',
    env: {},
    health: { path: '/healthz', interval: 1000, startInterval: 20, timeout: 1000, healthyAfter: 1, unhealthyAfter: 3, restartAfter: 10 },
    balance: 'round-robin',
    restart: 'on-failure',
    backoff: { initial: 100, max: 1000 },
    maxRestarts: 3,
    minUptime: 1000,
    stop: { signal: 'SIGTERM', timeout: 3000 },
    watch: [],
    dependsOn: [],
    reload: null,
    maxRequests: 0,
    maxRequestsJitter: 0,
  };
  return rootRouteStack('bench-proxy', HERE, port, app.name, { apps: [app] });
}

/** Warms the variant up (when asked), then measures it and the CPU each process spent meanwhile. */
async function measure(variant: Variant, backendPid: number, warmUp: boolean): Promise<Run> {
  const url = `http://${LOOPBACK}:${variant.port}/`;
  if (warmUp) await runLoad(url, { ...LOAD, seconds: LOAD.warmup, warmup: 0 });
  const before = { proxy: pidCpu(variant.proxyPid), backend: cpuSeconds(backendPid), core: process.cpuUsage(), machine: machineCpu() };
  const started = process.hrtime.bigint();
  const load = await runLoad(url, { ...LOAD, warmup: 0 });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const share = (from: number | null, to: number | null) => (from === null || to === null ? null : ((to - from) / wall) * 100);
  const usage = process.cpuUsage(before.core);
  const machineAfter = machineCpu();
  const proxy = share(before.proxy, pidCpu(variant.proxyPid));
  const backend = share(before.backend, cpuSeconds(backendPid));
  const core = ((usage.user + usage.system) / 1e6 / wall) * 100;
  const generator = load.cpu === null ? null : (load.cpu / wall) * 100;
  const machine = before.machine && machineAfter ? ((machineAfter.busy - before.machine.busy) / wall) * 100 : null;
  // Whatever the machine spent beyond the processes above: other programs, and kernel work no process is charged for.
  const other = machine === null ? null : Math.max(0, machine - (proxy ?? 0) - (backend ?? 0) - core - (generator ?? 0));
  const proxyUsPerRequest = proxy === null || load.requests === 0 ? null : ((proxy / 100) * wall * 1e6) / load.requests;
  return { load, cpu: { proxy, backend, core, generator, other }, proxyUsPerRequest };
}

function pidCpu(pid: number | null): number | null {
  return pid === null ? null : cpuSeconds(pid);
}

/** One variant's figures over all its rounds. */
type Figures = ReturnType<typeof summarize>;

/** Medians over rounds (the middle value, or the mean of the two middle ones). */
function summarize(list: readonly Run[]) {
  const mid = (values: (number | null)[]): number | null => {
    const known = values.filter((value) => value !== null).sort((a, b) => a - b);
    if (known.length === 0) return null;
    const half = Math.floor(known.length / 2);
    return known.length % 2 === 1 ? (known[half] as number) : ((known[half - 1] as number) + (known[half] as number)) / 2;
  };
  const rps = list.map((run) => run.load.rps);
  return {
    rps: mid(rps) ?? Number.NaN,
    spread: `${Math.min(...rps).toFixed(0)}–${Math.max(...rps).toFixed(0)}`,
    p50: mid(list.map((run) => run.load.p50)) ?? Number.NaN,
    p99: mid(list.map((run) => run.load.p99)) ?? Number.NaN,
    failures: list.reduce((sum, run) => sum + run.load.errors + run.load.non2xx, 0),
    proxyUsPerRequest: mid(list.map((run) => run.proxyUsPerRequest)),
    cpu: {
      proxy: mid(list.map((run) => run.cpu.proxy)),
      backend: mid(list.map((run) => run.cpu.backend)),
      core: mid(list.map((run) => run.cpu.core)),
      generator: mid(list.map((run) => run.cpu.generator)),
      other: mid(list.map((run) => run.cpu.other)),
    },
  };
}

/** The proxy's CPU per request against nginx's. */
function cpuGoal(ours: Figures, nginx: Figures | undefined, skippedBecause: string | undefined): Goal {
  const label = `proxy CPU per request, Switchyard ÷ nginx (goal ≤ ${NGINX_CPU_GOAL})`;
  if (nginx === undefined || ours.proxyUsPerRequest === null || nginx.proxyUsPerRequest === null) return { label, met: null, detail: `not measured: ${skippedBecause ?? 'no CPU figures'}` };
  const factor = ours.proxyUsPerRequest / nginx.proxyUsPerRequest;
  return { label, met: factor <= NGINX_CPU_GOAL, detail: `${ours.proxyUsPerRequest.toFixed(0)} vs ${nginx.proxyUsPerRequest.toFixed(0)} µs/req = ${factor.toFixed(2)}x` };
}

/** What the requests through the proxy cost the core, against the direct run's baseline. */
function coreGoal(ours: Figures, direct: Figures | undefined): Goal {
  const label = `core CPU per proxied request (goal < ${CORE_US_GOAL} µs)`;
  if (direct === undefined || ours.cpu.core === null || direct.cpu.core === null) return { label, met: null, detail: 'the direct run, its baseline, was not measured' };
  // The core's CPU is mostly per second (timers, health checks), so the baseline is subtracted as a share of a core, not per request.
  const cost = (Math.max(0, ours.cpu.core - direct.cpu.core) / 100) * (1e6 / ours.rps);
  return { label, met: cost < CORE_US_GOAL, detail: `${cost.toFixed(1)} µs/req (core ${percent(ours.cpu.core)} of a core through the proxy, ${percent(direct.cpu.core)} direct, at ${ours.rps.toFixed(0)} req/s)` };
}

function percent(value: number | null): string {
  return value === null ? '-' : `${value.toFixed(0)}%`;
}

/** The req/s goal, with the proxies' CPU per request alongside as the steadier view of the same gap. */
function ratioGoal(label: string, ours: Figures, anchor: Figures | undefined, op: '≥' | '>', goal: number, skippedBecause: string | undefined): Goal {
  if (anchor === undefined) return { label, met: null, detail: `anchor skipped: ${skippedBecause ?? 'not measured'}` };
  const factor = ours.rps / anchor.rps;
  const met = op === '≥' ? factor >= goal : factor > goal;
  const cpu = ours.proxyUsPerRequest !== null && anchor.proxyUsPerRequest !== null ? `; proxy CPU ${ours.proxyUsPerRequest.toFixed(0)} vs ${anchor.proxyUsPerRequest.toFixed(0)} µs/req` : '';
  return { label, met, detail: `${ours.rps.toFixed(0)} vs ${anchor.rps.toFixed(0)} req/s = ${factor.toFixed(2)}x (goal ${op} ${goal})${cpu}` };
}

/** The README's row: Switchyard beside nginx, with the direct figure and http-proxy for scale. */
function readmeRow(tool: string, ours: Figures, figures: ReadonlyMap<string, Figures>): ReadmeRow {
  const direct = figures.get(DIRECT);
  const nginx = figures.get(NGINX);
  const httpProxy = figures.get(HTTP_PROXY_LABEL);
  const cells = (f: Figures) => `${count(f.rps)} req/s, p99 ${ms(f.p99)} ms${f.proxyUsPerRequest === null ? '' : `, ${f.proxyUsPerRequest.toFixed(0)} µs CPU/req`}`;
  const versusNginx = nginx ? `${ratio(ours.rps, nginx.rps)} nginx (goal ${NGINX_GOAL}x, ${ours.rps / nginx.rps >= NGINX_GOAL ? 'met' : 'not met'})` : 'nginx not measured';
  return {
    benchmark: `GET through the proxy, 6-byte answer, ${tool} -c${LOAD.connections}${direct ? ` (direct: ${count(direct.rps)} req/s)` : ''}`,
    anchor: nginx ? `nginx, 1 worker, keepalive: ${cells(nginx)}` : 'nginx not measured',
    switchyard: cells(ours),
    ratio: `${versusNginx}${httpProxy ? `, ${ratio(ours.rps, httpProxy.rps)} http-proxy (${count(httpProxy.rps)})` : ''}`,
  };
}

/** Null when GET / returns 200 and the backend's body; otherwise what came back instead. */
export function checkHello(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const request = http.get({ host: LOOPBACK, port, path: '/', agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (text: string) => (body += text));
      response.on('end', () => resolve(response.statusCode === 200 && body === 'hello\n' ? null : `${response.statusCode}: ${JSON.stringify(body.slice(0, 200))}`));
    });
    request.setTimeout(5000, () => request.destroy(new Error('no answer within 5 s')));
    request.once('error', (error) => resolve(error.message));
  });
}

if (isMain(import.meta.url)) await runAlone(benchProxy);
