// Recycling, gunicorn's max_requests: each run of a worker gets a limit of max_requests plus a random
// 0..max_requests_jitter of its own (so that workers started together do not all go at once), the
// proxy counts the requests it sends there, and a worker past its limit is replaced surge-first, one
// at a time, by the same rolling reload as `switchyard reload api-2`: no request fails for it.

import { randomInt } from 'node:crypto';
import type { AppSpec } from '../../../shared/stack.ts';
import type { Supervisor } from '../process/supervisor.ts';

/** The settings recycling reads. */
export type RecycleSettings = Pick<AppSpec, 'maxRequests' | 'maxRequestsJitter'>;

/** Each run's request limit, drawn once per run (and again when the settings change). */
export class RequestLimits {
  /** By run (a Supervisor). */
  private readonly drawn = new WeakMap<object, { settings: string; limit: number }>();

  /** The requests after which `run` is recycled, or undefined when `settings` recycle nothing. */
  of(run: object, settings: RecycleSettings): number | undefined {
    if (settings.maxRequests <= 0) return undefined;
    const key = `${settings.maxRequests}+${settings.maxRequestsJitter}`;
    const known = this.drawn.get(run);
    if (known?.settings === key) return known.limit;
    const limit = settings.maxRequests + randomInt(settings.maxRequestsJitter + 1);
    this.drawn.set(run, { settings: key, limit });
    return limit;
  }
}

/** What the recycler needs from its pool. */
export interface RecycleHost {
  /** Whether `run` still holds its name and serves (not replaced, leaving or down meanwhile). */
  serving(run: Supervisor): boolean;
  /** Resolves once no reload of the pool runs, so that a recycle never turns into a second full reload. */
  reloadsIdle(): Promise<void>;
  /** Replaces `run` surge-first. */
  replace(run: Supervisor): Promise<unknown>;
  stopping(): boolean;
  /** A line in `source`'s log. */
  note(source: string, text: string): void;
}

/** Replaces the runs that reached their limit, one at a time. */
export class Recycler {
  private readonly host: RecycleHost;
  private readonly due: { run: Supervisor; requests: number }[] = [];
  private working = false;

  constructor(host: RecycleHost) {
    this.host = host;
  }

  /** `run` was sent `requests` requests, its limit: replace it once the recycles before it are done. */
  request(run: Supervisor, requests: number): void {
    if (this.due.some((each) => each.run === run)) return;
    this.due.push({ run, requests });
    if (!this.working) void this.work();
  }

  private async work(): Promise<void> {
    this.working = true;
    try {
      for (let next = this.due.shift(); next !== undefined; next = this.due.shift()) await this.recycle(next.run, next.requests);
    } finally {
      this.working = false;
    }
  }

  private async recycle(run: Supervisor, requests: number): Promise<void> {
    await this.host.reloadsIdle();
    // A reload may have replaced it meanwhile, and a stopping stack replaces nothing.
    if (this.host.stopping() || !this.host.serving(run)) return;
    const name = run.name;
    this.host.note(name, `recycled after ${requests} requests (max_requests): starting its replacement, it serves until that one is ready`);
    try {
      await this.host.replace(run);
    } catch (error) {
      this.host.note(name, `recycling ${name} failed, it keeps serving: ${(error as Error).message}`);
    }
  }
}
