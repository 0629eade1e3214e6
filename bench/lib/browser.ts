// Headless Chromium for the benchmarks and browser tests: Debian's chromium driven by
// playwright-core (no downloaded browser), a probe of a page's main thread (long tasks, long
// animation frames, frame gaps), its memory and CPU as Chromium reports them, and a CPU profile
// boiled down to the functions that took the time.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import which from 'which';

/** Why a browser run is skipped where there is no Chromium. */
export const CHROMIUM_MISSING = 'chromium not found: apt-get install chromium (or set CHROMIUM to a Chromium binary)';

/** Flags for a quiet, repeatable headless run: no sandbox (containers), no GPU, no background fetches or updates. */
export const CHROMIUM_ARGS: readonly string[] = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update'];

/** The Chromium binary: $CHROMIUM, else `chromium` on the PATH, else Debian's /usr/bin/chromium; null when there is none. */
export function findChromium(): string | null {
  const named = process.env.CHROMIUM;
  if (named) return existsSync(named) ? named : null;
  return which.sync('chromium', { nothrow: true }) ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null);
}

/** Launches headless Chromium; throws CHROMIUM_MISSING when there is none (call findChromium() first to skip instead). */
export async function launchChromium(executablePath: string | null = findChromium()): Promise<Browser> {
  if (executablePath === null) throw new Error(CHROMIUM_MISSING);
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] });
}

/** One of Chromium's processes: `browser`, `renderer`, `GPU`, `utility` …, with the CPU seconds it has used. */
export interface ChromiumProcess {
  type: string;
  pid: number;
  cpuSeconds: number;
}

/** Every process of the browser; renderers come busiest first, so a working page's own renderer leads them. */
export async function chromiumProcesses(browser: Browser): Promise<ChromiumProcess[]> {
  const session = await browser.newBrowserCDPSession();
  try {
    const { processInfo } = (await session.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number; cpuTime: number }[] };
    return processInfo.map((process) => ({ type: process.type, pid: process.id, cpuSeconds: process.cpuTime })).sort((a, b) => b.cpuSeconds - a.cpuSeconds);
  } finally {
    await session.detach();
  }
}

/** A renderer's main thread as a Chromium trace saw it: the process, and the duration of every top-level task (ms). */
export interface TaskTrace {
  pid: number;
  tasks: number[];
}

interface TraceEvent {
  ph: string;
  name: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  args?: { name?: string };
}

/**
 * Starts a trace of the tasks `page`'s renderer runs (the `toplevel` category only, light enough to
 * leave on); the returned function stops it and reads the page's main thread from it. Unlike the
 * Long Tasks API it sees tasks of every length, so a page well under 50 ms still has a figure.
 */
export async function startTaskTrace(browser: Browser, page: Page): Promise<() => Promise<TaskTrace | null>> {
  await browser.startTracing(page, { categories: ['toplevel'] });
  return async () => {
    const trace = JSON.parse((await browser.stopTracing()).toString('utf8')) as TraceEvent[] | { traceEvents: TraceEvent[] };
    return mainThreadTasks(Array.isArray(trace) ? trace : trace.traceEvents);
  };
}

/** The pid of the renderer process that runs `page`, from a trace of one round trip to it. */
export async function rendererPid(browser: Browser, page: Page): Promise<number | null> {
  const stop = await startTaskTrace(browser, page);
  await page.evaluate('0');
  return (await stop())?.pid ?? null;
}

/** The busiest renderer main thread of a trace, and its top-level tasks (a task run inside another, by a nested run loop, is part of it). */
export function mainThreadTasks(events: readonly TraceEvent[]): TaskTrace | null {
  const mains = events.filter((event) => event.ph === 'M' && event.name === 'thread_name' && event.args?.name === 'CrRendererMain');
  let best: (TaskTrace & { busy: number }) | null = null;
  for (const main of mains) {
    const runs = events
      .filter((event) => event.pid === main.pid && event.tid === main.tid && event.ph === 'X' && event.name === 'ThreadControllerImpl::RunTask' && event.dur !== undefined)
      .sort((a, b) => a.ts - b.ts);
    const tasks: number[] = [];
    let end = -Infinity;
    for (const run of runs) {
      if (run.ts < end) continue;
      end = run.ts + (run.dur as number);
      tasks.push((run.dur as number) / 1000);
    }
    const busy = tasks.reduce((sum, task) => sum + task, 0);
    if (!best || busy > best.busy) best = { pid: main.pid, tasks, busy };
  }
  return best && { pid: best.pid, tasks: best.tasks };
}

