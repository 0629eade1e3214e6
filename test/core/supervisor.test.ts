import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProcessState } from '../../shared/process.ts';
import { LogStore } from '../../main/core/logs/log-store.ts';
import { PortAllocator } from '../../main/core/process/port-allocator.ts';
import { execaSpawner } from '../../main/core/process/spawner.ts';
import { TRANSITIONS, canTransition } from '../../main/core/process/states.ts';
import { Supervisor } from '../../main/core/process/supervisor.ts';
import type { AppSpec } from '../../shared/stack.ts';
import { alive, newMarker, processesWithMarker } from '../helpers/processes.ts';
import { FIXTURE_HEALTH, fixtureProcess } from '../helpers/specs.ts';
import { quietPeriod, waitFor, waitForState } from '../helpers/wait.ts';

const running: Supervisor[] = [];
/** Every `from->to` seen in this file, to prove that the tests walk the whole transition table. */
const observed = new Set<string>();

function supervise(fixture: string, overrides: Partial<AppSpec> = {}, env: Record<string, string> = {}) {
  const logs = new LogStore(1000);
  const supervisor = new Supervisor(fixtureProcess(fixture, overrides, env), { spawner: execaSpawner, logs, ports: new PortAllocator() });
  const states: ProcessState[] = [];
  supervisor.onStateChange(({ from, to }) => {
    if (from === to) return;
    states.push(to);
    observed.add(`${from}->${to}`);
  });
  running.push(supervisor);
  return { supervisor, logs, states };
}

function lines(logs: LogStore, stream?: string): string[] {
  return logs.query({ sources: null }).filter((l) => !stream || l.stream === stream).map((l) => l.text);
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.kill()));
});

describe('transition table', () => {
  it('lets every state be left and refuses what it does not list', () => {
    for (const [from, targets] of Object.entries(TRANSITIONS)) expect(targets.length, from).toBeGreaterThan(0);
    expect(canTransition('stopped', 'ready')).toBe(false);
    expect(canTransition('stopping', 'crashed')).toBe(false);
    expect(canTransition('failed', 'backoff')).toBe(false);
    expect(canTransition('backoff', 'starting')).toBe(true);
  });
});

