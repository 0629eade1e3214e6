// The proxy engines side by side: 4 hello workers behind the builtin engine, behind the nginx
// engine, and behind a hand-written nginx.conf in front of the nginx engine's very same worker
// processes, loaded in alternating rounds; then a rolling reload and a SIGKILL under load on both
// engines, counting failed requests and the graceful reloads nginx went through.
//
// The hello backend (bench/lib/hello-backend.ts) and not the demo's API for the throughput: it does
// the least work per request, so on 2 cores the proxy's own cost is the largest share of each
// request and the engines differ by the most they can. The churn part uses the demo's API, as
// bench/reload-under-load.ts does: it drains on SIGTERM like a production worker.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StackSpec } from '../shared/stack.ts';
import { Stack } from '../main/core/stack.ts';
import { anchorServer, type ChildServer } from './lib/child.ts';
import { cpuSeconds } from './lib/cpu.ts';
import { loadTool, runLoad, type LoadOptions, type LoadResult } from './lib/load.ts';
import { freePort, LOOPBACK } from './lib/net.ts';
import { findNginx, proxySite, startNginx } from './lib/nginx.ts';
import { nginxCpu, nginxCpuBetween, watchNewWorkers } from './lib/nginx-processes.ts';
import { startStack, stopStack } from './lib/stack.ts';
import { isMain, runAlone } from './lib/standalone.ts';
import { checkHello, helloStack } from './proxy.ts';
import { churnGoals, churnReadmeRow, churnStack, printChurn, runChurn, type ChurnRun } from './reload-under-load.ts';
import { count, median, ms, printTable, ratio, type BenchResult, type Goal, type ReadmeRow } from './stats.ts';

const WORKERS = 4;
/** As bench/proxy.ts: light, so that wrk takes as little as it can from the proxy on 2 cores. */
const LOAD: LoadOptions = { connections: 32, seconds: 4, warmup: 1 };
const ROUNDS = 3;
const READY_DEADLINE_MS = 30_000;
const NGINX_START_MS = 5000;
/** The nginx engine's req/s over the hand-written nginx.conf's. */
const ENGINE_GOAL = 0.95;

const BUILTIN = 'builtin engine';
const ENGINE = 'nginx engine';
const HAND = 'hand-written nginx.conf';
const ENGINE_NO_LOG = "nginx engine's conf, access_log off";

/** One load target and how to read the CPU of the proxy behind it. */
interface Variant {
  label: string;
  port: number;
  /** CPU seconds of the proxy's processes so far, by pid. */
  cpu(): Promise<Map<number, number>>;
}

/** One measured run. */
interface Run {
  load: LoadResult;
  /** The proxy's (nginx: master and workers') CPU µs per request. */
  proxyUs: number | null;
  /** This process's CPU µs per request: the Switchyard core of both stacks, which takes the access events. */
  coreUs: number;
}

/** Runs the comparison and the churn on both engines; usable alone (`node bench/engines.ts`) or from `bench/run.ts`. */
export async function benchEngines(): Promise<BenchResult> {
  const nginx = findNginx();
  if (nginx === null) throw new Error('nginx is not installed (apt-get install nginx): the nginx engine and its anchor need it');
  const throughput = await compareThroughput(nginx);
  // Both engines under the same client, which sends a GET again when its connection closed before
  // any answer (a browser does the same); such retries are shown beside the failures, not among them.
  const retryResets = true;
  const builtinChurn = await runChurn(await churnStack(await freePort()), { retryResets });
  printChurn('behind the builtin engine', withRetryNote(builtinChurn));
  let reloads: number | undefined;
  const nginxChurn = await runChurn(withEngine(await churnStack(await freePort()), 'nginx'), {
    retryResets,
    aroundReload: async (stack, reload) => {
      const master = stack.processes().find((p) => p.kind === 'proxy')?.pid;
      if (!master) throw new Error('the nginx engine has no master pid to watch');
      const workers = await watchNewWorkers(master);
      await reload();
      reloads = await workers.stop();
    },
  });
  if (reloads !== undefined) nginxChurn.notes.push(`nginx went through ${reloads} graceful reload(s) during the rolling reload of ${nginxChurn.replicas} workers (worker processes its master started, one per reload)`);
  printChurn('behind the nginx engine', withRetryNote(nginxChurn));

  return {
    name: 'engines',
    goals: [...throughput.goals, ...churnGoals(builtinChurn, 'builtin engine: '), ...churnGoals(nginxChurn, 'nginx engine: '), reloadGoal(reloads, nginxChurn)],
    readme: [
      ...throughput.readme,
      churnReadmeRow(nginxChurn, `nginx engine, rolling reload of ${nginxChurn.replicas} workers (${reloads ?? '?'} nginx reloads) / SIGKILL of a worker`),
    ],
  };
}

