// `switchyard check` on the demo stack against `node -e 0`, the floor any Node CLI starts from:
// spawn to exit, the two alternated run by run so that a burst of load elsewhere hits both. Check
// runs bundled (main/cli/prebuilt.ts) as after `npm install`; the bench bundles it first if an edit
// left the bundle out of date, rather than measure the slower run from source.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { CHECK_INPUTS, isCurrent, PREBUILT_DIR } from '../main/cli/prebuilt.ts';
import { briefMachineLoad, describeMachineLoad, watchMachineLoad } from './lib/machine-load.ts';
import { viteBuild } from './lib/vite-build.ts';
import { Samples, max, min, ms, printTable, ratio, type BenchResult } from './stats.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(ROOT, 'main/cli/switchyard.js');
const DEMO_DIR = path.join(ROOT, 'examples/demo');
const RUNS = 10;
const GOAL_MS = 200;

const NODE = 'anchor: node -e 0';
const CHECK = 'switchyard check (demo)';

export async function benchCliCheck(): Promise<BenchResult> {
  if (!isCurrent(path.join(PREBUILT_DIR, CHECK_INPUTS))) {
    console.log('\nCLI start-up: bundling check first (npm run build:cli), as its sources changed since the last build');
    await viteBuild('main/cli/check.vite.config.ts', 'the check command');
  }
  const samples = new Samples();
  const machine = watchMachineLoad();
  // Round 0 fills the disk cache and Node's compile cache and is thrown away.
  for (let round = 0; round <= RUNS; round++) {
    const node = await timed(['-e', '0']);
    const check = await timed([CLI, 'check']);
    if (round === 0) continue;
    samples.add(NODE, node);
    samples.add(CHECK, check);
  }
  const load = machine.stop();
  const anchor = samples.median(NODE);
  const check = samples.median(CHECK);
  const row = (label: string) => {
    const values = samples.get(label);
    return [label, ms(samples.median(label)), ms(min(values)), ms(max(values)), label === NODE ? '' : ratio(samples.median(label), anchor)];
  };
  printTable(
    `CLI start-up: spawn to exit (ms, median of ${RUNS})`,
    [{ title: '' }, { title: 'median' }, { title: 'min' }, { title: 'max' }, { title: '÷ node -e 0' }],
    [row(NODE), row(CHECK)],
    [`goal: check under ${GOAL_MS} ms`, `machine: ${describeMachineLoad(load)}`].join('\n'),
  );
  return {
    name: 'cli-check',
    goals: [
      {
        label: `switchyard check under ${GOAL_MS} ms`,
        met: check < GOAL_MS,
        detail: `${ms(check)} ms (node -e 0: ${ms(anchor)} ms); ${briefMachineLoad(load)}`,
      },
    ],
    readme: [
      {
        benchmark: '`switchyard check` on the demo, spawn → exit',
        anchor: `node -e 0: ${ms(anchor)} ms`,
        switchyard: `${ms(check)} ms`,
        ratio: `${ratio(check, anchor)} (goal < ${GOAL_MS} ms)`,
      },
    ],
  };
}

/** Milliseconds from spawning `node args` in the demo folder to its exit; a failing run fails the bench. */
function timed(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: DEMO_DIR, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(performance.now() - started);
      else reject(new Error(`node ${args.join(' ')} exited with code ${code}: ${stderr.trim()}`));
    });
  });
}

if (import.meta.main) {
  const result = await benchCliCheck();
  for (const goal of result.goals) console.log(`  ${goal.met ? 'MET   ' : 'MISSED'}  ${goal.label}: ${goal.detail}`);
}
