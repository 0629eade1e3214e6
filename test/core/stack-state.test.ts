import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessInfo, ProcessState } from '../../shared/process.ts';
import { CrashLoopDetector, summarizeStack, type CrashLoop, type StackSummary } from '../../main/core/health/stack-state.ts';
import { CALM, type CrashEpisode } from '../../main/core/process/restart-policy.ts';
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
    manualRestarts: 0,
    startedAt: null,
    cpu: null,
    memory: null,
    lastExit: crashedLike ? { code: 3, signal: null, at: 0, uptime: 10 } : null,
    lastStderr: [],
    children: [],
    warnings: [],
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
      title: 'waiting for a task to complete',
      processes: [proc('web', 'ready'), proc('migrate', 'starting', { kind: 'task' }), proc('api-1', 'waiting', { reason: 'waiting for migrate (completed)' })],
      expected: { state: 'starting', ready: 1, total: 3, label: 'starting · 1 of 3 ready' },
    },
    {
      title: 'blocked by a failed task',
      processes: [proc('web', 'ready'), proc('migrate', 'crashed', { kind: 'task' }), proc('api-1', 'blocked', { reason: 'blocked: migrate failed (exit 3)' })],
      expected: { state: 'failing', ready: 1, total: 3, label: 'failing · migrate crashed and 1 more' },
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

/** A run of a worker, fed to the detector as its supervisor reports it: each change with the run's crash-loop episode. */
class Run {
  private episode: CrashEpisode = CALM;
  private readonly detector: CrashLoopDetector;
  readonly name: string;
  readonly id: string;

  constructor(detector: CrashLoopDetector, name: string, id = `${name}#1`) {
    this.detector = detector;
    this.name = name;
    this.id = id;
  }

  /** A change to `state`; `extra` sets the snapshot's fields. */
  change(state: ProcessState, extra: Partial<ProcessInfo> = {}): CrashLoop | null {
    return this.detector.observe({ info: proc(this.name, state, { id: this.id, ...extra }), episode: this.episode });
  }

  /**
   * An exit at `at` and what the supervisor does next. A quick one adds to the episode (its first
   * sets `since`); one after running past min_uptime ends it.
   */
  exit(at: number, { quick = true, then = 'backoff', exit = { code: 3, signal: null } }: { quick?: boolean; then?: 'backoff' | 'failed' | 'nothing'; exit?: { code: number | null; signal: string | null } } = {}): CrashLoop[] {
    this.episode = quick ? { exits: this.episode.exits + 1, since: this.episode.since ?? at } : CALM;
    const lastExit = { ...exit, at, uptime: quick ? 10 : 60_000 };
    const reports = [this.change(exit.code === 0 ? 'exited' : 'crashed', { lastExit })];
    if (then !== 'nothing') reports.push(this.change(then, { lastExit }), then === 'backoff' ? this.change('starting') : null);
    return reports.filter((report) => report !== null);
  }

  /** A person's restart: the episode is over. */
  restart(): CrashLoop | null {
    this.episode = CALM;
    return this.change('starting');
  }
}

/** Quick crashes of `run` at each of `times`, each restarted; the reports they brought. */
function crashes(run: Run, times: number[]): CrashLoop[] {
  return times.flatMap((at) => run.exit(at));
}

describe('CrashLoopDetector', () => {
  it('reports three quick crashes in a row once, naming the app, the count and the last exit', () => {
    const detector = new CrashLoopDetector();
    const fired: CrashLoop[] = [];
    detector.onCrashLoop((report) => fired.push(report));
    const api1 = new Run(detector, 'api-1');
    api1.change('ready');
    expect(crashes(api1, [1_000, 2_000])).toEqual([]);
    const reports = api1.exit(4_500, { exit: { code: null, signal: 'SIGSEGV' } });
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
    // A fourth crash in the same episode is not news, nor another worker of the app looping meanwhile.
    expect(crashes(api1, [6_000])).toEqual([]);
    expect(crashes(new Run(detector, 'api-2'), [6_100, 6_200, 6_300])).toEqual([]);
    expect(fired).toHaveLength(1);
  });

  it('does not report crashes that are not quick exits in a row, however close together', () => {
    const detector = new CrashLoopDetector();
    const api1 = new Run(detector, 'api-1');
    // Each ran past min_uptime: the supervisor's episode ends with each.
    expect([0, 1_000, 2_000, 3_000].flatMap((at) => api1.exit(at, { quick: false }))).toEqual([]);
    // Two workers of an app with two quick crashes each are two runs short of a loop, not one in a loop.
    const api2 = new Run(detector, 'api-2');
    const api3 = new Run(detector, 'api-3');
    expect([...crashes(api2, [0, 1]), ...crashes(api3, [2, 3])]).toEqual([]);
  });

  it('reports again in a new episode, not while the episode goes on', () => {
    const detector = new CrashLoopDetector();
    const api1 = new Run(detector, 'api-1');
    expect(crashes(api1, [0, 1_000, 2_000])).toHaveLength(1);
    // Ready for a moment between quick crashes: still the same episode.
    api1.change('ready');
    expect(crashes(api1, [4_000, 5_000])).toEqual([]);
    // It ran past min_uptime before it crashed: the next loop is a new episode.
    expect(api1.exit(60_000, { quick: false })).toEqual([]);
    const again = crashes(api1, [70_000, 71_000, 72_000]);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ app: 'api', crashes: 3, windowMs: 2_000, gaveUp: false });
  });

  it('reports a process that gave up, once, even within a reported loop', () => {
    const detector = new CrashLoopDetector();
    const api1 = new Run(detector, 'api-1');
    crashes(api1, [0, 1_000, 2_000, 3_000]);
    const reason = 'crash loop: exited 5 times in a row, each within 5.0s (max_restarts 4); last: exit code 3';
    expect(api1.exit(4_000, { then: 'nothing' })).toEqual([]);
    const gaveUp = api1.change('failed', { reason, lastExit: { code: 3, signal: null, at: 4_000, uptime: 10 } });
    expect(gaveUp).toEqual({
      app: 'api',
      process: 'api-1',
      crashes: 5,
      windowMs: 4_000,
      gaveUp: true,
      message: 'api: api-1 failed after 5 crashes and will not be restarted; last: exit code 3',
    });
    // Another worker of the same app giving up meanwhile is not news either.
    expect(new Run(detector, 'api-2').exit(4_100, { then: 'failed' })).toEqual([]);
  });

  it('reports a program that cannot start at all, with the reason', () => {
    const web = new Run(new CrashLoopDetector(), 'web');
    const reason = 'could not start nodee: spawn nodee ENOENT';
    expect(web.exit(0, { then: 'nothing', exit: { code: null, signal: null } })).toEqual([]);
    expect(web.change('failed', { reason, lastExit: { code: null, signal: null, at: 0, uptime: 0 } })).toEqual({
      app: 'web',
      process: 'web',
      crashes: 1,
      windowMs: 0,
      gaveUp: true,
      message: `web: web failed after 1 crash and will not be restarted; last: ${reason}`,
    });
  });

  it('starts afresh when a person restarts a failed process', () => {
    const detector = new CrashLoopDetector();
    const api1 = new Run(detector, 'api-1');
    crashes(api1, [0, 1_000]);
    expect(api1.exit(2_000, { then: 'failed' })).toContainEqual(expect.objectContaining({ gaveUp: true }));
    expect(api1.restart()).toBeNull();
    expect(crashes(api1, [6_000, 7_000, 8_000])).toHaveLength(1);
  });

  it('counts nothing itself: stops, health changes and exits the supervisor did not count bring no report', () => {
    const detector = new CrashLoopDetector();
    const api1 = new Run(detector, 'api-1');
    const seen: (CrashLoop | null)[] = [];
    for (let i = 0; i < 5; i++) {
      // A stop, a flip of health, a crash while draining for a stop: the episode does not grow.
      seen.push(api1.change('ready'), api1.change('ready', { health: 'failing' }), api1.change('stopping'), api1.change('stopped'));
      seen.push(api1.change('draining'), api1.change('crashed'), api1.change('stopped'));
    }
    // The same crashed snapshot again (a repeated event) is one crash, not two.
    const web = new Run(detector, 'web');
    seen.push(...crashes(web, [0, 1]), web.change('crashed'), web.change('crashed'));
    expect(seen.filter((report) => report !== null)).toEqual([]);
  });

  it('tells the old and the new run of a reload apart, though they share a name', () => {
    const detector = new CrashLoopDetector();
    const old = new Run(detector, 'api-1', 'api#1');
    expect(crashes(old, [0, 500, 1_000])).toHaveLength(1);
    old.change('ready');
    // A reload: the new run starts beside the old one, which drains and dies while draining (its stop's doing).
    const next = new Run(detector, 'api-1', 'api#2');
    next.change('starting', { role: 'surge' });
    old.change('draining', { role: 'leaving' });
    next.change('ready');
    expect(old.change('crashed', { role: 'leaving' })).toBeNull();
    expect(old.change('stopped', { role: 'leaving' })).toBeNull();
    // The new run's own loop is news: the old run's loop ended with its stop.
    const reports = crashes(next, [5_000, 5_500, 6_000]);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ app: 'api', process: 'api-1', crashes: 3, gaveUp: false });
  });

  it('forgets a stopped run, so another run of its app is news again', () => {
    const detector = new CrashLoopDetector();
    const api2 = new Run(detector, 'api-2');
    expect(crashes(api2, [0, 1_000, 2_000])).toHaveLength(1);
    // Scaled away while it looped.
    api2.change('stopping');
    api2.change('stopped');
    expect(crashes(new Run(detector, 'api-1'), [20_000, 21_000, 22_000])).toHaveLength(1);
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
    const detector = new CrashLoopDetector();
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
