// The dashboard under a log burst: headless Chromium on the Logs view, following, while one worker
// prints 20,000 lines a second for 10 s. The goal is the page's longest main-thread task under
// 50 ms; the page's memory once it holds its 100k lines is for tracking. The anchor is the same
// page over 10 s of an idle stack, in the same run. When the goal is missed, a second burst runs
// under the CPU profiler to say where the time went.
// The core runs in a child process, as under `switchyard up`: Playwright hands this process a copy
// of every WebSocket frame the page gets, and that work must not slow the core's delivery.

import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, CDPSession, Page } from 'playwright-core';
import type { ServerMessage } from '../shared/events.ts';
import type { AppSpec } from '../shared/stack.ts';
import { DASHBOARD_DIR } from '../main/cli/commands/up.ts';
import { ControlHub } from '../main/core/control/control-api.ts';
import { ControlServer } from '../main/core/control/control-server.ts';
import { Stack } from '../main/core/stack.ts';
import { fixtureApp, fixtureStack } from '../test/helpers/specs.ts';
import {
  CHROMIUM_MISSING,
  chromiumProcesses,
  findChromium,
  heapAfterGc,
  launchChromium,
  mainThreadProbe,
  pageMetrics,
  processMemory,
  rendererPid,
  startCpuProfile,
  startTaskTrace,
  type CpuProfileSummary,
  type MainThreadReading,
} from './lib/browser.ts';
import { cpuSeconds, machineCpu } from './lib/cpu.ts';
import { ensureDashboardBuilt } from './lib/dashboard-build.ts';
import { isMain, runAlone } from './lib/standalone.ts';
import { startStack, stopStack } from './lib/stack.ts';
import { bytes, max, ms, printTable, ratio, type BenchResult } from './stats.ts';

