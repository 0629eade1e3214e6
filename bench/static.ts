// Static file throughput: requests/s and latency of a 1 KiB and a 100 KiB file served by
// static-main.ts and by nginx (sendfile on, one worker), both on loopback, loaded by wrk (or
// autocannon when wrk is absent) with 32 keep-alive connections.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, ms, printTable, ratio, type BenchResult, type Goal } from './stats.ts';

const STATIC_MAIN = fileURLToPath(new URL('../main/core/static/static-main.ts', import.meta.url));
const AUTOCANNON = fileURLToPath(new URL('../node_modules/.bin/autocannon', import.meta.url));
const NGINX = '/usr/sbin/nginx';
const WRK = '/usr/bin/wrk';
const CONNECTIONS = 32;
const SECONDS = 3;
const WARM_UP_SECONDS = 1;
/** Rounds per file and server, alternated so that a burst of load elsewhere on the machine hits both. */
const ROUNDS = 3;
const GOAL = 0.5;
/** Far beyond a healthy start; only there so a broken server fails the run instead of hanging it. */
const START_DEADLINE_MS = 10_000;

const FILES = [
  { label: '1 KiB', name: 'asset-1k.bin', bytes: 1024 },
  { label: '100 KiB', name: 'asset-100k.bin', bytes: 100 * 1024 },
] as const;

/** One load run's figures. */
interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
}

/** A server under test, reachable on a loopback port. */
interface Target {
  name: string;
  port: number;
  stop: () => Promise<void>;
}

