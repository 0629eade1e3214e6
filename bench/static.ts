// Static file throughput: requests/s and latency of a 1 KiB and a 100 KiB file served by
// static-main.ts and by nginx (sendfile on, one worker), both on loopback, loaded by wrk (or
// autocannon when wrk is absent) with 32 keep-alive connections.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild } from './lib/child.ts';
import { loadTool, runLoad, type LoadOptions } from './lib/load.ts';
import { LOOPBACK } from './lib/net.ts';
import { findNginx, startNginx, staticSite } from './lib/nginx.ts';
import { count, median, ms, printTable, ratio, type BenchResult, type Goal, type ReadmeRow } from './stats.ts';

const STATIC_MAIN = fileURLToPath(new URL('../main/core/static/static-main.ts', import.meta.url));
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
  const measured: LoadOptions = { connections: CONNECTIONS, seconds: SECONDS, warmup: 0 };
  const warmup: LoadOptions = { connections: CONNECTIONS, seconds: WARM_UP_SECONDS, warmup: 0 };
  const targets: Target[] = [];
  try {
    targets.push(await startStaticMain(root));
    const nginx = await startNginxSite(root);
    if (nginx) targets.push(nginx);

    for (const target of targets) for (const file of FILES) await checkServes(target, file.name, file.bytes);

    const results = new Map<string, Figures[]>();
    const key = (target: Target, file: (typeof FILES)[number]) => `${target.name} ${file.label}`;
    for (const file of FILES) {
      for (const target of targets) await measure(url(target, file.name), warmup);
      for (let round = 0; round < ROUNDS; round++) {
        // The order flips each round, so neither server always runs on a machine the other just heated.
        const ordered = round % 2 === 0 ? targets : [...targets].reverse();
        for (const target of ordered) {
          const list = results.get(key(target, file)) ?? [];
          list.push(await measure(url(target, file.name), measured));
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
      `Static files: ${loadTool(measured).tool}, ${CONNECTIONS} keep-alive connections, ${SECONDS} s per run, median of ${ROUNDS} runs`,
      [{ title: 'file' }, { title: 'server', align: 'left' }, { title: 'req/s' }, { title: 'p50 ms' }, { title: 'p99 ms' }, { title: '÷ nginx' }],
      rows,
      [
        `load generator and servers share ${os.availableParallelism()} cores; nginx: 1 worker, sendfile on, access_log off`,
        'static-main.ts stats the file on every request and serves bodies up to 1 MiB from a version-checked cache',
      ].join('\n'),
    );
    const ours = FILES.map((file) => figures(targets[0] as Target, file).requestsPerSecond);
    const nginxRps = nginx ? FILES.map((file) => figures(nginx, file).requestsPerSecond) : null;
    const readme: ReadmeRow = {
      benchmark: `static file, ${FILES.map((file) => file.label).join(' / ')}`,
      anchor: nginxRps ? `nginx: ${nginxRps.map(count).join(' / ')} req/s` : 'nginx not installed',
      switchyard: `${ours.map(count).join(' / ')} req/s`,
      ratio: nginxRps ? `${ours.map((rps, i) => ratio(rps, nginxRps[i] ?? Number.NaN)).join(' / ')} (goal ${GOAL}x)` : '—',
    };
    return { name: 'static', goals, readme: [readme] };
  } finally {
    await Promise.all(targets.map((target) => target.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The three figures of a run; an error response makes the run worthless, so it fails. */
interface Figures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
}

async function measure(target: string, options: LoadOptions): Promise<Figures> {
  const result = await runLoad(target, options);
  if (result.non2xx > 0) throw new Error(`${result.tool} saw ${result.non2xx} error responses from ${target}`);
  return { requestsPerSecond: result.rps, p50: result.p50, p99: result.p99 };
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
  return { name: 'static-main.ts', port, stop: () => stopChild(child) };
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
    return { name: 'nginx', port: server.port, stop: server.stop };
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
