// Memory held by 100k retained log lines. The measuring side runs in a child of its own, started
// with --expose-gc, so the other benchmarks' garbage and caches are not in its heap.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Stack as StackType } from '../main/core/stack.ts';
import { bytes, printTable, type BenchResult } from './stats.ts';

const LINES = 100_000;
const SELF = fileURLToPath(import.meta.url);
const CHILD_FLAG = '--child';

interface Snapshot {
  heapUsed: number;
  rss: number;
  external: number;
}

interface ChildReport {
  before: Snapshot;
  after: Snapshot;
  retained: number;
  textBytes: number;
}

export async function memory(): Promise<BenchResult> {
  const report = await runChild();
  const { before, after, retained, textBytes } = report;
  const heap = after.heapUsed - before.heapUsed;
  const rss = after.rss - before.rss;
  const perLine = heap / retained;
  const text = textBytes / retained;
  printTable(
    `Memory: one worker's ${LINES.toLocaleString('en-US')} lines retained (retainedLines: ${LINES.toLocaleString('en-US')}), fresh process, after forced GC`,
    [{ title: '' }, { title: 'before start' }, { title: 'after exit' }, { title: 'growth' }, { title: 'per retained line' }],
    [
      ['heapUsed', bytes(before.heapUsed), bytes(after.heapUsed), bytes(heap), `${perLine.toFixed(0)} B`],
      ['RSS', bytes(before.rss), bytes(after.rss), bytes(rss), `${(rss / retained).toFixed(0)} B`],
      ['external', bytes(before.external), bytes(after.external), bytes(after.external - before.external), ''],
    ],
    [
      `${retained.toLocaleString('en-US')} lines retained; their text averages ${text.toFixed(1)} characters, so the heap spends ${(perLine / text).toFixed(1)}x the text`,
      'no anchor: the figure is for tracking over time',
    ].join('\n'),
  );
  return {
    name: 'memory',
    goals: [{ label: 'memory per retained line', met: null, detail: `${perLine.toFixed(0)} B of heap per line of ${text.toFixed(0)} characters (no goal set)` }],
    readme: [{ benchmark: `heap per retained log line (${retained / 1000}k lines of ${text.toFixed(0)} chars)`, anchor: '—', switchyard: `${perLine.toFixed(0)} B`, ratio: '—' }],
  };
}

function runChild(): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', SELF, CHILD_FLAG], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`memory child exited with code ${code}: ${stderr.trim()}`));
      try {
        resolve(JSON.parse(stdout) as ChildReport);
      } catch {
        reject(new Error(`memory child printed no report: ${stdout.trim()} ${stderr.trim()}`));
      }
    });
  });
}

function snapshot(): Snapshot {
  // Twice: the first full GC can leave work (weak callbacks, finalizers) that a second one collects.
  const gc = globalThis.gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  const { heapUsed, rss, external } = process.memoryUsage();
  return { heapUsed, rss, external };
}

async function measure(): Promise<ChildReport> {
  // Imported before the first snapshot, so module code is not counted as log lines.
  const { Stack } = await import('../main/core/stack.ts');
  const { fixtureApp, fixtureStack } = await import('../test/helpers/specs.ts');
  const app = fixtureApp('spam', 'spam.js', { portEnv: null, restart: 'never', env: { LINES: String(LINES), THEN: 'exit' } });
  // A warm-up stack first, so the spawn machinery (execa, pidusage …) is loaded and compiled before measuring.
  await runToExit(new Stack(fixtureStack([{ ...app, env: { LINES: '10', THEN: 'exit' } }]), { retainedLines: 10 }));

  const before = snapshot();
  const stack = new Stack(fixtureStack([app]), { retainedLines: LINES });
  await runToExit(stack);
  const after = snapshot();
  const lines = stack.logs.query({ sources: null });
  const textBytes = lines.reduce((sum, line) => sum + line.text.length, 0);
  return { before, after, retained: lines.length, textBytes };
}

async function runToExit(stack: StackType): Promise<void> {
  const exited = new Promise<void>((resolve, reject) =>
    stack.onProcessChange((change) => {
      if (change.to === 'exited') resolve();
      else if (change.to === 'crashed' || change.to === 'failed') reject(new Error(`spam.js ${change.to}: ${change.info.reason ?? ''}`));
    }),
  );
  await stack.start();
  await exited;
  await stack.stop();
}

if (import.meta.main && process.argv.includes(CHILD_FLAG)) {
  process.stdout.write(JSON.stringify(await measure()));
}
