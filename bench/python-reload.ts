// Failed requests while Debian's Python servers are reloaded under load: a uvicorn pool (2 workers,
// a bare ASGI app) and a gunicorn pool (2 workers, each `gunicorn -w 2`, Flask), each behind the
// Switchyard proxy with keep-alive clients sending GETs back to back while `stack.reload` replaces
// every worker surge-first. A reload that drains well loses nothing.

import type { AppSpec } from '../shared/stack.ts';
import { Stack } from '../main/core/stack.ts';
import { ChurnClient, measureWindow, sleep, windowRow, type ChurnWindow } from './lib/churn.ts';
import { freePort, LOOPBACK } from './lib/net.ts';
import { appStack, gunicornApp, missingServer, uvicornApp } from './lib/python-apps.ts';
import { startStack, stopStack } from './lib/stack.ts';
import { isMain, runAlone } from './lib/standalone.ts';
import { printTable, type BenchResult, type Goal, type ReadmeRow } from './stats.ts';

const REPLICAS = 2;
const CONNECTIONS = 8;
const WARMUP_MS = 1000;
const STEADY_MS = 2000;
const READY_DEADLINE_MS = 30_000;

/** One pool under test. */
interface Subject {
  label: string;
  server: 'uvicorn' | 'gunicorn';
  app: AppSpec;
}

/** Runs both pools in turn; usable alone (`node bench/python-reload.ts`) or from `bench/run.ts`. */
export async function benchPythonReloads(): Promise<BenchResult> {
  const subjects: Subject[] = [
    { label: `uvicorn × ${REPLICAS}`, server: 'uvicorn', app: uvicornApp('api', REPLICAS) },
    { label: `gunicorn -w 2 × ${REPLICAS}`, server: 'gunicorn', app: gunicornApp('shop', 2, REPLICAS) },
  ];
  const windows: ChurnWindow[] = [];
  const goals: Goal[] = [];
  const notes: string[] = [];
  const measured: { label: string; failed: string }[] = [];
  for (const subject of subjects) {
    const label = `failed requests during a rolling reload of ${subject.label}`;
    const missing = missingServer(subject.server);
    if (missing) {
      goals.push({ label, met: null, detail: `skipped: ${missing}` });
      continue;
    }
    const reload = await reloadUnderLoad(subject, windows, notes);
    const total = reload.counts.ok + reload.counts.failed;
    goals.push({ label, met: reload.counts.failed === 0, detail: `${reload.counts.failed} failed of ${total} requests in ${reload.seconds.toFixed(1)} s (goal: 0)` });
    measured.push({ label: subject.label, failed: `${reload.counts.failed} of ${total.toLocaleString('en-US')}` });
  }
  printTable(
    `Rolling reload under load, Debian's Python servers behind the Switchyard proxy, ${CONNECTIONS} keep-alive clients (undici) on GET /`,
    [{ title: '' }, { title: 's' }, { title: 'requests' }, { title: 'failed' }, { title: 'req/s' }, { title: 'slowest ms' }, { title: 'failures', align: 'left' }],
    windows.map(windowRow),
    [
      'failed = any non-2xx status or client error (reset, timeout after 5 s), counted in the window in which the request finished',
      `the client runs in a child process, back to back with no pacing (closed loop); ${WARMUP_MS / 1000} s of warm-up first`,
      ...notes,
    ].join('\n'),
  );
  const readme: ReadmeRow[] =
    measured.length === 0
      ? []
      : [
          {
            benchmark: `failed requests: rolling reload of ${measured.map((each) => each.label).join(' / ')}, ${CONNECTIONS} clients`,
            anchor: '—',
            switchyard: measured.map((each) => each.failed).join(' / '),
            ratio: 'goal 0',
          },
        ];
  return { name: 'python reloads under load', goals, readme };
}

/** Steady load, then a reload of every worker under the same load; returns the reload's window. */
async function reloadUnderLoad(subject: Subject, windows: ChurnWindow[], notes: string[]): Promise<ChurnWindow> {
  const stack = new Stack(appStack(subject.app, await freePort()));
  let client: ChurnClient | null = null;
  try {
    await startStack(stack, READY_DEADLINE_MS);
    const load = new ChurnClient(`http://${LOOPBACK}:${stack.spec.proxy?.listen.port ?? 0}/`, CONNECTIONS);
    client = load;
    await sleep(WARMUP_MS);
    await measureWindow(load, windows, `${subject.label}: steady load, ${STEADY_MS / 1000} s`, () => sleep(STEADY_MS));
    let replaced: string[] = [];
    await measureWindow(load, windows, `${subject.label}: stack.reload, ${REPLICAS} workers one by one`, async () => {
      replaced = await stack.reload(subject.app.name);
    });
    notes.push(`${subject.label}: the reload replaced ${replaced.join(', ') || 'nothing'}`);
  } finally {
    await client?.stop();
    await stopStack(stack);
  }
  return windows.at(-1) as ChurnWindow;
}

if (isMain(import.meta.url)) await runAlone(benchPythonReloads);