/** A process's memory in bytes, from /proc; null off Linux or once it is gone. */
export interface ProcessMemory {
  rss: number;
  /** Proportional set size: each shared page split among the processes that map it. */
  pss: number | null;
  /** Pages only this process maps (USS). */
  private: number | null;
  /** Pages it shares with any other process (the Node binary's, libraries). */
  shared: number | null;
}

/** Resident, proportional, private and shared memory of a process in bytes, from /proc; null off Linux or once it is gone. */
export function processMemory(pid: number): ProcessMemory | null {
  let rollup = '';
  try {
    rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    // Gone, or no smaps_rollup (kernels before 4.14): RSS alone below.
  }
  const field = (text: string, name: string): number | null => {
    const kib = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1];
    return kib === undefined ? null : Number(kib) * 1024;
  };
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const rss = field(status, 'VmRSS');
  if (rss === null) return null;
  const sum = (a: number | null, b: number | null) => (a === null || b === null ? null : a + b);
  // PSS splits each shared page among the processes using it: the fairer figure for one of Chromium's processes.
  return {
    rss,
    pss: field(rollup, 'Pss'),
    private: sum(field(rollup, 'Private_Clean'), field(rollup, 'Private_Dirty')),
    shared: sum(field(rollup, 'Shared_Clean'), field(rollup, 'Shared_Dirty')),
  };
}

/**
 * The page side of mainThreadProbe, as source text: it runs in the browser, which the benchmarks'
 * Node typings know nothing of. Long tasks and long animation frames (with the scripts that ran in
 * them) come from PerformanceObservers, buffered so that none before the observer is lost; frame
 * gaps from a requestAnimationFrame loop.
 */
const PROBE_SCRIPT = `(() => {
  const tasks = [];
  const frames = [];
  const observe = (type, take) => {
    try {
      new PerformanceObserver((list) => { for (const entry of list.getEntries()) take(entry); }).observe({ type, buffered: true });
      return true;
    } catch {
      return false;
    }
  };
  const longTasks = observe('longtask', (entry) => tasks.push({ start: entry.startTime, duration: entry.duration }));
  const longFrames = observe('long-animation-frame', (entry) => frames.push({
    start: entry.startTime,
    duration: entry.duration,
    scripts: entry.scripts.map((script) => ({
      invoker: script.invoker,
      source: (script.sourceFunctionName || '(anonymous)') + ' ' + script.sourceURL.replace(/^.*\\//, '') + ':' + script.sourceCharPosition,
      duration: script.duration,
      layout: script.forcedStyleAndLayoutDuration,
    })),
  }));
  let since = performance.now();
  let count = 0;
  let last = 0;
  let longestGap = 0;
  const frame = (time) => {
    if (last > 0 && time >= since) longestGap = Math.max(longestGap, time - last);
    if (time >= since) count++;
    last = time;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  window.__mainThreadProbe = {
    reset() {
      since = performance.now();
      count = 0;
      longestGap = 0;
    },
    read() {
      const elapsed = performance.now() - since;
      const spent = new Map();
      const ownFrames = frames.filter((entry) => entry.start >= since);
      for (const entry of ownFrames) {
        for (const script of entry.scripts) {
          const key = script.invoker + ' → ' + script.source;
          const known = spent.get(key) ?? { key, duration: 0, layout: 0, count: 0, longest: 0 };
          known.duration += script.duration;
          known.layout += script.layout;
          known.count++;
          known.longest = Math.max(known.longest, script.duration);
          spent.set(key, known);
        }
      }
      return {
        supported: { longTasks, longFrames },
        elapsed,
        tasks: tasks.filter((entry) => entry.start >= since).map((entry) => entry.duration),
        longFrames: ownFrames.map((entry) => entry.duration),
        scripts: [...spent.values()].sort((a, b) => b.duration - a.duration).slice(0, 10),
        frames: count,
        longestGap,
      };
    },
  };
})();`;

