// Cold start of the demo stack (4 × `node server.js`): how long from "go" until every worker answers
// its health check, through Switchyard and without it.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import type { AppSpec, StackSpec } from '../shared/stack.ts';
import { loadStack } from '../main/core/config/load.ts';
import { Stack } from '../main/core/stack.ts';
import { alive } from '../test/helpers/processes.ts';
import { freePorts } from './lib/net.ts';
import { Samples, max, min, ms, printTable, ratio, type BenchResult, type ReadmeRow } from './stats.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEMO_FILE = path.join(ROOT, 'examples/demo/switchyard.yaml');
const CLI = path.join(ROOT, 'main/cli/switchyard.js');
const RUNS = 5;
const POLL_MS = 5;
/** Far above any healthy boot on this machine; only there so a broken run fails instead of hanging. */
const DEADLINE_MS = 30_000;

const ALONE = 'anchor: slowest worker, each booted alone';
const AT_ONCE = 'anchor: 4 at once, no Switchyard';
const STACK = 'Switchyard Stack (in-process)';
const LAG = '  of which: worker\'s "listening" line → ready';
const CLI_E2E = 'switchyard up (CLI, spawn to "all 4 ready")';
const CLI_OWN = 'switchyard up, its own "ready in" figure';

export async function coldStart(): Promise<BenchResult> {
  const { spec, issues } = await loadStack(DEMO_FILE, { checkPorts: false });
  if (!spec) throw new Error(`cannot load ${DEMO_FILE}: ${issues.map((issue) => issue.message).join('; ')}`);
  const app = spec.apps[0];
  if (!app || spec.apps.length !== 1) throw new Error('the demo stack is expected to have exactly one app');
  const workers = app.replicas;

  const cliDir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-'));
  const cliFile = path.join(cliDir, 'switchyard.yaml');
  writeFileSync(cliFile, cliStackFile(spec.dir));

  const samples = new Samples();
  let cliSkipped: string | null = null;
  try {
    // Round 0 warms the disk cache and Node's compile cache and is thrown away; every round
    // runs each variant once so that drift in machine load spreads over all of them.
    for (let round = 0; round <= RUNS; round++) {
      const keep = round > 0;
      const alone: number[] = [];
      for (let i = 0; i < workers; i++) alone.push(await bootAlone(app));
      if (keep) samples.add(ALONE, Math.max(...alone));
      const atOnce = await bootAtOnce(app, workers);
      if (keep) samples.add(AT_ONCE, atOnce);
      const viaStack = await bootStack({ ...spec, proxy: null, statics: [] });
      if (keep) {
        samples.add(STACK, viaStack.total);
        for (const lag of viaStack.lags) samples.add(LAG, lag);
      }
      if (cliSkipped === null) {
        try {
          const cli = await bootCli(cliFile, workers);
          if (keep) {
            samples.add(CLI_E2E, cli.endToEnd);
            if (cli.own !== null) samples.add(CLI_OWN, cli.own);
          }
        } catch (error) {
          if (!(error instanceof SkipCli)) throw error;
          cliSkipped = error.message;
        }
      }
    }
  } finally {
    rmSync(cliDir, { recursive: true, force: true });
  }

  const alone = samples.median(ALONE);
  const atOnce = samples.median(AT_ONCE);
  const row = (label: string) => {
    const values = samples.get(label);
    const value = samples.median(label);
    const isAnchor = label === ALONE || label === AT_ONCE || label === LAG;
    return [label, ms(value), ms(min(values)), ms(max(values)), isAnchor ? '' : ratio(value, alone), isAnchor ? '' : ratio(value, atOnce)];
  };
  const rows = [row(ALONE), row(AT_ONCE), row(STACK), row(LAG)];
  if (cliSkipped === null) rows.push(row(CLI_E2E), row(CLI_OWN));
  printTable(
    `Cold start: demo stack, ${workers} × node server.js until every worker answers GET /healthz (ms, median of ${RUNS})`,
    [{ title: '' }, { title: 'median' }, { title: 'min' }, { title: 'max' }, { title: '÷ alone' }, { title: '÷ at once' }],
    rows,
    [
      `anchors poll every ${POLL_MS} ms; Switchyard probes every ${app.health.startInterval} ms while a worker starts (health.start_interval),`,
      `which the "listening → ready" row shows (per worker, all runs; the line travels through the log pipe, so it is an estimate)`,
      `"4 at once" is the fair anchor on ${os.availableParallelism()} cores: the workers compete for CPU either way`,
      cliSkipped ? `CLI rows skipped: ${cliSkipped}` : "Stack and CLI: the demo's workers alone, without its proxy and static site, as the anchor boots them",
    ].join('\n'),
  );

  const stack = samples.median(STACK);
  const goals = [
    { label: 'cold start, Stack ÷ 4 at once', met: null, detail: `${ms(stack)} ms vs ${ms(atOnce)} ms = ${ratio(stack, atOnce)} (no goal set)` },
  ];
  if (cliSkipped === null) {
    const cli = samples.median(CLI_E2E);
    goals.push({ label: 'cold start, CLI ÷ 4 at once', met: null, detail: `${ms(cli)} ms vs ${ms(atOnce)} ms = ${ratio(cli, atOnce)} (no goal set)` });
  }
  const readme: ReadmeRow[] = [
    { benchmark: `demo stack, ${workers} workers, start → all healthy (in-process core)`, anchor: `${workers} workers started at once, polled every ${POLL_MS} ms: ${ms(atOnce)} ms`, switchyard: `${ms(stack)} ms`, ratio: ratio(stack, atOnce) },
  ];
  if (cliSkipped === null) {
    const own = samples.median(CLI_OWN);
    readme.push({ benchmark: 'the same through `switchyard up` (its own figure)', anchor: `${ms(atOnce)} ms`, switchyard: `${ms(own)} ms`, ratio: ratio(own, atOnce) });
  }
  return { name: 'cold start', goals, readme };
}