const RATE = 20_000;
const SECONDS = 10;
const SETTLE_MS = 2000;
const IDLE_MS = 10_000;
const GOAL_MS = 50;
/** One frame at 60 Hz: a task longer than this makes the page miss a frame. */
const FRAME_MS = 1000 / 60;
/** The page's own cap on log lines (LOG_CAPACITY in renderer/src/state/store.ts). */
const PAGE_LINES = 100_000;
/** The printer's summary line starts with this (bench/lib/printer.ts). */
const DONE_PREFIX = 'printer: done,';
/** An app that prints nothing and idles, so the idle page has a process to show; and the printer, scaled 0 → 1 for a burst. */
const QUIET = 'quiet';
const PRINTER = 'printer';
const PRINTER_FILE = fileURLToPath(new URL('./lib/printer.ts', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const CORE_FLAG = '--core';
/** Another build of the dashboard to measure, e.g. an unminified one so that a profile names functions. */
const dashboardDir = process.env.SWITCHYARD_DASHBOARD_DIR ?? DASHBOARD_DIR;
/** Set to 1 to profile the page even when the goal is met. */
const forceProfile = process.env.DASHBOARD_PROFILE === '1';

/** What the bench asks of the core process. */
type ToCore = { type: 'scale'; replicas: number } | { type: 'count' } | { type: 'stop' };
/** What the core process tells the bench. */
type FromCore =
  | { type: 'listening'; url: string }
  | { type: 'scaled'; pids: number[] }
  | { type: 'printed'; summary: string }
  | { type: 'count'; lines: number }
  | { type: 'failed'; message: string }
  | { type: 'stopped' };

/** One measured stretch of the page's life. */
interface Stretch {
  seconds: number;
  main: MainThreadReading;
  /** Every top-level task of the page's main thread (ms), from a trace; null if the trace found none. */
  tasks: number[] | null;
  /** Share of the wall time the renderer's main thread ran tasks, and ran script. */
  busy: number;
  script: number;
  /** JS heap in use after a forced GC at the end, and DOM nodes then. */
  heap: number;
  nodes: number;
  renderer: { rss: number; pss: number | null } | null;
  /** CPU seconds over the stretch. */
  cpu: { renderer: number | null; chromium: number; core: number | null; printer: number | null; bench: number; machine: number | null; machineTotal: number | null };
  /** Lines and bytes of WebSocket frames the page received in the stretch, and the page's own count at its end. */
  delivered: number;
  deliveredBytes: number;
  shown: string;
}

export async function benchDashboard(): Promise<BenchResult> {
  const executable = findChromium();
  if (executable === null) {
    console.log(`\nDashboard under a log burst: skipped, ${CHROMIUM_MISSING}`);
    return { name: 'dashboard', goals: [{ label: 'dashboard longest task under a log burst', met: null, detail: `skipped: ${CHROMIUM_MISSING}` }] };
  }
  // Another build named by SWITCHYARD_DASHBOARD_DIR is measured as it is; the project's own is kept current.
  if (process.env.SWITCHYARD_DASHBOARD_DIR === undefined) await ensureDashboardBuilt();
  const index = path.join(dashboardDir, 'index.html');
  if (!existsSync(index)) throw new Error(`no dashboard at ${dashboardDir}: SWITCHYARD_DASHBOARD_DIR names a folder without an index.html`);

  const core = await CoreProcess.start();
  let browser: Browser | null = null;
  try {
    const chromium = await launchChromium(executable);
    browser = chromium;
    const page = await (await chromium.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    const probe = await mainThreadProbe(page);
    const delivery = watchDelivery(page);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await openLogs(page, core.url);
    const renderer = await rendererPid(chromium, page);
    const measure = (during: () => Promise<number | null>, hooks?: StretchHooks) => measureStretch({ browser: chromium, page, cdp, probe, delivery, renderer, core: core.pid }, during, hooks);

    const idle = await measure(async () => {
      await sleep(IDLE_MS);
      return null;
    });
    let summary = '';
    let coreLines = 0;
    const burst = await measure(async () => {
      const result = await core.burst();
      summary = result.summary;
      coreLines = result.lines;
      return result.pid;
    });
    const follow = await page.getByTestId('log-follow').getAttribute('aria-pressed');

    const longest = longestTask(burst);
    const missed = longest >= GOAL_MS;
    let profile: CpuProfileSummary & { stretch: Stretch } | null = null;
    if (missed || forceProfile) {
      await core.scale(0);
      const profiler: { stop: (() => Promise<CpuProfileSummary>) | null; summary: CpuProfileSummary | null } = { stop: null, summary: null };
      const stretch = await measure(async () => (await core.burst()).pid, {
        before: async () => void (profiler.stop = await startCpuProfile(cdp)),
        after: async () => void (profiler.summary = (await profiler.stop?.()) ?? null),
      });
      if (profiler.summary) profile = { ...profiler.summary, stretch };
    }

    report({ idle, burst, summary, coreLines, follow, delivery, profile });
    const perLine = (burst.heap - idle.heap) / PAGE_LINES;
    return {
      name: 'dashboard',
      goals: [
        {
          label: `dashboard longest main-thread task under ${GOAL_MS} ms while ${RATE.toLocaleString('en-US')} lines/s stream in`,
          met: !missed,
          detail: `${showLongest(burst)} ms, ${burst.main.tasks.length} tasks of ${GOAL_MS} ms or more in ${burst.seconds.toFixed(0)} s (idle page: ${showLongest(idle)} ms); main thread busy ${pct(burst.busy)} (idle ${pct(idle.busy)})`,
        },
        {
          label: `dashboard memory holding ${PAGE_LINES.toLocaleString('en-US')} lines`,
          met: null,
          detail: `JS heap ${bytes(idle.heap)} idle → ${bytes(burst.heap)} (+${bytes(burst.heap - idle.heap)}, ${perLine.toFixed(0)} B a line); renderer RSS ${bytes(idle.renderer?.rss ?? Number.NaN)} → ${bytes(burst.renderer?.rss ?? Number.NaN)} (no goal set)`,
        },
      ],
      readme: [
        {
          benchmark: `dashboard (headless Chromium, Logs view, following): longest main-thread task while ${RATE / 1000}k lines/s stream in for ${SECONDS} s`,
          anchor: `the same page, idle stack: ${showLongest(idle)} ms`,
          switchyard: `${showLongest(burst)} ms`,
          ratio: `goal < ${GOAL_MS} ms, ${missed ? 'not met' : 'met'}`,
        },
      ],
    };
  } finally {
    await browser?.close().catch(() => {});
    await core.stop();
  }
}

/** Loads the dashboard, waits until it shows the stack, and switches to the Logs view with `2`, as a person would. */
async function openLogs(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByText(`${QUIET}-1`, { exact: true }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('2');
  await page.getByTestId('view-logs').waitFor({ timeout: 5000 });
  // The quiet worker's only line: the page holds and shows what the core had.
  await page.getByText(DONE_PREFIX).first().waitFor({ timeout: 5000 });
  if ((await page.getByTestId('log-follow').getAttribute('aria-pressed')) !== 'true') await page.getByTestId('log-follow').click();
}

/** Log lines the page receives, counted from the WebSocket frames Playwright sees (a line sent again after a reconnect counts once). */
interface Delivery {
  lines: number;
  bytes: number;
  sockets: number;
  skipped: number;
}

function watchDelivery(page: Page): Delivery {
  const delivery: Delivery = { lines: 0, bytes: 0, sockets: 0, skipped: 0 };
  let lastSeq = 0;
  const take = (lines: readonly { seq: number }[]) => {
    for (const line of lines) {
      if (line.seq <= lastSeq) continue;
      lastSeq = line.seq;
      delivery.lines++;
    }
  };
  page.on('websocket', (socket) => {
    delivery.sockets++;
    socket.on('framereceived', ({ payload }) => {
      if (typeof payload !== 'string') return;
      delivery.bytes += Buffer.byteLength(payload);
      const message = JSON.parse(payload) as ServerMessage;
      if (message.type === 'snapshot') {
        take(message.snapshot.logs);
        delivery.skipped += message.snapshot.logsSkipped;
      } else if (message.type === 'events') {
        for (const event of message.events) if (event.topic === 'logs') take(event.data);
      }
    });
  });
  return delivery;
}

interface StretchContext {
  browser: Browser;
  page: Page;
  cdp: CDPSession;
  probe: Awaited<ReturnType<typeof mainThreadProbe>>;
  delivery: Delivery;
  renderer: number | null;
  core: number;
}

/** Work on the page just outside a stretch, so that its tasks do not count, nor the stretch's forced GCs in it (a profiler's start and stop). */
interface StretchHooks {
  before?: () => Promise<void>;
  after?: () => Promise<void>;
}

/** Measures the page while `during` runs; `during` may return the pid of a process it started, to count its CPU. */
async function measureStretch(context: StretchContext, during: () => Promise<number | null>, hooks: StretchHooks = {}): Promise<Stretch> {
  const { browser, page, cdp, probe, delivery, renderer, core } = context;
  await heapAfterGc(cdp);
  const chromiumCpu = async () => (await chromiumProcesses(browser)).reduce((sum, process) => sum + process.cpuSeconds, 0);
  await hooks.before?.();
  const before = {
    metrics: await pageMetrics(cdp),
    renderer: renderer === null ? null : cpuSeconds(renderer),
    chromium: await chromiumCpu(),
    core: cpuSeconds(core),
    machine: machineCpu(),
    bench: process.cpuUsage(),
    delivered: delivery.lines,
    deliveredBytes: delivery.bytes,
  };
  const stopTrace = await startTaskTrace(browser, page);
  await probe.reset();
  const started = performance.now();
  const startedPid = await during();
  const seconds = (performance.now() - started) / 1000;
  const main = await probe.read();
  const trace = await stopTrace();
  const printerCpu = startedPid === null ? null : cpuSeconds(startedPid);
  const after = { metrics: await pageMetrics(cdp), renderer: renderer === null ? null : cpuSeconds(renderer), chromium: await chromiumCpu(), core: cpuSeconds(core), machine: machineCpu() };
  await hooks.after?.();
  const delta = (name: string) => (after.metrics[name] ?? Number.NaN) - (before.metrics[name] ?? Number.NaN);
  const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
  const shown = (await page.getByTestId('log-count').textContent()) ?? '?';
  const heap = await heapAfterGc(cdp);
  return {
    seconds,
    main,
    tasks: trace && trace.pid === renderer ? trace.tasks : null,
    busy: delta('TaskDuration') / seconds,
    script: delta('ScriptDuration') / seconds,
    heap,
    nodes: (await pageMetrics(cdp)).Nodes ?? Number.NaN,
    renderer: renderer === null ? null : processMemory(renderer),
    cpu: {
      renderer: diff(after.renderer, before.renderer),
      chromium: after.chromium - before.chromium,
      core: diff(after.core, before.core),
      printer: printerCpu,
      bench: benchSeconds(process.cpuUsage(before.bench)),
      machine: before.machine && after.machine ? after.machine.busy - before.machine.busy : null,
      machineTotal: before.machine && after.machine ? after.machine.total - before.machine.total : null,
    },
    delivered: delivery.lines - before.delivered,
    deliveredBytes: delivery.bytes - before.deliveredBytes,
    shown,
  };
}

function report(results: {
  idle: Stretch;
  burst: Stretch;
  summary: string;
  coreLines: number;
  follow: string | null;
  delivery: Delivery;
  profile: CpuProfileSummary & { stretch: Stretch } | null;
}): void {
  const { idle, burst, profile } = results;
  const row = (label: string, stretch: Stretch) => [
    label,
    showLongest(stretch),
    String(stretch.main.tasks.length),
    stretch.tasks === null ? '-' : String(stretch.tasks.filter((task) => task > FRAME_MS).length),
    ms(stretch.main.longestGap),
    (stretch.main.frames / stretch.seconds).toFixed(0),
    pct(stretch.busy),
    pct(stretch.script),
    bytes(stretch.heap),
    bytes(stretch.renderer?.rss ?? Number.NaN),
    stretch.shown,
  ];
  const rows = [row('anchor: idle stack, 10 s', idle), row(`burst: ${RATE / 1000}k lines/s for ${SECONDS} s + ${SETTLE_MS / 1000} s`, burst)];
  rows.push([
    'burst ÷ idle',
    ratio(longestTask(burst), longestTask(idle)),
    '',
    '',
    ratio(burst.main.longestGap, idle.main.longestGap),
    ratio(burst.main.frames / burst.seconds, idle.main.frames / idle.seconds),
    ratio(burst.busy, idle.busy),
    ratio(burst.script, idle.script),
    ratio(burst.heap, idle.heap),
    ratio(burst.renderer?.rss ?? Number.NaN, idle.renderer?.rss ?? Number.NaN),
    '',
  ]);
  if (profile) rows.push(row('burst again, under the CPU profiler', profile.stretch));
  printTable(
    `Dashboard (headless Chromium, Logs view, follow ${results.follow === 'true' ? 'on' : `'${results.follow}'`}): the page's main thread and memory`,
    [
      { title: '' },
      { title: 'longest task ms' },
      { title: `tasks ≥ ${GOAL_MS} ms` },
      { title: `tasks > ${FRAME_MS.toFixed(1)} ms` },
      { title: 'longest frame gap ms' },
      { title: 'frames/s' },
      { title: 'main busy' },
      { title: 'script' },
      { title: 'JS heap after GC' },
      { title: 'renderer RSS' },
      { title: 'page says' },
    ],
    rows,
    [
      `goal: longest main-thread task during the burst under ${GOAL_MS} ms; heap and RSS are for tracking`,
      `tasks: every top-level task from a Chromium trace ('toplevel' category); tasks ≥ ${GOAL_MS} ms as the page's Long Tasks API saw them`,
      `${results.summary.replace(DONE_PREFIX, 'printer:')}; the core got ${results.coreLines.toLocaleString('en-US')} of its lines`,
      `the page received ${burst.delivered.toLocaleString('en-US')} lines in the burst, in ${bytes(burst.deliveredBytes)} of WebSocket frames (${results.delivery.sockets} WebSocket${results.delivery.sockets === 1 ? '' : 's'} opened in the run, ${results.delivery.skipped} lines skipped by the core); it keeps ${PAGE_LINES.toLocaleString('en-US')}`,
      `renderer PSS ${bytes(idle.renderer?.pss ?? Number.NaN)} idle → ${bytes(burst.renderer?.pss ?? Number.NaN)}; DOM nodes ${idle.nodes} → ${burst.nodes}`,
      `CPU seconds in the burst: renderer ${cpu(burst.cpu.renderer)}, all of Chromium ${cpu(burst.cpu.chromium)}, core ${cpu(burst.cpu.core)}, printer ${cpu(burst.cpu.printer)}, this driver ${cpu(burst.cpu.bench)}; machine ${machine(burst)}`,
      `dashboard build: ${dashboardDir} (${statSync(path.join(dashboardDir, 'index.html')).mtime.toISOString()})`,
    ].join('\n'),
  );

  if (burst.main.scripts.length > 0) {
    printTable(
      `Where the burst's long animation frames went (${burst.main.longFrames.length} of ${GOAL_MS} ms or more, longest ${ms(max(burst.main.longFrames))} ms), by script`,
      [{ title: 'invoker → function file:char' }, { title: 'ms in all' }, { title: 'of which layout' }, { title: 'times' }, { title: 'longest' }],
      burst.main.scripts.map((script) => [script.key, ms(script.duration), ms(script.layout), String(script.count), ms(script.longest)]),
    );
  }
  if (profile) {
    const top = profile.entries.slice(0, 15);
    printTable(
      `CPU profile of the page's main thread over a second burst (${ms(profile.busy)} ms busy), by self time`,
      [{ title: 'function file:line:column' }, { title: 'self ms' }, { title: 'self %' }, { title: 'total ms' }],
      top.map((entry) => [entry.name, ms(entry.self), pct(entry.self / profile.busy), ms(entry.total)]),
    );
    const inclusive = [...profile.entries].sort((a, b) => b.total - a.total).slice(0, 15);
    printTable(
      'The same profile by total time (self and everything it called)',
      [{ title: 'function file:line:column' }, { title: 'total ms' }, { title: 'total %' }, { title: 'self ms' }],
      inclusive.map((entry) => [entry.name, ms(entry.total), pct(entry.total / profile.busy), ms(entry.self)]),
    );
  }
}

/** The longest task, from the trace, or from the Long Tasks API alone (NaN: none of 50 ms or more) without one. */
function longestTask(stretch: Stretch): number {
  const seen = [...(stretch.tasks ?? []), ...stretch.main.tasks];
  return seen.length === 0 ? Number.NaN : max(seen);
}

function showLongest(stretch: Stretch): string {
  const longest = longestTask(stretch);
  return Number.isNaN(longest) ? `< ${GOAL_MS}` : ms(longest);
}

function pct(value: number): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(0)}%` : '-';
}

function cpu(value: number | null): string {
  return value === null || !Number.isFinite(value) ? '-' : value.toFixed(1);
}

function benchSeconds(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1e6;
}

/** How busy the machine was, and how much of that was other work than this run's (which makes the figures noisy). */
function machine(stretch: Stretch): string {
  const { machine: busy, machineTotal: total, chromium, core, printer, bench } = stretch.cpu;
  if (busy === null || total === null || total === 0) return '-';
  const others = busy - chromium - (core ?? 0) - (printer ?? 0) - bench;
  const warning = others > stretch.seconds * 0.25 ? ' — the machine had other work: figures are noisier than usual' : '';
  return `${busy.toFixed(1)} of ${total.toFixed(1)} CPU seconds busy (${pct(busy / total)}), ${Math.max(0, others).toFixed(1)} of them other processes'${warning}`;
}

/** The Switchyard core in a child process: a Stack, a ControlHub and a ControlServer serving the built dashboard, as `switchyard up` sets them up. */
class CoreProcess {
  private readonly child: ChildProcess;
  private readonly inbox: FromCore[] = [];
  private readonly waiters = new Set<() => void>();
  private stderr = '';
  readonly url: string;
  readonly pid: number;

  private constructor(child: ChildProcess, url: string) {
    this.child = child;
    this.url = url;
    this.pid = child.pid as number;
  }

  static async start(): Promise<CoreProcess> {
    const child = fork(SELF, [CORE_FLAG], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-4000)));
    const listening = await new Promise<FromCore>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the core process did not listen within 15 s: ${stderr.trim()}`)), 15_000);
      child.once('message', (message: FromCore) => {
        clearTimeout(timer);
        resolve(message);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the core process exited (code ${code}): ${stderr.trim()}`));
      });
    }).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    });
    if (listening.type !== 'listening') {
      child.kill('SIGKILL');
      throw new Error(`the core process did not start: ${listening.type === 'failed' ? listening.message : listening.type}`);
    }
    const core = new CoreProcess(child, listening.url);
    core.stderr = stderr;
    child.stderr?.on('data', (text: string) => (core.stderr = (core.stderr + text).slice(-4000)));
    child.on('message', (message: FromCore) => {
      core.inbox.push(message);
      for (const wake of core.waiters) wake();
    });
    child.on('exit', () => {
      for (const wake of core.waiters) wake();
    });
    return core;
  }

  /** Scales the printer to 1 and waits until it has printed everything and the page had time to settle. */
  async burst(): Promise<{ pid: number | null; summary: string; lines: number }> {
    const pids = await this.scale(1);
    const printed = await this.next('printed', SECONDS * 1000 + 30_000);
    await sleep(SETTLE_MS);
    this.send({ type: 'count' });
    const count = await this.next('count', 5000);
    return { pid: pids[0] ?? null, summary: printed.summary, lines: count.lines };
  }

  async scale(replicas: number): Promise<number[]> {
    this.send({ type: 'scale', replicas });
    return (await this.next('scaled', 15_000)).pids;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    // The core stops its stack and exits; a core that hangs is killed with whatever it still runs.
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    if (this.child.connected) this.send({ type: 'stop' });
    else this.child.kill('SIGTERM');
    await exited;
    clearTimeout(timer);
  }

  private send(message: ToCore): void {
    this.child.send(message);
  }

  /** The next message of a type (a `failed` one rejects). */
  private async next<T extends FromCore['type']>(type: T, deadlineMs: number): Promise<Extract<FromCore, { type: T }>> {
    const deadline = performance.now() + deadlineMs;
    for (;;) {
      const at = this.inbox.findIndex((message) => message.type === type || message.type === 'failed');
      if (at >= 0) {
        const [message] = this.inbox.splice(at, 1) as [FromCore];
        if (message.type === 'failed') throw new Error(`core: ${message.message}`);
        return message as Extract<FromCore, { type: T }>;
      }
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`the core process exited waiting for '${type}': ${this.stderr.trim()}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no '${type}' from the core process within ${deadlineMs} ms`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }
}

