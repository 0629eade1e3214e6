import { describe, expect, it } from 'vitest';
import { CALM, decideAfterExit, isCrashLoop, type CrashEpisode, type RestartPolicy, type RunExit } from '../../main/core/process/restart-policy.ts';

const policy: RestartPolicy = { restart: 'on-failure', backoff: { initial: 100, max: 1_000 }, maxRestarts: 3, minUptime: 5_000 };
const crash = (at: number, extra: Partial<RunExit> = {}): RunExit => ({ code: 3, signal: null, at, cannotStart: null, askedFor: false, ...extra });
const clean = (at: number): RunExit => crash(at, { code: 0 });

/** Feeds quick crashes (each 10 ms after its start) at the given times, returning each decision. */
function crashes(times: number[], rules = policy, from: CrashEpisode = CALM) {
  let episode = from;
  return times.map((at) => {
    const decided = decideAfterExit(rules, crash(at), 10, episode);
    episode = decided.episode;
    return decided;
  });
}

describe('decideAfterExit', () => {
  it('backs off twice as long after each quick crash in a row, up to the maximum, then gives up past max_restarts', () => {
    const decided = crashes([1_000, 2_000, 3_000, 4_000]);
    expect(decided.map((each) => each.next)).toEqual([
      { action: 'backoff', delay: 100 },
      { action: 'backoff', delay: 200 },
      { action: 'backoff', delay: 400 },
      { action: 'fail', reason: 'crash loop: exited 4 times in a row, each within 5.0s (max_restarts 3); last: exit code 3' },
    ]);
    expect(decided.map((each) => each.episode)).toEqual([1, 2, 3, 4].map((exits) => ({ exits, since: 1_000 })));
    const capped = crashes([0, 1, 2, 3, 4, 5], { ...policy, maxRestarts: 10 });
    expect(capped.map((each) => each.next)).toContainEqual({ action: 'backoff', delay: 1_000 });
    expect(capped.at(-1)?.next).toEqual({ action: 'backoff', delay: 1_000 });
  });

  it('ends the episode when a run outlived min_uptime', () => {
    const [, second] = crashes([1_000, 2_000]);
    const after = decideAfterExit(policy, crash(60_000), 5_000, second?.episode ?? CALM);
    expect(after).toEqual({ next: { action: 'backoff', delay: 100 }, episode: CALM });
  });

  it('leaves a clean exit alone under on-failure and restarts it under always, where it counts like a crash', () => {
    expect(decideAfterExit(policy, clean(0), 10, CALM)).toEqual({ next: { action: 'rest' }, episode: CALM });
    const always = decideAfterExit({ ...policy, restart: 'always' }, clean(0), 10, CALM);
    expect(always).toEqual({ next: { action: 'backoff', delay: 100 }, episode: { exits: 1, since: 0 } });
  });

  it('restarts nothing under never, and keeps the episode as it was', () => {
    const episode = { exits: 2, since: 0 };
    expect(decideAfterExit({ ...policy, restart: 'never' }, crash(10), 10, episode)).toEqual({ next: { action: 'rest' }, episode });
  });

  it('restarts after a kill a person asked for without counting it', () => {
    const episode = { exits: 2, since: 0 };
    const killed = decideAfterExit(policy, crash(10, { code: null, signal: 'SIGKILL', askedFor: true }), 10, episode);
    expect(killed).toEqual({ next: { action: 'backoff', delay: 200 }, episode });
  });

  it('gives up at once on a program that cannot be started, whatever the policy, counting it once', () => {
    const reason = 'could not start nodee: spawn nodee ENOENT';
    for (const restart of ['always', 'on-failure', 'never'] as const) {
      expect(decideAfterExit({ ...policy, restart }, crash(7, { code: null, cannotStart: reason }), 0, CALM)).toEqual({
        next: { action: 'fail', reason },
        episode: { exits: 1, since: 7 },
      });
    }
  });

  it('names a signal as the last exit of a loop', () => {
    const last = decideAfterExit({ ...policy, maxRestarts: 0 }, crash(0, { code: null, signal: 'SIGSEGV' }), 10, CALM);
    expect(last.next).toEqual({ action: 'fail', reason: 'crash loop: exited 1 times in a row, each within 5.0s (max_restarts 0); last: killed by SIGSEGV' });
  });
});

describe('isCrashLoop', () => {
  it('is three quick exits in a row, the same count the supervisor gives up on', () => {
    const episodes = crashes([0, 1, 2], { ...policy, maxRestarts: 10 }).map((each) => each.episode);
    expect(episodes.map(isCrashLoop)).toEqual([false, false, true]);
    expect(isCrashLoop(CALM)).toBe(false);
  });
});