describe('Supervisor', () => {
  it('starts, becomes ready once the health check passes, and passes its identity in the environment', async () => {
    const { supervisor, logs, states } = supervise('env-dump.js', {}, { DUMP: 'EXTRA' });
    await supervisor.start();
    await waitForState(supervisor, 'env-dump-1', 'ready');
    expect(states).toEqual(['starting', 'ready']);
    const info = supervisor.info();
    expect(info.pid).toBeGreaterThan(0);
    expect(info.health).toBe('passing');
    expect(lines(logs)).toEqual(
      expect.arrayContaining([`ENV PORT=${info.port}`, 'ENV SWITCHYARD_APP=env-dump', 'ENV SWITCHYARD_WORKER=1', 'ENV EXTRA (unset)']),
    );
  });

  it('stays starting while a slow worker boots and is ready only once it answers', async () => {
    const { supervisor } = supervise('slow-start.js', {}, { BOOT_MS: '800' });
    const started = Date.now();
    await supervisor.start();
    // It cannot answer before its 800 ms boot, so it must not be ready before then.
    await quietPeriod(400);
    expect(supervisor.state).toBe('starting');
    await waitForState(supervisor, 'slow-start-1', 'ready');
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
  });

  it('stops gracefully with the configured signal and records a clean exit', async () => {
    const { supervisor, logs, states } = supervise('graceful.js');
    await supervisor.start();
    await waitForState(supervisor, 'graceful-1', 'ready');
    await supervisor.stop();
    expect(states).toEqual(['starting', 'ready', 'stopping', 'stopped']);
    expect(lines(logs, 'stdout')).toEqual(expect.arrayContaining(['draining', 'bye']));
    expect(supervisor.info().lastExit?.code).toBe(0);
    expect(supervisor.info().pid).toBeNull();
  });

  it('kills a worker that ignores SIGTERM once the stop timeout passes', async () => {
    const { supervisor, logs } = supervise('ignore-sigterm.js', { stop: { signal: 'SIGTERM', timeout: 600 } });
    await supervisor.start();
    await waitForState(supervisor, 'ignore-sigterm-1', 'ready');
    const pid = supervisor.info().pid as number;
    const began = Date.now();
    await supervisor.stop();
    // Not before the timeout; and it ends at all, by SIGKILL, instead of waiting for the worker.
    expect(Date.now() - began).toBeGreaterThanOrEqual(550);
    expect(alive(pid)).toBe(false);
    expect(supervisor.info().lastExit?.signal).toBe('SIGKILL');
    expect(lines(logs)).toEqual(expect.arrayContaining(['ignoring SIGTERM', 'did not stop within 600ms; killing its process tree']));
  });

  it.each([
    ['in its process group', '0'],
    ['in a session of its own', '1'],
  ])('leaves no grandchild behind when stopped (grandchild %s)', async (_label, detached) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-gc-'));
    const pidFile = path.join(dir, 'pids');
    appendFileSync(pidFile, '');
    const marker = newMarker();
    const { supervisor } = supervise('grandchild.js', { stop: { signal: 'SIGTERM', timeout: 800 } }, {
      PID_FILE: pidFile,
      GRANDCHILD_DETACHED: detached,
      [marker.key]: marker.value,
    });
    await supervisor.start();
    await waitForState(supervisor, 'grandchild-1', 'ready');
    const grandchild = Number(await waitFor(() => readFileSync(pidFile, 'utf8').trim(), 'grandchild pid'));
    expect(alive(grandchild)).toBe(true);
    // No metrics sampler runs: the supervisor finds the grandchild itself.
    await supervisor.stop();
    await waitFor(() => processesWithMarker(marker).length === 0, 'every marked process to be gone');
    expect(alive(grandchild)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['is stopped', 'stay'],
    ['exits on its own', 'exit'],
  ])('leaves no escaped child behind when its worker %s, with no metrics sampler', async (_label, then) => {
    const marker = newMarker();
    const { supervisor, logs } = supervise('escape.js', { portEnv: null, restart: 'never', stop: { signal: 'SIGTERM', timeout: 800 } }, {
      ESCAPE_THEN: then,
      [marker.key]: marker.value,
    });
    await supervisor.start();
    // Its child left the worker's group and session and ignores SIGTERM; only the supervisor's own search finds it.
    const announced = await waitFor(() => lines(logs, 'stdout').find((line) => line.startsWith('escaped 1: ')), 'the escaped child');
    const escaped = Number(announced.slice('escaped 1: '.length));
    expect(alive(escaped)).toBe(true);
    if (then === 'stay') await supervisor.stop();
    else await waitForState(supervisor, 'escape-1', 'exited');
    await waitFor(() => processesWithMarker(marker).length === 0, 'every marked process to be gone');
    expect(alive(escaped)).toBe(false);
  });

  it('restarts a crashed worker with exponential backoff, then gives up on a crash loop with its stderr', async () => {
    const { supervisor, states } = supervise('crash-now.js', {
      restart: 'on-failure',
      maxRestarts: 3,
      backoff: { initial: 40, max: 1000 },
    });
    const backoffStarts: number[] = [];
    supervisor.onStateChange(({ to }) => {
      if (to === 'backoff') backoffStarts.push(Date.now());
    });
    await supervisor.start();
    await waitForState(supervisor, 'crash-now-1', 'failed', 20_000);
    expect(states.filter((s) => s === 'crashed')).toHaveLength(4);
    expect(states.filter((s) => s === 'backoff')).toHaveLength(3);
    expect(states.at(-1)).toBe('failed');
    const info = supervisor.info();
    expect(info.restarts).toBe(3);
    expect(info.lastExit?.code).toBe(3);
    expect(info.lastStderr).toEqual(['fatal: cannot open config (fixture)']);
    expect(info.reason).toMatch(/crash loop: exited 4 times in a row/);
    // Delays grow 40 → 80 → 160 ms: each gap is at least the previous delay doubled, less spawn jitter.
    const gaps = backoffStarts.slice(1).map((t, i) => t - (backoffStarts[i] as number));
    expect(gaps[0]).toBeGreaterThanOrEqual(40);
    expect(gaps[1]).toBeGreaterThanOrEqual(80);
  });

  it('restarts a worker that crashes after running past min_uptime without counting it as a loop', async () => {
    const { supervisor, states } = supervise('crash-later.js', { minUptime: 300, maxRestarts: 0 }, { CRASH_AFTER_MS: '500' });
    await supervisor.start();
    await waitFor(() => states.filter((s) => s === 'ready').length >= 2, 'a second ready after the crash', { timeout: 20_000 });
    expect(states.slice(0, 5)).toEqual(['starting', 'ready', 'crashed', 'backoff', 'starting']);
    expect(supervisor.info().restarts).toBeGreaterThanOrEqual(1);
    expect(states).not.toContain('failed');
  });

  it('leaves a cleanly exited worker alone under on-failure, and restarts it under always', async () => {
    const onFailure = supervise('exit-zero.js', { portEnv: null, restart: 'on-failure' });
    await onFailure.supervisor.start();
    await waitForState(onFailure.supervisor, 'exit-zero-1', 'exited');
    await quietPeriod(300);
    expect(onFailure.supervisor.state).toBe('exited');
    expect(onFailure.states).toEqual(['starting', 'ready', 'exited']);

    const always = supervise('exit-zero.js', { portEnv: null, restart: 'always', maxRestarts: 1, backoff: { initial: 20, max: 20 } });
    await always.supervisor.start();
    await waitForState(always.supervisor, 'exit-zero-1', 'failed');
    expect(always.states).toEqual(['starting', 'ready', 'exited', 'backoff', 'starting', 'ready', 'exited', 'failed']);
  });

  it('never restarts under restart: never', async () => {
    const { supervisor, states } = supervise('crash-now.js', { restart: 'never' });
    await supervisor.start();
    await waitForState(supervisor, 'crash-now-1', 'crashed');
    await quietPeriod(300);
    expect(states).toEqual(['starting', 'crashed']);
    // Only a person starts it again.
    await supervisor.restart();
    await waitFor(() => states.length === 4, 'the second crash');
    expect(states).toEqual(['starting', 'crashed', 'starting', 'crashed']);
  });

  it('fails at once, with the reason, when the program does not exist', async () => {
    const { supervisor, states } = supervise('exit-zero.js', { argv: ['switchyard-no-such-program-xyz'] });
    await supervisor.start();
    await waitForState(supervisor, 'exit-zero-1', 'failed');
    expect(states).toEqual(['starting', 'crashed', 'failed']);
    expect(supervisor.info().reason).toMatch(/could not start switchyard-no-such-program-xyz: .*ENOENT/);
  });

  it('takes a hung worker out of rotation, then restarts it after restart_after failed checks', async () => {
    const { supervisor, states } = supervise('hang.js', { health: { ...FIXTURE_HEALTH, timeout: 500 } }, { HEALTHY_MS: '600' });
    await supervisor.start();
    await waitForState(supervisor, 'hang-1', 'ready');
    const firstPid = supervisor.info().pid;
    await waitForState(supervisor, 'hang-1', 'unhealthy', 5000);
    expect(supervisor.info().health).toBe('failing');
    await waitFor(() => supervisor.info().pid !== firstPid && supervisor.state === 'ready', 'a restarted, ready worker', { timeout: 10_000 });
    expect(states.slice(0, 6)).toEqual(['starting', 'ready', 'unhealthy', 'stopping', 'stopped', 'starting']);
    expect(supervisor.info().restarts).toBe(1);
    expect(alive(firstPid as number)).toBe(false);
  });

  it('a person restarting a failed worker clears the crash loop', async () => {
    const { supervisor, states } = supervise('crash-now.js', { maxRestarts: 1, backoff: { initial: 20, max: 20 } });
    await supervisor.start();
    await waitForState(supervisor, 'crash-now-1', 'failed');
    expect(states).toEqual(['starting', 'crashed', 'backoff', 'starting', 'crashed', 'failed']);
    await supervisor.restart();
    await waitFor(() => states.length === 12, 'a second crash loop');
    // The count started again: one more backoff before failing, as on the first run.
    expect(states.slice(6)).toEqual(['starting', 'crashed', 'backoff', 'starting', 'crashed', 'failed']);
    // Two restarts after a crash, and the person's own, counted apart (issue 14).
    expect(supervisor.info()).toMatchObject({ restarts: 2, manualRestarts: 1 });
  });

  it('drains all output of a child that writes 100k lines and keeps only the newest', async () => {
    const { supervisor, logs } = supervise('spam.js', { portEnv: null }, { LINES: '100000' });
    await supervisor.start();
    await waitForState(supervisor, 'spam-1', 'exited', 20_000);
    const retained = logs.query({ sources: new Set(['spam-1']) });
    expect(retained).toHaveLength(1000);
    // The newest retained line is Switchyard's own note of the exit; the rest is the child's newest output.
    expect(retained.at(-1)?.stream).toBe('system');
    const kept = retained.filter((l) => l.stream === 'stdout');
    expect(kept).toHaveLength(999);
    expect(kept.at(-1)?.text).toBe('line 100000 the quick brown fox jumps over the lazy dog');
    expect(kept[0]?.text).toMatch(/^line 99\d{3} /);
    expect(logs.lastSeq).toBeGreaterThanOrEqual(100_000);
  });
});

