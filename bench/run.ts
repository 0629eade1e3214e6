// `npm run bench`: every benchmark in turn, then which goals were met. A missed goal is a finding,
// not a failure: the exit code is non-zero only when a benchmark could not run at all.

import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { benchAtRest } from './at-rest.ts';
import { coldStart } from './cold-start.ts';
import { benchDashboard } from './dashboard.ts';
import { benchGunicornProxy } from './gunicorn-proxy.ts';
import { logIngestion } from './log-ingestion.ts';
import { memory } from './memory.ts';
import { benchProxy } from './proxy.ts';
import { benchPythonReloads } from './python-reload.ts';
import { benchFailuresUnderChurn } from './reload-under-load.ts';
import { benchStatic } from './static.ts';
import type { BenchResult } from './stats.ts';

const benchmarks: [string, () => Promise<BenchResult>][] = [
  ['cold start', coldStart],
  // The demo left running with no traffic: Switchyard's own CPU and memory beside nginx's.
  ['at rest', benchAtRest],
  ['log ingestion', logIngestion],
  ['memory', memory],
  // The data plane: static files and proxying against nginx (and http-proxy), then failed requests under reloads and kills.
  ['static', benchStatic],
  ['proxy', benchProxy],
  ['failures under churn', benchFailuresUnderChurn],
  // Debian's Python servers: gunicorn behind Switchyard and behind nginx, then reloads of uvicorn and gunicorn pools under load.
  ['gunicorn behind a proxy', benchGunicornProxy],
  ['python reloads under load', benchPythonReloads],
  ['dashboard', benchDashboard],
];

const started = performance.now();
console.log(`Switchyard benchmarks — Node ${process.version}, ${os.availableParallelism()} cores, load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`);

const results: BenchResult[] = [];
const failures: string[] = [];
const times: string[] = [];
for (const [name, run] of benchmarks) {
  const begun = performance.now();
  try {
    results.push(await run());
  } catch (error) {
    // The others still run: one broken benchmark should not hide the figures of the rest.
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.error(`\n${name}: could not run\n${message}`);
    failures.push(name);
  } finally {
    times.push(`${name} ${((performance.now() - begun) / 1000).toFixed(0)} s`);
  }
}

console.log('\nSummary');
for (const result of results) {
  for (const goal of result.goals) {
    const mark = goal.met === null ? 'info  ' : goal.met ? 'MET   ' : 'MISSED';
    console.log(`  ${mark}  ${goal.label}: ${goal.detail}`);
  }
}
for (const name of failures) console.log(`  FAILED  ${name}: the benchmark could not run (see above)`);
const goals = results.flatMap((result) => result.goals).filter((goal) => goal.met !== null);
const seconds = (performance.now() - started) / 1000;
console.log(`  ${goals.filter((goal) => goal.met).length} of ${goals.length} goals met; ${seconds.toFixed(0)} s in all (${times.join(', ')})`);
process.exitCode = failures.length > 0 ? 1 : 0;