/** The demo stack file for the CLI: no proxy (so port 8080 need not be free) and absolute paths, as it lives in a temp folder. */
function cliStackFile(demoDir: string): string {
  const doc = parse(readFileSync(DEMO_FILE, 'utf8')) as {
    proxy?: unknown;
    static?: unknown;
    apps: Record<string, { cwd?: string }>;
  };
  // The anchor boots the workers alone, so the stack measured against it runs the workers alone too.
  delete doc.proxy;
  delete doc.static;
  for (const app of Object.values(doc.apps)) app.cwd = path.resolve(demoDir, app.cwd ?? '.');
  return stringify(doc);
}

class SkipCli extends Error {}

/** Spawns one worker the way Switchyard would (same argv, cwd and env), without Switchyard. */
function spawnWorker(app: AppSpec, port: number): ChildProcess {
  const [file, ...args] = app.argv;
  return spawn(file ?? '', args, {
    cwd: app.cwd,
    env: { ...process.env, ...app.env, [app.portEnv ?? 'PORT']: String(port) },
    stdio: 'ignore',
  });
}

async function bootAlone(app: AppSpec): Promise<number> {
  const [port] = await freePorts(1);
  const started = performance.now();
  const child = spawnWorker(app, port as number);
  try {
    await pollHealthy(port as number, child);
    return performance.now() - started;
  } finally {
    await stopChild(child);
  }
}

/** All workers spawned back to back; done when the last one answers. */
async function bootAtOnce(app: AppSpec, count: number): Promise<number> {
  const ports = await freePorts(count);
  const started = performance.now();
  const children = ports.map((port) => spawnWorker(app, port));
  try {
    await Promise.all(ports.map((port, i) => pollHealthy(port, children[i] as ChildProcess)));
    return performance.now() - started;
  } finally {
    await Promise.all(children.map(stopChild));
  }
}