function printerApp(name: string, seconds: number, replicas: number): AppSpec {
  return fixtureApp(name, '', {
    argv: [process.execPath, PRINTER_FILE],
    portEnv: null,
    restart: 'never',
    replicas,
    env: { RATE: String(RATE), SECONDS: String(seconds) },
  });
}

/** The child side: runs the core until told to stop or until the bench goes away. */
async function runCore(): Promise<void> {
  const send = (message: FromCore, then?: () => void) => process.send?.(message, undefined, {}, () => then?.());
  const stack = new Stack({ ...fixtureStack([printerApp(QUIET, 0, 1), printerApp(PRINTER, SECONDS, 0)]), name: 'dashboard-bench' });
  const hub = new ControlHub(stack, { startedAt: Date.now(), onShutdown: () => {} });
  const token = randomBytes(32).toString('base64url');
  const server = await ControlServer.listen({ api: hub.api, hub, logs: stack.logs, logSources: (name) => stack.logSources(name), token, dashboardDir });
  let lines = 0;
  stack.logs.onLine((line) => {
    if (!line.source.startsWith(`${PRINTER}-`) || line.stream === 'system') return;
    if (line.text.startsWith(DONE_PREFIX)) send({ type: 'printed', summary: line.text });
    else lines++;
  });
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await server.close();
      hub.dispose();
      await stopStack(stack);
    })());
  process.on('message', (message: ToCore) => {
    if (message.type === 'scale') {
      lines = 0;
      hub.api.scale(PRINTER, message.replicas).then(
        () => send({ type: 'scaled', pids: stack.processes().flatMap((info) => (info.app === PRINTER && info.pid !== null ? [info.pid] : [])) }),
        (error: unknown) => send({ type: 'failed', message: String(error) }),
      );
    } else if (message.type === 'count') send({ type: 'count', lines });
    else void stop().then(() => send({ type: 'stopped' }, () => process.exit(0)));
  });
  // The bench went away without a word: leave nothing running.
  process.on('disconnect', () => void stop().finally(() => process.exit(0)));
  try {
    await startStack(stack, 10_000);
  } catch (error) {
    await stop();
    throw error;
  }
  send({ type: 'listening', url: server.dashboardUrl });
}

if (process.argv.includes(CORE_FLAG)) {
  await runCore().catch((error: unknown) => {
    const message: FromCore = { type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    process.send?.(message, undefined, {}, () => process.exit(1));
  });
} else if (isMain(import.meta.url)) await runAlone(benchDashboard);
