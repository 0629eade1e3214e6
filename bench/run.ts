// `npm run bench`: every benchmark in turn, then which goals were met. A missed goal is a finding,
// not a failure: the exit code is non-zero only when a benchmark could not run at all.
// `npm run bench -- proxy static` runs only those (named as their files in bench/);
// `npm run bench -- --readme` runs them all and rewrites README.md's table from the run.

import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { benchAtRest } from './at-rest.ts';
import { benchCliCheck } from './cli-check.ts';
import { coldStart } from './cold-start.ts';
import { benchDashboard } from './dashboard.ts';
import { benchEngines } from './engines.ts';
import { benchGunicornProxy } from './gunicorn-proxy.ts';
import { describeMachineLoad, watchMachineLoad } from './lib/machine-load.ts';
import { README, renderReadmeTable, writeReadmeTable } from './lib/readme-table.ts';
import { logIngestion } from './log-ingestion.ts';
import { memory } from './memory.ts';
import { benchConnections } from './connections.ts';
import { benchProxy } from './proxy.ts';
import { benchPythonReloads } from './python-reload.ts';
import { benchFailuresUnderChurn } from './reload-under-load.ts';
import { benchStatic } from './static.ts';
import type { BenchResult } from './stats.ts';

/** Each benchmark under the name of its file, which is also how to run it alone: `node bench/<name>.ts`. */
const benchmarks: [string, () => Promise<BenchResult>][] = [
  ['cold-start', coldStart],
  ['cli-check', benchCliCheck],
  // The demo left running with no traffic: Switchyard's own CPU and memory beside nginx's.
  ['at-rest', benchAtRest],
  ['log-ingestion', logIngestion],
  ['memory', memory],
  // The data plane: static files and proxying against nginx (and http-proxy), then failed requests under reloads and kills.
  ['static', benchStatic],
  ['proxy', benchProxy],
  ['connections', benchConnections],
  ['reload-under-load', benchFailuresUnderChurn],
  // The proxy engines: builtin, nginx and a hand-written nginx.conf in front of the same workers, then reloads and kills on both engines.
  ['engines', benchEngines],
  // Debian's Python servers: gunicorn behind Switchyard and behind nginx, then reloads of uvicorn and gunicorn pools under load.
  ['gunicorn-proxy', benchGunicornProxy],
  ['python-reload', benchPythonReloads],
  ['dashboard', benchDashboard],
];

const README_FLAG = '--readme';
const args = process.argv.slice(2);
const writeReadme = args.includes(README_FLAG);
const asked = args.filter((arg) => arg !== README_FLAG);
const known = benchmarks.map(([name]) => name);
const unknown = asked.filter((arg) => !known.includes(arg));
if (unknown.length > 0) {
  console.error(`npm run bench: no benchmark named ${unknown.map((arg) => `'${arg}'`).join(', ')}; the benchmarks are ${known.join(', ')} (and ${README_FLAG} to rewrite README.md's table from a whole run)`);
  process.exit(2);
}
if (writeReadme && asked.length > 0) {
  console.error(`npm run bench: ${README_FLAG} rewrites the whole table from one run, so it runs every benchmark: leave out ${asked.join(', ')}`);
  process.exit(2);
}
const selected = asked.length === 0 ? benchmarks : benchmarks.filter(([name]) => asked.includes(name));

const started = performance.now();
const machine = watchMachineLoad();
console.log(
  `Switchyard benchmarks — Node ${process.version}, ${os.availableParallelism()} CPUs, load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}` +
    (selected.length < benchmarks.length ? ` — only ${selected.map(([name]) => name).join(', ')}` : ''),
);

const results: BenchResult[] = [];
const failures: string[] = [];
const times: string[] = [];
for (const [name, run] of selected) {
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
const load = machine.stop();

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
console.log(`  machine: ${describeMachineLoad(load)}`);

if (writeReadme) {
  if (failures.length > 0) {
    console.log(`\nREADME.md left as it was: ${failures.join(', ')} could not run, and the table comes from one whole run`);
  } else {
    writeReadmeTable(renderReadmeTable(results.flatMap((result) => result.readme ?? []), load));
    console.log(`\nREADME.md: benchmark table rewritten from this run (${README})`);
  }
}
process.exitCode = failures.length > 0 ? 1 : 0;
