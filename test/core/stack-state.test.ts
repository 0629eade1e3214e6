import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessInfo, ProcessState } from '../../shared/process.ts';
import { CrashLoopDetector, summarizeStack, type CrashLoop, type CrashLoopOptions, type StackSummary } from '../../main/core/health/stack-state.ts';
import { Stack } from '../../main/core/stack.ts';
import { fixtureApp, fixtureStack } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';

/** A snapshot of `name` (app from its name) in `state`; a crash carries exit code 3 unless told otherwise. */
function proc(name: string, state: ProcessState, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  const app = name.replace(/-\d+$/, '');
  const crashedLike = state === 'crashed' || state === 'backoff' || state === 'failed';
  return {
    id: `${name}#1`,
    name,
    role: 'member',
    app,
    kind: 'worker',
    worker: Number(/-(\d+)$/.exec(name)?.[1] ?? 1),
    state,
    health: state === 'ready' ? 'passing' : state === 'unhealthy' ? 'failing' : 'unknown',
    pid: null,
    port: null,
    restarts: 0,
    startedAt: null,
    cpu: null,
    memory: null,
    lastExit: crashedLike ? { code: 3, signal: null, at: 0, uptime: 10 } : null,
    lastStderr: [],
    reason: null,
    ...extra,
  };
}

describe('summarizeStack', () => {
  const all = (state: ProcessState) => ['api-1', 'api-2', 'api-3', 'web', 'proxy'].map((name) => proc(name, state));
  const cases: { title: string; processes: ProcessInfo[]; expected: StackSummary }[] = [
    { title: 'no processes', processes: [], expected: { state: 'stopped', ready: 0, total: 0, label: 'stopped · no processes' } },
    { title: 'all stopped', processes: all('stopped'), expected: { state: 'stopped', ready: 0, total: 5, label: 'stopped' } },
    { title: 'all ready', processes: all('ready'), expected: { state: 'running', ready: 5, total: 5, label: 'running · 5 of 5 ready' } },
    {
      title: 'booting',
      processes: [proc('api-1', 'ready'), proc('api-2', 'starting'), proc('web', 'starting')],
      expected: { state: 'starting', ready: 1, total: 3, label: 'starting · 1 of 3 ready' },
    },
    {
      title: 'one unhealthy',
      processes: [proc('api-1', 'ready'), proc('api-2', 'unhealthy'), proc('api-3', 'starting')],
      expected: { state: 'degraded', ready: 1, total: 3, label: 'degraded · api-2 unhealthy' },
    },
    {
      title: 'two unhealthy',
      processes: [proc('api-1', 'unhealthy'), proc('api-2', 'unhealthy'), proc('web', 'ready')],
      expected: { state: 'degraded', ready: 1, total: 3, label: 'degraded · api-1 unhealthy and 1 more' },
    },
    {
      title: 'one stopped by a person while the rest run',
      processes: [proc('api-1', 'ready'), proc('api-2', 'stopped'), proc('web', 'ready')],
      expected: { state: 'degraded', ready: 2, total: 3, label: 'degraded · api-2 stopped' },
    },
    {
      title: 'one backing off after a crash',
      processes: [proc('api-1', 'ready'), proc('api-2', 'unhealthy'), proc('api-3', 'backoff')],
      expected: { state: 'failing', ready: 1, total: 3, label: 'failing · api-3 crashed (restarting)' },
    },
    {
      title: 'backing off after a clean exit under restart: always',
      processes: [proc('api-1', 'ready'), proc('jobs-1', 'backoff', { lastExit: { code: 0, signal: null, at: 0, uptime: 5 } })],
      expected: { state: 'failing', ready: 1, total: 2, label: 'failing · jobs-1 exited (restarting)' },
    },
    {
      title: 'crashed with restart: never',
      processes: [proc('api-1', 'ready'), proc('api-2', 'crashed')],
      expected: { state: 'failing', ready: 1, total: 2, label: 'failing · api-2 crashed' },
    },
    {
      title: 'failed outranks crashed and backoff',
      processes: [proc('api-1', 'backoff'), proc('api-2', 'crashed'), proc('api-3', 'failed'), proc('web', 'ready')],
      expected: { state: 'failing', ready: 1, total: 4, label: 'failing · api-3 failed and 2 more' },
    },
    {
      title: 'a finished one-shot job is no problem',
      processes: [proc('api-1', 'ready'), proc('migrate-1', 'exited')],
      expected: { state: 'running', ready: 1, total: 1, label: 'running · 1 of 1 ready' },
    },
    {
      title: 'a worker leaving during a scale-down',
      processes: [proc('api-1', 'ready'), proc('api-2', 'ready'), proc('api-3', 'draining')],
      expected: { state: 'running', ready: 2, total: 2, label: 'running · 2 of 2 ready, 1 stopping' },
    },
    {
      title: 'the stack stopping',
      processes: [proc('api-1', 'stopping'), proc('api-2', 'stopped'), proc('web', 'stopping')],
      expected: { state: 'stopped', ready: 0, total: 1, label: 'stopping · 2 still running' },
    },
    {
      title: 'every process exited cleanly',
      processes: [proc('jobs-1', 'exited'), proc('jobs-2', 'exited')],
      expected: { state: 'stopped', ready: 0, total: 0, label: 'stopped' },
    },
  ];
  it.each(cases)('$title', ({ processes, expected }) => {
    expect(summarizeStack(processes)).toEqual(expected);
  });
});

