// Log ingestion: a child printing 200k lines as fast as it can, with its output thrown away by the
// kernel, by a plain Node pipe reader, and captured line by line by a Switchyard Stack. Each is timed
// from the call that starts it to the child's exit with its output drained ('close' for the anchors,
// the exit the supervisor records for the Stack). The supervisor's own work after an exit (reaping
// what the worker left behind) is not log ingestion: it is timed separately, as a last row.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Stack } from '../main/core/stack.ts';
import { fixtureApp, fixtureStack, FIXTURES } from '../test/helpers/specs.ts';
import { briefMachineLoad, describeMachineLoad, watchMachineLoad } from './lib/machine-load.ts';
import { Samples, max, min, ms, printTable, ratio, type BenchResult } from './stats.ts';

const LINES = 200_000;
const RUNS = 5;
const GOAL = 1.2;
const SPAM = `${FIXTURES}spam.js`;
/** Bytes spam.js writes in all. */
const PAYLOAD = payloadBytes(LINES);

const DEV_NULL = 'anchor: child → /dev/null';
const PIPE = 'anchor: child → pipe, Node reader discards';
const STACK = 'Switchyard Stack (LineSplitter → LogStore)';
const STACK_EXITED = '  the same, to its exited state (reaping done)';

const childEnv = () => ({ ...process.env, LINES: String(LINES), THEN: 'exit' });

export async function logIngestion(): Promise<BenchResult> {
  const samples = new Samples();
  const variants: [string, () => Promise<number>][] = [
    [DEV_NULL, toDevNull],
    [PIPE, toPipe],
    [
      STACK,
      async () => {
        const { drained, exited } = await toStack();
        if (exitedSamples.length < RUNS + 1) exitedSamples.push(exited);
        return drained;
      },
    ],
  ];
  const exitedSamples: number[] = [];
  const machine = watchMachineLoad();
  // Round 0 is a warm-up; after it the order rotates so no variant always runs right after another.
  for (let round = 0; round <= RUNS; round++) {
    for (let i = 0; i < variants.length; i++) {
      const [label, run] = variants[(round + i) % variants.length] as [string, () => Promise<number>];
      const elapsed = await run();
      if (round > 0) samples.add(label, elapsed);
    }
  }
  for (const exited of exitedSamples.slice(1)) samples.add(STACK_EXITED, exited);

  // The ratio moves with other programs' load (1.23x to 1.47x on the same code): say how busy the machine was.
  const load = machine.stop();
  const anchor = samples.median(DEV_NULL);
  const pipe = samples.median(PIPE);
  const row = (label: string) => {
    const values = samples.get(label);
    const value = samples.median(label);
    const throughput = `${((LINES / value) * 1000 / 1e6).toFixed(2)} M/s`;
    const mbs = `${((PAYLOAD / value) * 1000 / 1e6).toFixed(0)} MB/s`;
    return [label, ms(value), ms(min(values)), ms(max(values)), throughput, mbs, label === DEV_NULL ? '' : ratio(value, anchor), label.startsWith(PIPE) || label === DEV_NULL ? '' : ratio(value, pipe)];
  };
  printTable(
    `Log ingestion: spam.js writing ${LINES.toLocaleString('en-US')} lines (${(PAYLOAD / 1e6).toFixed(1)} MB), spawn to exit (ms, median of ${RUNS})`,
    [{ title: '' }, { title: 'median' }, { title: 'min' }, { title: 'max' }, { title: 'lines' }, { title: 'bytes' }, { title: '÷ /dev/null' }, { title: '÷ pipe' }],
    [row(DEV_NULL), row(PIPE), row(STACK), row(STACK_EXITED)],
    [
      `goal: Switchyard at most ${GOAL}x the /dev/null anchor; every run checks that the LogStore got all ${LINES.toLocaleString('en-US')} lines in order`,
      `machine: ${describeMachineLoad(load)}`,
    ].join('\n'),
  );

  const stack = samples.median(STACK);
  const factor = stack / anchor;
  return {
    name: 'log ingestion',
    goals: [
      {
        label: `log ingestion at most ${GOAL}x /dev/null`,
        met: factor <= GOAL,
        detail: `${ms(stack)} ms vs ${ms(anchor)} ms = ${ratio(stack, anchor)} (${ratio(stack, pipe)} of a bare pipe); ${briefMachineLoad(load)}`,
      },
    ],
    readme: [
      {
        benchmark: `a child writing ${LINES / 1000}k lines (${(PAYLOAD / 1e6).toFixed(0)} MB), spawn → exit`,
        anchor: `stdout to /dev/null: ${ms(anchor)} ms`,
        switchyard: `drained into the log store: ${ms(stack)} ms`,
        ratio: `${ratio(stack, anchor)} (goal ≤ ${GOAL}x; ${briefMachineLoad(load)})`,
      },
    ],
  };
}