/** The three proxies (and the diagnostic fourth) in front of 4 hello workers, in alternating rounds. */
async function compareThroughput(nginx: string): Promise<{ goals: Goal[]; readme: ReadmeRow[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-engines-'));
  const builtin = new Stack(fourHellos(await freePort(), 'builtin', dir));
  const engine = new Stack(fourHellos(await freePort(), 'nginx', dir));
  const servers: ChildServer[] = [];
  const runs = new Map<string, Run[]>();
  try {
    await Promise.all([startStack(builtin, READY_DEADLINE_MS), startStack(engine, READY_DEADLINE_MS)]);
    const builtinProxy = proxyPid(builtin);
    const master = proxyPid(engine);
    const workerPorts = engine.processes().flatMap((p) => (p.kind === 'worker' && p.port !== null ? [p.port] : []));
    const engineConf = await routingConf(engine);
    if (workerPorts.length !== WORKERS || engineConf === '') throw new Error(`the nginx engine's stack has ${workerPorts.length} workers and ${engineConf ? 'a' : 'no'} configuration`);

    const hand = await startNginx(nginx, proxySite(workerPorts), { masterProcess: true });
    servers.push(hand);
    const noLog = await startEngineConf(nginx, engineConf, path.join(dir, 'no-access-log'));
    servers.push(noLog);
    const variants: Variant[] = [
      { label: BUILTIN, port: listenPort(builtin), cpu: () => Promise.resolve(new Map([[builtinProxy, cpuSeconds(builtinProxy) ?? Number.NaN]])) },
      { label: ENGINE, port: listenPort(engine), cpu: () => nginxCpu(master) },
      { label: HAND, port: hand.port, cpu: () => nginxCpu(hand.pid) },
      { label: ENGINE_NO_LOG, port: noLog.port, cpu: () => nginxCpu(noLog.pid) },
    ];
    for (const variant of variants) {
      const problem = await checkHello(variant.port);
      if (problem !== null) throw new Error(`${variant.label}: GET / did not return the backend's "hello": ${problem}`);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
        const list = runs.get(variant.label) ?? [];
        list.push(await measure(variant, round === 0));
        runs.set(variant.label, list);
      }
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await Promise.all([stopStack(builtin), stopStack(engine)]);
    rmSync(dir, { recursive: true, force: true });
  }
  return report(runs);
}

/** The hello backend × 4 behind `engine`, the stack's folder (nginx's prefix goes under it) in `dir`. */
function fourHellos(port: number, engine: 'builtin' | 'nginx', dir: string): StackSpec {
  const spec = helloStack(port);
  const stackDir = path.join(dir, engine);
  mkdirSync(stackDir);
  return {
    ...spec,
    name: `bench-engines-${engine}`,
    dir: stackDir,
    file: path.join(stackDir, 'switchyard.yaml'),
    apps: spec.apps.map((app) => ({ ...app, replicas: WORKERS })),
    ...(spec.proxy ? { proxy: { ...spec.proxy, engine } } : {}),
  };
}

function withRetryNote(run: ChurnRun): ChurnRun {
  const note = 'a GET whose keep-alive connection was closed or reset before any answer is sent again (up to 17 times), counted in parentheses, not as failed';
  return { ...run, notes: [...run.notes, note] };
}

function withEngine(spec: StackSpec, engine: 'builtin' | 'nginx'): StackSpec {
  return spec.proxy ? { ...spec, proxy: { ...spec.proxy, engine } } : spec;
}

/** The nginx engine's configuration once it routes to every worker (members turn ready before nginx is reloaded with them). */
async function routingConf(stack: Stack): Promise<string> {
  const deadline = Date.now() + NGINX_START_MS;
  for (;;) {
    const text = (await stack.proxyEngine())?.config?.text ?? '';
    // Every worker in rotation: an upstream with none live is not written at all (its routes answer 503).
    const live = text.match(/^\s*server \S+ max_fails=/gm)?.length ?? 0;
    if (live >= WORKERS && !/^\s*server \S+ down;$/m.test(text)) return text;
    if (Date.now() > deadline) return text;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function proxyPid(stack: Stack): number {
  const pid = stack.processes().find((p) => p.kind === 'proxy')?.pid;
  if (!pid) throw new Error(`${stack.spec.name}: no proxy process`);
  return pid;
}

function listenPort(stack: Stack): number {
  return stack.spec.proxy?.listen.port ?? 0;
}

/**
 * The nginx engine's own configuration run by hand on another port, with its access log off: the
 * same upstreams (the same worker processes), headers and maps, less the JSON lines on the pipe.
 */
async function startEngineConf(binary: string, conf: string, dir: string): Promise<ChildServer> {
  const port = await freePort();
  const prefix = /^pid "(.*)\/nginx\.pid";$/m.exec(conf)?.[1];
  if (prefix === undefined) throw new Error("the nginx engine's configuration has no pid path to move");
  const text = conf
    .replaceAll(prefix, dir)
    .replace(/^(\s*)access_log .*;$/m, '$1access_log off;')
    .replace(/^(\s*listen )\S+( default_server;)$/m, `$1${LOOPBACK}:${port}$2`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'nginx.conf'), text);
  const child = spawn(binary, ['-p', `${dir}/`, '-c', path.join(dir, 'nginx.conf'), '-e', 'stderr'], { stdio: ['ignore', 'ignore', 'pipe'] });
  return anchorServer('nginx (engine conf)', child, dir, port, NGINX_START_MS, (stderr) => stderr);
}

async function measure(variant: Variant, warmUp: boolean): Promise<Run> {
  const url = `http://${LOOPBACK}:${variant.port}/`;
  if (warmUp) await runLoad(url, { ...LOAD, seconds: LOAD.warmup, warmup: 0 });
  const before = await variant.cpu();
  const core = process.cpuUsage();
  const load = await runLoad(url, { ...LOAD, warmup: 0 });
  const proxy = nginxCpuBetween(before, await variant.cpu());
  const used = process.cpuUsage(core);
  const perRequest = (seconds: number) => (load.requests === 0 ? Number.NaN : (seconds * 1e6) / load.requests);
  return { load, proxyUs: proxy === null ? null : perRequest(proxy), coreUs: perRequest((used.user + used.system) / 1e6) };
}

/** Medians over the rounds. */
interface Figures {
  rps: number;
  spread: string;
  p50: number;
  p99: number;
  failures: number;
  proxyUs: number;
  coreUs: number;
}

function summarize(list: readonly Run[]): Figures {
  const rps = list.map((run) => run.load.rps);
  return {
    rps: median(rps),
    spread: `${Math.min(...rps).toFixed(0)}–${Math.max(...rps).toFixed(0)}`,
    p50: median(list.map((run) => run.load.p50)),
    p99: median(list.map((run) => run.load.p99)),
    failures: list.reduce((sum, run) => sum + run.load.errors + run.load.non2xx, 0),
    proxyUs: median(list.flatMap((run) => (run.proxyUs === null ? [] : [run.proxyUs]))),
    coreUs: median(list.map((run) => run.coreUs)),
  };
}

function report(runs: ReadonlyMap<string, readonly Run[]>): { goals: Goal[]; readme: ReadmeRow[] } {
  const figures = new Map([...runs].map(([label, list]) => [label, summarize(list)]));
  const hand = figures.get(HAND);
  const rows = [BUILTIN, ENGINE, HAND, ENGINE_NO_LOG].map((label) => {
    const f = figures.get(label);
    if (!f) return [label, 'not measured'];
    return [label, f.rps.toFixed(0), f.spread, hand ? ratio(f.rps, hand.rps) : '-', ms(f.p50), ms(f.p99), f.proxyUs.toFixed(1), hand ? ratio(f.proxyUs, hand.proxyUs) : '-', f.coreUs.toFixed(1), String(f.failures)];
  });
  printTable(
    `Engines: GET / → 6-byte "hello", ${WORKERS} workers, keep-alive, ${LOAD.connections} connections (requests/s, latency in ms)`,
    [{ title: '' }, { title: 'req/s' }, { title: 'range' }, { title: '÷ hand' }, { title: 'p50' }, { title: 'p99' }, { title: 'proxy µs/req' }, { title: '÷ hand' }, { title: 'core µs/req' }, { title: 'errors' }],
    rows,
    [
      `${loadTool(LOAD).description} (before a variant's first round only); ${ROUNDS} rounds in alternating order, median shown (range: min–max)`,
      `the nginx engine, the hand-written nginx.conf and the engine's conf without access log are in front of the same ${WORKERS} worker processes; the builtin engine in front of ${WORKERS} of its own`,
      'proxy µs/req: CPU of the proxy process per request (nginx: master and worker summed); core µs/req: this process, which hosts both stacks\' cores (access events)',
      'hand-written: 1 worker, master on, upstream of the 4 workers with keepalive 32, HTTP/1.1 upstream, access_log off, nothing else',
      "the engine's conf adds: an access log line per request (tab-separated values) on a named pipe, read by the core, X-Forwarded-For/Proto/Host/Port, Via and X-Request-Id",
      '(maps over request headers, $request_id generated when the client sent none, added to the answer), a loop check (if on Via), an Upgrade check per location,',
      'proxy_buffering off, charset utf-8, max_fails=1 fail_timeout=2s per server, keepalive 64 with a 1.5 s idle timeout, proxy_next_upstream error with 3 tries',
    ].join('\n'),
  );
  const engine = figures.get(ENGINE);
  const noLog = figures.get(ENGINE_NO_LOG);
  const builtin = figures.get(BUILTIN);
  const label = `req/s, nginx engine ÷ hand-written nginx.conf (goal ≥ ${ENGINE_GOAL})`;
  const goals: Goal[] = [];
  if (engine && hand) {
    const factor = engine.rps / hand.rps;
    const why = noLog ? `; without its access log ${ratio(noLog.rps, hand.rps)}, ${noLog.proxyUs.toFixed(1)} µs/req` : '';
    goals.push({ label, met: factor >= ENGINE_GOAL, detail: `${engine.rps.toFixed(0)} vs ${hand.rps.toFixed(0)} req/s = ${factor.toFixed(2)}x; nginx CPU ${engine.proxyUs.toFixed(1)} vs ${hand.proxyUs.toFixed(1)} µs/req${why}` });
  } else {
    goals.push({ label, met: false, detail: 'not measured' });
  }
  if (builtin && engine) goals.push({ label: 'req/s, nginx engine ÷ builtin engine', met: null, detail: `${engine.rps.toFixed(0)} vs ${builtin.rps.toFixed(0)} req/s = ${ratio(engine.rps, builtin.rps)}; proxy CPU ${engine.proxyUs.toFixed(1)} vs ${builtin.proxyUs.toFixed(1)} µs/req` });
  const failures = [...figures.values()].reduce((sum, f) => sum + f.failures, 0);
  if (failures > 0) goals.push({ label: 'errors under load through the engines', met: false, detail: `${failures} socket errors or non-2xx responses` });
  const cells = (f: Figures) => `${count(f.rps)} req/s, p99 ${ms(f.p99)} ms, ${f.proxyUs.toFixed(0)} µs CPU/req`;
  const readme: ReadmeRow[] =
    engine && hand
      ? [
          {
            benchmark: `GET through the nginx engine, ${WORKERS} workers, 6-byte answer, wrk -c${LOAD.connections}${builtin ? ` (builtin engine: ${cells(builtin)})` : ''}`,
            anchor: `hand-written nginx.conf, same workers: ${cells(hand)}`,
            switchyard: cells(engine),
            ratio: `${ratio(engine.rps, hand.rps)} (goal ${ENGINE_GOAL}x, ${engine.rps / hand.rps >= ENGINE_GOAL ? 'met' : 'not met'})`,
          },
        ]
      : [];
  return { goals, readme };
}

function reloadGoal(reloads: number | undefined, run: ChurnRun): Goal {
  return { label: `nginx reloads during a rolling reload of ${run.replicas} workers`, met: null, detail: reloads === undefined ? 'not counted' : `${reloads} graceful reload(s) (the engine batches member changes)` };
}

if (isMain(import.meta.url)) await runAlone(benchEngines);