describe('Supervisor: the rest of the transition table', () => {
  /** A `controlled.js` worker whose health the test sets by writing ok, sick, crash or exit. */
  function controlled(overrides: Partial<AppSpec> = {}) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-ctl-'));
    const file = path.join(dir, 'mode');
    writeFileSync(file, 'ok');
    const handle = supervise('controlled.js', { health: { path: '/healthz', interval: 100, startInterval: 20, timeout: 500, healthyAfter: 1, unhealthyAfter: 2, restartAfter: 50 }, ...overrides }, { CONTROL_FILE: file });
    return { ...handle, set: (mode: string) => writeFileSync(file, mode) };
  }

  it('unhealthy returns to ready when checks pass again', async () => {
    const { supervisor, states, set } = controlled();
    await supervisor.start();
    await waitForState(supervisor, 'controlled-1', 'ready');
    set('sick');
    await waitForState(supervisor, 'controlled-1', 'unhealthy');
    set('ok');
    await waitForState(supervisor, 'controlled-1', 'ready');
    expect(states).toEqual(['starting', 'ready', 'unhealthy', 'ready']);
  });

  it('unhealthy can drain and stop, or crash or exit on its own', async () => {
    const drained = controlled();
    await drained.supervisor.start();
    await waitForState(drained.supervisor, 'controlled-1', 'ready');
    drained.set('sick');
    await waitForState(drained.supervisor, 'controlled-1', 'unhealthy');
    await drained.supervisor.stop({ drain: async () => {} });
    expect(drained.states.slice(-3)).toEqual(['draining', 'stopping', 'stopped']);

    for (const [mode, end] of [['crash', 'crashed'], ['exit', 'exited']] as const) {
      const worker = controlled({ restart: 'never' });
      await worker.supervisor.start();
      await waitForState(worker.supervisor, 'controlled-1', 'ready');
      worker.set('sick');
      await waitForState(worker.supervisor, 'controlled-1', 'unhealthy');
      worker.set(mode);
      await waitForState(worker.supervisor, 'controlled-1', end);
      expect(worker.states.slice(-2)).toEqual(['unhealthy', end]);
    }
  });

  it('a worker that ends while draining completes the stop', async () => {
    for (const [mode, end] of [['crash', 'crashed'], ['exit', 'exited']] as const) {
      const worker = controlled();
      await worker.supervisor.start();
      await waitForState(worker.supervisor, 'controlled-1', 'ready');
      // The drain waits until the worker has ended by itself (its next health check makes it exit).
      await worker.supervisor.stop({
        drain: async () => {
          worker.set(mode);
          await waitFor(() => worker.supervisor.info().pid === null, 'the worker to end while draining');
        },
      });
      expect(worker.states.slice(-4)).toEqual(['ready', 'draining', end, 'stopped']);
      expect(worker.supervisor.state).toBe('stopped');
    }
  });

  it('a stop during boot ends it, before or after the spawn', async () => {
    const { supervisor, states } = supervise('slow-start.js', {}, { BOOT_MS: '5000' });
    await supervisor.start();
    expect(supervisor.state).toBe('starting');
    await supervisor.stop();
    expect(states).toEqual(['starting', 'stopping', 'stopped']);
    // Before the spawn: the port is still being found.
    const early = supervise('slow-start.js');
    const starting = early.supervisor.start();
    await early.supervisor.stop();
    await starting;
    expect(early.states).toEqual(['starting', 'stopping', 'stopped']);
    expect(early.supervisor.info().pid).toBeNull();
  });

  it('a worker that exits before it is ever healthy is exited, and a person can start it again', async () => {
    const { supervisor, states, set } = controlled({ restart: 'never' });
    set('exit');
    await supervisor.start();
    await waitForState(supervisor, 'controlled-1', 'exited');
    expect(states).toEqual(['starting', 'exited']);
    set('ok');
    await supervisor.restart();
    await waitForState(supervisor, 'controlled-1', 'ready');
    expect(states.slice(-2)).toEqual(['starting', 'ready']);
  });

  it('a run held by its dependencies waits or is blocked, then starts or stops from either', async () => {
    const held = supervise('http-worker.js');
    held.supervisor.hold('waiting', 'waiting for migrate (completed)');
    held.supervisor.hold('waiting', 'waiting for cache (healthy)');
    expect(held.supervisor.info()).toMatchObject({ state: 'waiting', reason: 'waiting for cache (healthy)', pid: null });
    held.supervisor.hold('blocked', 'blocked: migrate failed (exit 1)');
    held.supervisor.hold('waiting', 'waiting for migrate (completed)');
    await held.supervisor.start();
    await waitForState(held.supervisor, 'http-worker-1', 'ready');
    // A run that has started is no longer held by anything.
    held.supervisor.hold('waiting', 'waiting for migrate (completed)');
    expect(held.states).toEqual(['waiting', 'blocked', 'waiting', 'starting', 'ready']);

    const blocked = supervise('http-worker.js');
    blocked.supervisor.hold('blocked', 'blocked: migrate failed (exit 1)');
    await blocked.supervisor.start();
    expect(blocked.states.slice(0, 2)).toEqual(['blocked', 'starting']);

    for (const state of ['waiting', 'blocked'] as const) {
      const stopped = supervise('http-worker.js');
      stopped.supervisor.hold(state, 'held');
      await stopped.supervisor.stop();
      expect(stopped.states).toEqual([state, 'stopped']);
    }
  });

  it('stop settles every resting state: backoff, crashed, exited and failed', async () => {
    const backingOff = supervise('crash-now.js', { backoff: { initial: 10_000, max: 10_000 } });
    await backingOff.supervisor.start();
    await waitForState(backingOff.supervisor, 'crash-now-1', 'backoff');
    await backingOff.supervisor.stop();
    expect(backingOff.states.slice(-2)).toEqual(['backoff', 'stopped']);

    const crashed = supervise('crash-now.js', { restart: 'never' });
    await crashed.supervisor.start();
    await waitForState(crashed.supervisor, 'crash-now-1', 'crashed');
    await crashed.supervisor.stop();
    expect(crashed.states.slice(-2)).toEqual(['crashed', 'stopped']);

    const exited = supervise('exit-zero.js', { portEnv: null });
    await exited.supervisor.start();
    await waitForState(exited.supervisor, 'exit-zero-1', 'exited');
    await exited.supervisor.stop();
    expect(exited.states.slice(-2)).toEqual(['exited', 'stopped']);

    const failed = supervise('crash-now.js', { maxRestarts: 0 });
    await failed.supervisor.start();
    await waitForState(failed.supervisor, 'crash-now-1', 'failed');
    await failed.supervisor.stop();
    expect(failed.states.slice(-2)).toEqual(['failed', 'stopped']);
  });
});

afterAll(() => {
  // Runs last in this file: every edge of the table has been walked by a real process above.
  const all = Object.entries(TRANSITIONS).flatMap(([from, targets]) => targets.map((to) => `${from}->${to}`));
  const missing = all.filter((edge) => !observed.has(edge));
  expect(missing, `transitions no test exercised: ${missing.join(', ')}`).toEqual([]);
});
