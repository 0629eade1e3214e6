// What follows a process's own exit, and the one definition of a crash loop: the supervisor gives
// up on one past max_restarts, and the tray warns of one. Pure: no processes, no clock.

import type { AppSpec } from '../../../shared/stack.ts';

/** The settings that decide what follows an exit. */
export type RestartPolicy = Pick<AppSpec, 'restart' | 'backoff' | 'maxRestarts' | 'minUptime'>;

/** How a run ended on its own. */
export interface RunExit {
  code: number | null;
  signal: string | null;
  /** Epoch milliseconds. */
  at: number;
  /** Why it never ran (`could not start nodee: spawn nodee ENOENT`), when it did not. */
  cannotStart: string | null;
  /** A person asked for this end (a kill from the dashboard): the policy restarts it, but it counts toward no crash loop. */
  askedFor: boolean;
}

/**
 * A run of quick exits: exits in a row, each within min_uptime of its start, that the policy
 * restarts or gives up on. A run that outlives min_uptime ends the episode (seen at its exit), and
 * so does a person's restart.
 */
export interface CrashEpisode {
  exits: number;
  /** When the first of them happened (epoch milliseconds), or null with none. */
  since: number | null;
}

/** No quick exits. */
export const CALM: CrashEpisode = { exits: 0, since: null };

/** Quick exits in a row that make a crash loop worth telling a person about, before the supervisor gives up. */
export const CRASH_LOOP_EXITS = 3;

/** Whether an episode is a crash loop. */
export function isCrashLoop(episode: CrashEpisode): boolean {
  return episode.exits >= CRASH_LOOP_EXITS;
}

/** What a supervisor does after its process ended on its own. */
export type AfterExit =
  /** Stays exited or crashed: the policy does not restart it. */
  | { action: 'rest' }
  | { action: 'backoff'; delay: number }
  /** Gives up; only a person starts it again. */
  | { action: 'fail'; reason: string };

/** What follows an exit after `uptime` ms, with the episode it leaves behind. */
export function decideAfterExit(policy: RestartPolicy, exit: RunExit, uptime: number, episode: CrashEpisode): { next: AfterExit; episode: CrashEpisode } {
  // Retrying a program that cannot be started only repeats the same error.
  if (exit.cannotStart !== null) return { next: { action: 'fail', reason: exit.cannotStart }, episode: quickExit(episode, exit.at) };
  const clean = exit.code === 0;
  if (policy.restart === 'never' || (policy.restart === 'on-failure' && clean)) return { next: { action: 'rest' }, episode };

  let after: CrashEpisode;
  if (uptime >= policy.minUptime) after = CALM;
  else if (exit.askedFor) after = episode;
  else after = quickExit(episode, exit.at);
  if (after.exits > policy.maxRestarts) {
    const reason = `crash loop: exited ${after.exits} times in a row, each within ${formatMs(policy.minUptime)} (max_restarts ${policy.maxRestarts}); last: ${describeExit(exit)}`;
    return { next: { action: 'fail', reason }, episode: after };
  }
  const delay = Math.min(policy.backoff.initial * 2 ** Math.max(0, after.exits - 1), policy.backoff.max);
  return { next: { action: 'backoff', delay }, episode: after };
}

function quickExit(episode: CrashEpisode, at: number): CrashEpisode {
  return { exits: episode.exits + 1, since: episode.since ?? at };
}

/** `exit code 3` or `killed by SIGSEGV`. */
export function describeExit(exit: { code: number | null; signal: string | null }): string {
  if (exit.signal) return `killed by ${exit.signal}`;
  return `exit code ${exit.code ?? 'unknown'}`;
}

/** `800ms`, `3.5s`, `42s`: a short duration for a message. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}