/** Time spent by one script (by what invoked it and where it lives) inside long animation frames. */
export interface LongFrameScript {
  /** `WebSocket.onmessage → onmessage index-abc.js:1234`, as the browser attributes it. */
  key: string;
  duration: number;
  /** Of which forced style and layout. */
  layout: number;
  count: number;
  longest: number;
}

/** What a page's main thread went through since the last reset. */
export interface MainThreadReading {
  supported: { longTasks: boolean; longFrames: boolean };
  /** Milliseconds since the reset. */
  elapsed: number;
  /** Durations of tasks of 50 ms or more (the browser reports no shorter ones). */
  tasks: number[];
  /** Durations of animation frames of 50 ms or more. */
  longFrames: number[];
  /** The scripts that ran in those frames, most time first. */
  scripts: LongFrameScript[];
  /** Animation frames painted. */
  frames: number;
  /** Longest wait between two animation frames. */
  longestGap: number;
}

/** Watches a page's main thread from its first script on; install before navigating. */
export async function mainThreadProbe(page: Page): Promise<{ reset(): Promise<void>; read(): Promise<MainThreadReading> }> {
  await page.addInitScript({ content: PROBE_SCRIPT });
  return {
    reset: async () => {
      await page.evaluate('window.__mainThreadProbe.reset()');
    },
    read: async () => (await page.evaluate('window.__mainThreadProbe.read()')) as MainThreadReading,
  };
}

/** Figures of Chromium's Performance domain: JSHeapUsedSize, Nodes, TaskDuration (seconds), ScriptDuration … */
export async function pageMetrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  return Object.fromEntries(metrics.map((metric) => [metric.name, metric.value]));
}

/** The page's JS heap in use right after a full garbage collection. */
export async function heapAfterGc(cdp: CDPSession): Promise<number> {
  // Twice: the first collection can leave work (weak callbacks, finalizers) that the second finishes.
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  return (await pageMetrics(cdp)).JSHeapUsedSize ?? Number.NaN;
}

/** One function of a CPU profile: time with it on top of the stack (self) and anywhere on it (total). */
export interface ProfileEntry {
  /** `name file.js:line:column`. */
  name: string;
  self: number;
  total: number;
}

/** A CPU profile boiled down: busy milliseconds (all but idle) and the functions, most self time first. */
export interface CpuProfileSummary {
  busy: number;
  entries: ProfileEntry[];
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

/** Starts a sampling CPU profile of a page (1 ms samples); the returned function stops it and boils it down. */
export async function startCpuProfile(cdp: CDPSession): Promise<() => Promise<CpuProfileSummary>> {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
  await cdp.send('Profiler.start');
  return async () => {
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] } };
    await cdp.send('Profiler.disable');
    return summarizeProfile(profile.nodes, profile.samples, profile.timeDeltas);
  };
}

/** Milliseconds per function, busiest first by self time; `busy` is every sample but idle. */
export function summarizeProfile(nodes: readonly ProfileNode[], samples: readonly number[], deltas: readonly number[]): CpuProfileSummary {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const nameOf = ({ callFrame }: ProfileNode) => {
    const where = callFrame.url ? ` ${path.basename(callFrame.url)}:${callFrame.lineNumber + 1}:${callFrame.columnNumber + 1}` : '';
    return `${callFrame.functionName || '(anonymous)'}${where}`;
  };
  const entries = new Map<string, ProfileEntry>();
  const entry = (name: string) => {
    let known = entries.get(name);
    if (!known) entries.set(name, (known = { name, self: 0, total: 0 }));
    return known;
  };
  let busy = 0;
  samples.forEach((id, i) => {
    // A sample's delta is the time since the previous one; it is charged to this sample's stack.
    const ms = (deltas[i] ?? 0) / 1000;
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') return;
    busy += ms;
    entry(nameOf(node)).self += ms;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = nameOf(byId.get(at) as ProfileNode);
      // Recursion puts a function on the stack more than once; its total counts the sample once.
      if (seen.has(name)) continue;
      seen.add(name);
      entry(name).total += ms;
    }
  });
  entries.delete('(root)');
  return { busy, entries: [...entries.values()].sort((a, b) => b.self - a.self) };
}