/** Time to all ready, and per worker the lag from its "listening" log line to its ready state. */
async function bootStack(spec: StackSpec): Promise<{ total: number; lags: number[] }> {
  const stack = new Stack(spec);
  let settle!: (error: Error | null) => void;
  const ready = new Promise<Error | null>((resolve) => (settle = resolve));
  let readyAt = 0;
  const listeningAt = new Map<string, number>();
  const lags: number[] = [];
  const lines = stack.logs.onLine((line) => {
    if (line.stream === 'stdout' && line.text.includes('listening on port')) listeningAt.set(line.source, performance.now());
  });
  const changes = stack.onProcessChange((change) => {
    if (change.to === 'crashed' || change.to === 'failed') settle(new Error(`${change.info.name} ${change.to}: ${change.info.reason ?? ''}`));
    if (change.to === 'ready') {
      const listening = listeningAt.get(change.info.name);
      if (listening !== undefined) lags.push(performance.now() - listening);
    }
    const processes = stack.processes();
    if (processes.length > 0 && processes.every((p) => p.state === 'ready')) {
      readyAt = performance.now();
      settle(null);
    }
  });
  const timer = setTimeout(() => settle(new Error(`not every worker was ready after ${DEADLINE_MS} ms`)), DEADLINE_MS);
  const started = performance.now();
  const failure: unknown = await stack.start().then(
    () => ready,
    (error: unknown) => error,
  );
  clearTimeout(timer);
  changes.dispose();
  lines.dispose();
  // Stopped and checked on every path, so no run leaves workers behind for the next one to trip over.
  const pids = stack.processes().flatMap((p) => (p.pid === null ? [] : [p.pid]));
  await stack.stop();
  const survivors = pids.filter(alive);
  if (survivors.length > 0) throw new Error(`Stack.stop() left pids ${survivors.join(', ')} running`);
  if (failure) throw failure;
  return { total: readyAt - started, lags };
}

async function bootCli(file: string, workers: number): Promise<{ endToEnd: number; own: number | null }> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, 'up', '-f', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let output = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const marker = `all ${workers} ready`;
  let readyLine: string | null = null;
  try {
    const readyAt = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${marker}" after ${DEADLINE_MS} ms`)), DEADLINE_MS);
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        output += text;
        if (readyLine !== null) return;
        readyLine = output.split('\n').find((line) => line.includes(marker)) ?? null;
        if (readyLine !== null) {
          clearTimeout(timer);
          resolve(performance.now());
        }
      });
      void exit.then((code) => {
        clearTimeout(timer);
        const why = `${output}${stderr}`.trim().split('\n').slice(-3).join(' / ');
        reject(/port|already running/i.test(why) ? new SkipCli(why) : new Error(`switchyard up exited (code ${code}) before "${marker}": ${why}`));
      });
    });
    const own = /ready in (\d+) ms/.exec(readyLine ?? '');
    const ports = [...(readyLine ?? '').matchAll(/:(\d+)/g)].map((match) => Number(match[1]));
    child.kill('SIGINT');
    const code = await withDeadline(exit, 'switchyard up did not exit after SIGINT');
    if (code !== 0) throw new Error(`switchyard up exited with code ${code} after SIGINT: ${stderr.trim()}`);
    const answering = (await Promise.all(ports.map(async (port) => ((await answers(port)) ? port : null)))).filter((port) => port !== null);
    if (answering.length > 0) throw new Error(`after switchyard up exited, ports ${answering.join(', ')} still answer`);
    return { endToEnd: readyAt - started, own: own ? Number(own[1]) : null };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exit;
    }
  }
}

function getStatus(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false, headers: { connection: 'close' } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? null);
    });
    request.setTimeout(1000, () => request.destroy());
    request.once('error', () => resolve(null));
  });
}

async function pollHealthy(port: number, child: ChildProcess): Promise<void> {
  const deadline = performance.now() + DEADLINE_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`worker on port ${port} exited during boot`);
    if ((await getStatus(port)) === 200) return;
    if (performance.now() > deadline) throw new Error(`worker on port ${port} never answered`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function answers(port: number): Promise<boolean> {
  return (await getStatus(port)) !== null;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function withDeadline<T>(promise: Promise<T>, message: string): Promise<T> {
  let timer!: NodeJS.Timeout;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), DEADLINE_MS)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