/**
 * The stack as the detector sees it: one snapshot per name (what `Stack.processes` gives), and each
 * change with the state its process left (what `Stack.onProcessChange` gives).
 */
class Processes {
  readonly infos = new Map<string, ProcessInfo>();
  readonly detector: CrashLoopDetector;

  constructor(options?: CrashLoopOptions) {
    this.detector = new CrashLoopDetector(() => [...this.infos.values()], options);
  }

  /** `info` becomes the snapshot of its name, left from that name's previous state. */
  observe(info: ProcessInfo, at: number): CrashLoop | null {
    const from = this.infos.get(info.name)?.state ?? 'stopped';
    this.infos.set(info.name, info);
    return this.detector.observe({ from, info }, at);
  }

  remove(name: string, at: number): void {
    this.infos.delete(name);
    this.detector.forget(name, at);
  }
}

/** Feeds a worker through one crash and its restart, as the supervisor reports it. */
function crashOnce(processes: Processes, name: string, at: number, extra: Partial<ProcessInfo> = {}): CrashLoop[] {
  const reports = [
    processes.observe(proc(name, 'crashed', extra), at),
    processes.observe(proc(name, 'backoff', extra), at),
    processes.observe(proc(name, 'starting'), at + 100),
  ];
  return reports.filter((report) => report !== null);
}

