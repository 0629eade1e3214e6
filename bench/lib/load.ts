// HTTP load runs: wrk with --latency when it is installed, autocannon (in a child process, so it
// never shares an event loop with the Stack under test) when it is not. Every run targets loopback
// only and is bounded in time twice: by the tool's own duration and by a kill timer.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import which from 'which';
import { cpuSeconds } from './cpu.ts';

/** Which load generator runs. */
export type LoadTool = 'wrk' | 'autocannon';

/** One load run's shape. */
export interface LoadOptions {
  connections: number;
  /** Measured seconds. */
  seconds: number;
  /** Seconds of load thrown away first (connection setup, JIT, pools filling). */
  warmup: number;
}

/** What one run measured. */
export interface LoadResult {
  tool: LoadTool;
  requests: number;
  /** Requests per second over the measured run. */
  rps: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  /** Socket errors and timeouts. */
  errors: number;
  /** Responses that were neither 2xx nor 3xx. */
  non2xx: number;
  /** CPU seconds the load generator itself used (null off Linux), so a reader can see what it took from the rest. */
  cpu: number | null;
}

/** Beyond the run's own duration, how long a tool may take before it is killed. */
const OVERRUN_MS = 15_000;

const require = createRequire(import.meta.url);

/** The wrk binary, or null where it is not installed (or SWITCHYARD_BENCH_TOOL=autocannon asks for autocannon). */
export function findWrk(): string | null {
  if (process.env.SWITCHYARD_BENCH_TOOL === 'autocannon') return null;
  return which.sync('wrk', { nothrow: true }) ?? (existsSync('/usr/bin/wrk') ? '/usr/bin/wrk' : null);
}

/** The tool `runLoad` uses on this machine, and the line that describes it. */
export function loadTool(options: LoadOptions): { tool: LoadTool; description: string } {
  return findWrk()
    ? { tool: 'wrk', description: `wrk -t1 -c${options.connections} -d${options.seconds}s --latency, after ${options.warmup} s of warm-up` }
    : { tool: 'autocannon', description: `autocannon -c ${options.connections} -d ${options.seconds} (wrk not found; latency in whole ms), after ${options.warmup} s of warm-up` };
}

/** Warms `url` up, then measures it. */
export async function runLoad(url: string, options: LoadOptions): Promise<LoadResult> {
  assertLoopback(url);
  const wrk = findWrk();
  if (options.warmup > 0) {
    const warmup = { ...options, seconds: options.warmup };
    await (wrk ? runWrk(wrk, url, warmup) : runAutocannon(url, warmup));
  }
  return wrk ? runWrk(wrk, url, options) : runAutocannon(url, options);
}

/** Load is only ever sent to this machine. */
function assertLoopback(url: string): void {
  const { hostname } = new URL(url);
  if (hostname !== '127.0.0.1' && hostname !== '[::1]') throw new Error(`refusing to send load to ${hostname}: loopback only`);
}

async function runWrk(binary: string, url: string, options: LoadOptions): Promise<LoadResult> {
  // One thread: on a 2-core machine the generator should take as little CPU from the proxy as it can.
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '2s', '--latency', url];
  const { output, cpu } = await capture(binary, args, options.seconds);
  return { ...parseWrk(output), cpu };
}

/** Reads wrk's `--latency` report. */
export function parseWrk(output: string): Omit<LoadResult, 'cpu'> {
  const number = (pattern: RegExp, what: string): number => {
    const match = pattern.exec(output);
    if (!match) throw new Error(`wrk printed no ${what}:\n${output}`);
    return Number(match[1]);
  };
  const latency = (percent: number): number => {
    const match = new RegExp(`^\\s+${percent}(?:\\.0+)?%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(output);
    if (!match) throw new Error(`wrk printed no ${percent}% latency:\n${output}`);
    return Number(match[1]) * (UNIT_MS[match[2] as string] ?? Number.NaN);
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const errors = socket ? socket.slice(1).reduce((sum, count) => sum + Number(count), 0) : 0;
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  return {
    tool: 'wrk',
    requests: number(/(\d+) requests in/, 'request count'),
    rps: number(/Requests\/sec:\s+([\d.]+)/, 'requests/sec'),
    p50: latency(50),
    p99: latency(99),
    errors,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
  };
}

/** wrk's time units, in milliseconds. */
const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

interface AutocannonReport {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  latency: { p50: number; p99: number };
  requests: { total: number };
}

async function runAutocannon(url: string, options: LoadOptions): Promise<LoadResult> {
  const cli = require.resolve('autocannon/autocannon.js');
  const args = [cli, '--json', '-c', String(options.connections), '-d', String(options.seconds), '-t', '2', url];
  const { output, cpu } = await capture(process.execPath, args, options.seconds);
  let report: AutocannonReport;
  try {
    report = JSON.parse(output.slice(output.indexOf('{'))) as AutocannonReport;
  } catch {
    throw new Error(`autocannon printed no JSON report:\n${output}`);
  }
  return {
    tool: 'autocannon',
    requests: report.requests.total,
    rps: report.requests.total / report.duration,
    p50: report.latency.p50,
    p99: report.latency.p99,
    errors: report.errors + report.timeouts,
    non2xx: report.non2xx,
    cpu,
  };
}

/**
 * Runs a tool to the end and returns its stdout, and its CPU seconds as of its last output (both
 * tools print their report as they finish, so that is all but the exit); killed if it overruns.
 */
function capture(file: string, args: readonly string[], seconds: number): Promise<{ output: string; cpu: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let cpu: number | null = null;
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      if (child.pid !== undefined) cpu = cpuSeconds(child.pid) ?? cpu;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), seconds * 1000 + OVERRUN_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ output: stdout, cpu });
      else reject(new Error(`${path.basename(file)} exited (code ${code}, signal ${signal}): ${stderr.trim() || stdout.trim()}`));
    });
  });
}