async function toDevNull(): Promise<number> {
  const fd = openSync('/dev/null', 'w');
  try {
    const started = performance.now();
    await exited(spawn(process.execPath, [SPAM], { env: childEnv(), stdio: ['ignore', fd, fd] }), 'close');
    return performance.now() - started;
  } finally {
    closeSync(fd);
  }
}

async function toPipe(): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [SPAM], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let received = 0;
  child.stdout.on('data', (chunk: Buffer) => (received += chunk.length));
  child.stderr.resume();
  // 'close' waits for the pipes to be drained too, as the Stack waits for the last line.
  await exited(child, 'close');
  const elapsed = performance.now() - started;
  if (received !== PAYLOAD) throw new Error(`pipe reader got ${received} bytes, expected ${PAYLOAD}`);
  return elapsed;
}

/** Milliseconds from `stack.start()` to the exit the supervisor recorded (output drained), and to the exited state. */
async function toStack(): Promise<{ drained: number; exited: number }> {
  const app = fixtureApp('spam', 'spam.js', { portEnv: null, restart: 'never', env: { LINES: String(LINES), THEN: 'exit' } });
  const stack = new Stack(fixtureStack([app]));
  let settle!: (error: Error | null) => void;
  const done = new Promise<Error | null>((resolve) => (settle = resolve));
  let exitedAt = 0;
  let exitRecordedAt = 0;
  const subscription = stack.onProcessChange((change) => {
    if (change.to === 'exited') {
      exitedAt = performance.now();
      // Wall-clock milliseconds, taken once the pipes were drained and before reaping began.
      exitRecordedAt = change.info.lastExit?.at ?? Number.NaN;
      settle(null);
    } else if (change.to === 'crashed' || change.to === 'failed') settle(new Error(`spam.js ${change.to}: ${change.info.reason ?? ''}`));
  });
  try {
    const startedAt = Date.now();
    const started = performance.now();
    await stack.start();
    const error = await done;
    if (error) throw error;
    checkLines(stack);
    return { drained: exitRecordedAt - startedAt, exited: exitedAt - started };
  } finally {
    subscription.dispose();
    await stack.stop();
  }
}

/** Every stdout line arrived, in order, with nothing in between but the start and exit notes. */
function checkLines(stack: Stack): void {
  const { logs } = stack;
  // 'started pid …' first and 'exited: …' last are Switchyard's own lines.
  const expected = LINES + 2;
  if (logs.lastSeq !== expected) throw new Error(`LogStore lastSeq is ${logs.lastSeq}, expected ${expected} (${LINES} lines + 2 system lines)`);
  const retained = logs.query({ sources: null }).filter((line) => line.stream === 'stdout');
  for (const line of retained) {
    const n = Number(/^line (\d+) /.exec(line.text)?.[1]);
    if (n !== line.seq - 1) throw new Error(`line with seq ${line.seq} reads '${line.text.slice(0, 40)}', expected line ${line.seq - 1}`);
  }
  if (retained.at(-1)?.text.startsWith(`line ${LINES} `) !== true) throw new Error('the last retained stdout line is not the last line written');
}

function exited(child: ChildProcess, event: 'exit' | 'close'): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once(event, (code: number | null, signal: string | null) => {
      if (code === 0) resolve();
      else reject(new Error(`spam.js ended with ${signal ?? `code ${code}`}`));
    });
  });
}

/** Mirrors spam.js: `line N the quick brown fox jumps over the lazy dog\n` for N = 1 … lines. */
function payloadBytes(lines: number): number {
  const fixed = 'line  the quick brown fox jumps over the lazy dog\n'.length;
  let total = 0;
  for (let n = 1; n <= lines; n++) total += fixed + String(n).length;
  return total;
}