/** Runs the comparison, prints its table and returns the ratio to nginx as goals. */
export async function benchStatic(): Promise<BenchResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-static-'));
  const root = path.join(dir, 'site');
  mkdirSync(root);
  for (const file of FILES) writeFileSync(path.join(root, file.name), Buffer.alloc(file.bytes, 'switchyard '));
  const load = existsSync(WRK) ? { name: 'wrk', run: runWrk } : { name: 'autocannon', run: runAutocannon };
  const targets: Target[] = [];
  try {
    targets.push(await startStaticMain(root));
    const nginx = existsSync(NGINX) ? await startNginx(dir, root) : null;
    if (nginx) targets.push(nginx);
    else console.log(`\nStatic: ${NGINX} not found; measuring static-main.ts alone, without the nginx anchor`);

    for (const target of targets) for (const file of FILES) await checkServes(target, file.name, file.bytes);

    const results = new Map<string, LoadResult[]>();
    const key = (target: Target, file: (typeof FILES)[number]) => `${target.name} ${file.label}`;
    for (const file of FILES) {
      for (const target of targets) await load.run(url(target, file.name), WARM_UP_SECONDS);
      for (let round = 0; round < ROUNDS; round++) {
        // The order flips each round, so neither server always runs on a machine the other just heated.
        const ordered = round % 2 === 0 ? targets : [...targets].reverse();
        for (const target of ordered) {
          const list = results.get(key(target, file)) ?? [];
          list.push(await load.run(url(target, file.name), SECONDS));
          results.set(key(target, file), list);
        }
      }
    }

    const figures = (target: Target, file: (typeof FILES)[number]) => {
      const runs = results.get(key(target, file)) ?? [];
      return {
        requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
        p50: median(runs.map((run) => run.p50)),
        p99: median(runs.map((run) => run.p99)),
      };
    };
    const rows: string[][] = [];
    const goals: Goal[] = [];
    for (const file of FILES) {
      const anchor = nginx ? figures(nginx, file) : null;
      for (const target of targets) {
        const figure = figures(target, file);
        const share = anchor ? ratio(figure.requestsPerSecond, anchor.requestsPerSecond) : '-';
        rows.push([file.label, target.name, figure.requestsPerSecond.toFixed(0), ms(figure.p50), ms(figure.p99), target === nginx ? '' : share]);
      }
      const ours = figures(targets[0] as Target, file);
      goals.push(
        anchor
          ? {
              label: `static ${file.label}, static-main ÷ nginx req/s`,
              met: ours.requestsPerSecond / anchor.requestsPerSecond >= GOAL,
              detail: `${ours.requestsPerSecond.toFixed(0)} vs ${anchor.requestsPerSecond.toFixed(0)} req/s = ${ratio(ours.requestsPerSecond, anchor.requestsPerSecond)} (goal ≥ ${GOAL}x)`,
            }
          : { label: `static ${file.label}, static-main req/s`, met: null, detail: `${ours.requestsPerSecond.toFixed(0)} req/s (nginx absent, no anchor)` },
      );
    }
    printTable(
      `Static files: ${load.name}, ${CONNECTIONS} keep-alive connections, ${SECONDS} s per run, median of ${ROUNDS} runs`,
      [{ title: 'file' }, { title: 'server', align: 'left' }, { title: 'req/s' }, { title: 'p50 ms' }, { title: 'p99 ms' }, { title: '÷ nginx' }],
      rows,
      [
        `load generator and servers share ${os.availableParallelism()} cores; nginx: 1 worker, sendfile on, access_log off`,
        'static-main.ts stats the file on every request and serves bodies up to 1 MiB from a version-checked cache',
      ].join('\n'),
    );
    return { name: 'static', goals };
  } finally {
    await Promise.all(targets.map((target) => target.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

function url(target: Target, name: string): string {
  return `http://127.0.0.1:${target.port}/${name}`;
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
  return { name: 'static-main.ts', port, stop: () => stopChild(child) };
}

/** nginx as an unprivileged foreground process; everything it writes lives in `dir`. */
async function startNginx(dir: string, root: string): Promise<Target | null> {
  const port = await freePort();
  const prefix = path.join(dir, 'nginx');
  mkdirSync(prefix);
  const config = path.join(prefix, 'nginx.conf');
  const temp = (name: string) => path.join(prefix, name);
  writeFileSync(
    config,
    `daemon off;
master_process off;
worker_processes 1;
error_log stderr;
pid ${temp('nginx.pid')};
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 5s;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  client_body_temp_path ${temp('client_body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`,
  );
  const child = spawn(NGINX, ['-p', prefix, '-e', 'stderr', '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const deadline = Date.now() + START_DEADLINE_MS;
  while ((await status(port, '/')) === null) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopChild(child);
      console.log(`\nStatic: nginx did not start (${stderr.trim().split('\n').at(-1) ?? 'no message'}); measuring static-main.ts alone`);
      return null;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { name: 'nginx', port, stop: () => stopChild(child) };
}

async function checkServes(target: Target, name: string, bytes: number): Promise<void> {
  const reply = await new Promise<{ status: number; length: number }>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: target.port, path: `/${name}`, agent: false }, (response) => {
        let length = 0;
        response.on('data', (chunk: Buffer) => (length += chunk.length));
        response.once('end', () => resolve({ status: response.statusCode ?? 0, length }));
      })
      .once('error', reject);
  });
  if (reply.status !== 200 || reply.length !== bytes) throw new Error(`${target.name} answered /${name} with ${reply.status} and ${reply.length} bytes, not 200 and ${bytes}`);
}

function runWrk(target: string, seconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(WRK, ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', target], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited with code ${code}: ${output}`));
      try {
        resolve(parseWrk(output));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

/** Reads requests/s and the 50th and 99th latency percentiles (in ms) from wrk's report. */
export function parseWrk(output: string): LoadResult {
  if (/Non-2xx or 3xx responses/.test(output)) throw new Error(`wrk saw error responses:\n${output}`);
  const requests = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const percentile = (p: number) => {
    const match = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(output);
    if (!match) throw new Error(`no ${p}% latency in wrk's report:\n${output}`);
    const scale = match[2] === 'us' ? 0.001 : match[2] === 's' ? 1000 : 1;
    return Number(match[1]) * scale;
  };
  if (!requests) throw new Error(`no Requests/sec in wrk's report:\n${output}`);
  return { requestsPerSecond: Number(requests[1]), p50: percentile(50), p99: percentile(99) };
}

function runAutocannon(target: string, seconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AUTOCANNON, '-c', String(CONNECTIONS), '-d', String(seconds), '--json', target], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (errors += text));
    child.once('error', reject);
    child.once('close', (code) => {
      try {
        if (code !== 0) throw new Error(`autocannon exited with code ${code}: ${errors}`);
        const report = JSON.parse(output) as { requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number };
        if (report.non2xx > 0) throw new Error(`autocannon saw ${report.non2xx} error responses`);
        resolve({ requestsPerSecond: report.requests.average, p50: report.latency.p50, p99: report.latency.p99 });
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function status(port: number, target: string): Promise<number | null> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: target, agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? null);
    });
    request.setTimeout(1000, () => request.destroy());
    request.once('error', () => resolve(null));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // nginx without a master process takes SIGQUIT as "finish and exit", SIGTERM as "exit now"; both work here.
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

if (import.meta.main) {
  const result = await benchStatic();
  for (const goal of result.goals) console.log(`  ${goal.met === null ? 'info  ' : goal.met ? 'MET   ' : 'MISSED'}  ${goal.label}: ${goal.detail}`);
}