describe('CrashLoopDetector', () => {
  it('reports three crashes within a minute once, naming the app, the count and the last exit', () => {
    const processes = new Processes();
    const fired: CrashLoop[] = [];
    processes.detector.onCrashLoop((report) => fired.push(report));
    processes.observe(proc('api-1', 'ready'), 0);
    processes.observe(proc('api-2', 'ready'), 0);
    expect(crashOnce(processes, 'api-1', 1_000)).toEqual([]);
    expect(crashOnce(processes, 'api-2', 2_000)).toEqual([]);
    const reports = crashOnce(processes, 'api-1', 4_500, { lastExit: { code: null, signal: 'SIGSEGV', at: 4_500, uptime: 30 } });
    expect(reports).toEqual([
      {
        app: 'api',
        process: 'api-1',
        crashes: 3,
        windowMs: 3_500,
        gaveUp: false,
        message: 'api keeps crashing: 3 crashes in 3.5s; last: api-1 killed by SIGSEGV',
      },
    ]);
    expect(fired).toEqual(reports);
    // A fourth crash in the same episode is not news.
    expect(crashOnce(processes, 'api-2', 6_000)).toEqual([]);
    expect(fired).toHaveLength(1);
  });

  it('does not report three crashes spread over five minutes', () => {
    const processes = new Processes();
    expect([0, 150_000, 300_000].flatMap((at) => crashOnce(processes, 'api-1', at))).toEqual([]);
  });

  it('reports again once the app had recovered, but not when it was ready only briefly', () => {
    const processes = new Processes();
    const crashes = (from: number) => [0, 1_000, 2_000].flatMap((offset) => crashOnce(processes, 'api-1', from + offset));
    expect(crashes(0)).toHaveLength(1);
    // Ready for a second between crashes: still the same episode.
    processes.observe(proc('api-1', 'ready'), 3_000);
    expect(crashes(4_000)).toEqual([]);
    // Ready for longer than the settle time: the next loop is a new episode.
    processes.observe(proc('api-1', 'ready'), 7_000);
    const again = crashes(20_000);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ app: 'api', crashes: 3, gaveUp: false });
  });

  it('starts a new episode after a quiet period', () => {
    const processes = new Processes({ threshold: 2, windowMs: 10_000 });
    expect([0, 1_000, 2_000].flatMap((at) => crashOnce(processes, 'api-1', at))).toHaveLength(1);
    expect([30_000, 31_000].flatMap((at) => crashOnce(processes, 'api-1', at))).toHaveLength(1);
  });

  it('reports a process that gave up, once, even within a reported loop', () => {
    const processes = new Processes();
    [0, 1_000, 2_000, 3_000].forEach((at) => crashOnce(processes, 'api-1', at));
    processes.observe(proc('api-1', 'crashed'), 4_000);
    const reason = 'crash loop: exited 5 times in a row, each within 5.0s (max_restarts 4); last: exit code 3';
    const gaveUp = processes.observe(proc('api-1', 'failed', { reason }), 4_000);
    expect(gaveUp).toEqual({
      app: 'api',
      process: 'api-1',
      crashes: 5,
      windowMs: 4_000,
      gaveUp: true,
      message: 'api: api-1 failed after 5 crashes and will not be restarted; last: exit code 3',
    });
    // Another worker of the same app giving up in the same episode is not news either.
    processes.observe(proc('api-2', 'crashed'), 4_100);
    expect(processes.observe(proc('api-2', 'failed'), 4_100)).toBeNull();
  });

  it('reports a program that cannot start at all, with the reason', () => {
    const processes = new Processes();
    const reason = 'could not start nodee: spawn nodee ENOENT';
    const noExit = { code: null, signal: null, at: 0, uptime: 0 };
    expect(processes.observe(proc('api-1', 'crashed', { reason, lastExit: noExit }), 0)).toBeNull();
    expect(processes.observe(proc('api-1', 'failed', { reason, lastExit: noExit }), 0)).toMatchObject({
      gaveUp: true,
      crashes: 1,
      message: `api: api-1 failed after 1 crash and will not be restarted; last: ${reason}`,
    });
  });

  it('starts afresh when a person restarts a failed process', () => {
    const processes = new Processes();
    [0, 1_000].forEach((at) => crashOnce(processes, 'api-1', at));
    processes.observe(proc('api-1', 'crashed'), 2_000);
    expect(processes.observe(proc('api-1', 'failed'), 2_000)).toMatchObject({ gaveUp: true });
    processes.observe(proc('api-1', 'starting'), 5_000);
    expect([6_000, 7_000, 8_000].flatMap((at) => crashOnce(processes, 'api-1', at))).toHaveLength(1);
  });

  it('does not count stops, health changes, clean exits, crashes while draining or kills a person asked for', () => {
    const processes = new Processes({ threshold: 2 });
    const seen: (CrashLoop | null)[] = [];
    const feed = (info: ProcessInfo, at: number) => seen.push(processes.observe(info, at));
    for (let i = 0; i < 3; i++) {
      const at = i * 1_000;
      // A stop: stopping → stopped, never crashed.
      feed(proc('api-1', 'ready'), at);
      feed(proc('api-1', 'stopping'), at + 10);
      feed(proc('api-1', 'stopped'), at + 20);
      // A crash while draining for a stop belongs to the stop.
      feed(proc('api-2', 'draining'), at);
      feed(proc('api-2', 'crashed'), at + 10);
      feed(proc('api-2', 'stopped'), at + 10);
      // A clean exit under restart: always.
      feed(proc('jobs-1', 'exited', { lastExit: { code: 0, signal: null, at, uptime: 5 } }), at);
      feed(proc('jobs-1', 'backoff', { lastExit: { code: 0, signal: null, at, uptime: 5 } }), at);
      // Kill from the UI (Stack.killWorker): a SIGKILL crash that was asked for.
      feed(proc('api-3', 'ready'), at);
      processes.detector.expectKill('api-3', at);
      feed(proc('api-3', 'crashed', { lastExit: { code: null, signal: 'SIGKILL', at, uptime: 5 } }), at + 5);
      feed(proc('api-3', 'backoff'), at + 5);
    }
    // The same crashed snapshot again (a repeated event) is one crash, not two.
    feed(proc('web', 'crashed'), 5_000);
    feed(proc('web', 'crashed'), 5_001);
    expect(seen.filter((report) => report !== null)).toEqual([]);
    // An expected kill that never came does not excuse a later real crash.
    processes.detector.expectKill('api-3', 10_000);
    feed(proc('api-3', 'crashed'), 20_000);
    feed(proc('api-3', 'starting'), 20_100);
    feed(proc('api-3', 'crashed'), 20_200);
    expect(seen.at(-1)).toMatchObject({ app: 'api', crashes: 2 });
  });

  it('tells the old and the new worker of a reload apart, though they share a name', () => {
    // Stack.processes shows one process per name: the one that holds it (the new worker once it has taken the old one's place).
    let holder = proc('api-1', 'ready');
    const detector = new CrashLoopDetector(() => [holder], { threshold: 2, settleMs: 1_000 });
    const reports: CrashLoop[] = [];
    detector.onCrashLoop((report) => reports.push(report));
    const change = (from: ProcessState, info: ProcessInfo, at: number, holdsName = true) => {
      if (holdsName) holder = info;
      detector.observe({ from, info }, at);
    };
    const crash = (at: number) => {
      change('ready', proc('api-1', 'crashed'), at);
      change('crashed', proc('api-1', 'backoff'), at);
      change('backoff', proc('api-1', 'starting'), at + 100);
      change('starting', proc('api-1', 'ready'), at + 200);
    };
    crash(0);
    crash(500);
    expect(reports).toHaveLength(1);

    // A reload: the new worker starts beside the old one, which then drains; the two report in turns.
    change('stopped', proc('api-1', 'starting'), 2_000, false);
    change('ready', proc('api-1', 'draining'), 2_100, false);
    change('starting', proc('api-1', 'ready'), 2_150);
    // The old worker dies while draining: its stop's doing, though the name's latest news was "ready".
    change('draining', proc('api-1', 'crashed', { lastExit: { code: 1, signal: null, at: 2_200, uptime: 9 } }), 2_200, false);
    // Its final "stopped" does not hide that the app, now the new worker, is ready.
    change('crashed', proc('api-1', 'stopped'), 2_300, false);
    expect(reports).toHaveLength(1);

    // Ready for longer than the settle time: two crashes of the new worker are a new episode.
    crash(5_000);
    crash(5_500);
    expect(reports).toHaveLength(2);
    expect(reports[1]).toMatchObject({ app: 'api', process: 'api-1', crashes: 2, gaveUp: false });
  });

  it('forgets a removed process, so the rest of its app can settle', () => {
    const processes = new Processes();
    processes.observe(proc('api-2', 'stopped'), 0);
    [0, 1_000, 2_000].forEach((at) => crashOnce(processes, 'api-1', at));
    processes.remove('api-2', 3_000);
    processes.observe(proc('api-1', 'ready'), 3_000);
    expect([20_000, 21_000, 22_000].flatMap((at) => crashOnce(processes, 'api-1', at))).toHaveLength(1);
  });
});

describe('CrashLoopDetector on a real stack', () => {
  let stack: Stack | null = null;

  afterEach(async () => {
    await stack?.kill();
    stack = null;
  });

  it('reports a worker that crashes as soon as it starts exactly once', async () => {
    const app = fixtureApp('boom', 'crash-now.js', { restart: 'always', portEnv: null, backoff: { initial: 20, max: 50 }, maxRestarts: 1_000 });
    stack = new Stack(fixtureStack([app]));
    const running = stack;
    const detector = new CrashLoopDetector(() => running.processes());
    const reports: CrashLoop[] = [];
    let crashes = 0;
    detector.onCrashLoop((report) => reports.push(report));
    stack.onProcessChange((change) => {
      if (change.to === 'crashed') crashes++;
      detector.observe(change);
    });
    await stack.start();

    await waitFor(() => reports.length > 0, 'a crash-loop report', { timeout: 10_000 });
    const seenAtReport = crashes;
    // More crashes of the same loop bring no second report.
    await waitFor(() => crashes >= seenAtReport + 3, 'three more crashes', { timeout: 10_000 });
    await stack.stop();
    expect(stack.processes().map((p) => p.state)).toEqual(['stopped']);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ app: 'boom', process: 'boom-1', crashes: 3, gaveUp: false });
    expect(reports[0]?.message).toMatch(/^boom keeps crashing: 3 crashes in \d+(ms|\.\ds); last: boom-1 exit code 3$/);
    detector.dispose();
  });
});
