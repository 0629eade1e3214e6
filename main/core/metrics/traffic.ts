// Per-second traffic of each app from the proxy's access records: counts and latency histograms,
// never the durations themselves, so a busy second costs the same memory as a quiet one.

import type { AccessRecord } from '../../../shared/api.ts';
import type { AppTraffic, TrafficSample } from '../../../shared/events.ts';
import { Emitter } from '../events.ts';
import type { Disposable } from '../events.ts';

// Buckets 10% wide from 0.05 ms to 120 s: about 155 counters, and the geometric middle of a
// bucket is within 5% of any value in it.
const MIN_MS = 0.05;
const MAX_MS = 120_000;
const GROWTH = 1.1;
const LOG_GROWTH = Math.log(GROWTH);
const INNER_BUCKETS = Math.ceil(Math.log(MAX_MS / MIN_MS) / LOG_GROWTH);
// One bucket below MIN_MS (0 included) and one at or above MAX_MS.
const BUCKETS = INNER_BUCKETS + 2;

/** Durations in log-scale buckets: percentiles within about 5%, in constant memory. */
export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private total = 0;
  // The exact extremes pull estimates from the edge buckets back onto values that were seen.
  private min = Infinity;
  private max = -Infinity;

  get count(): number {
    return this.total;
  }

  add(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    const index = ms < MIN_MS ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(ms / MIN_MS) / LOG_GROWTH));
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.total++;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  /** The value at quantile `q` (0..1, nearest rank), or null when empty. */
  percentile(q: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let index = 0; index < BUCKETS; index++) {
      seen += this.counts[index] ?? 0;
      if (seen >= rank) return round(Math.min(this.max, Math.max(this.min, middleOf(index))));
    }
    return round(this.max);
  }
}

/** The geometric middle of a bucket; Infinity for the open-ended top one, so the largest value seen stands in. */
function middleOf(index: number): number {
  if (index === 0) return MIN_MS;
  if (index === BUCKETS - 1) return Infinity;
  return MIN_MS * GROWTH ** (index - 0.5);
}

/** Three significant digits are more than a 5% estimate can honour, and they keep samples small on the wire. */
function round(ms: number): number {
  return Number(ms.toPrecision(3));
}

const SECOND = 1000;

function secondOf(ms: number): number {
  return Math.floor(ms / SECOND) * SECOND;
}

interface AppSecond {
  requests: number;
  errors: number;
  latency: LatencyHistogram;
  workers: Map<string, number>;
}

interface Second {
  apps: Map<string, AppSecond>;
  unrouted: number;
}

/** Options of a TrafficStats. */
export interface TrafficStatsOptions {
  /** Complete seconds kept for `samples()` (default 300). */
  retainSeconds?: number;
  /** Epoch milliseconds; injectable so tests own the clock. */
  now?: () => number;
}

/** Traffic per app and second, from access records, for the last few minutes. */
export class TrafficStats {
  private readonly retainMs: number;
  private readonly now: () => number;
  private readonly seconds = new Map<number, Second>();
  // The earliest second known; samples() never reports seconds before it as quiet ones.
  private first: number;
  // The next second take() hands out: every complete second goes out exactly once, however the caller's timer drifts.
  private next: number;

  constructor({ retainSeconds = 300, now = Date.now }: TrafficStatsOptions = {}) {
    if (!Number.isInteger(retainSeconds) || retainSeconds < 1) {
      throw new RangeError(`retainSeconds must be a positive integer, got ${retainSeconds}`);
    }
    this.retainMs = retainSeconds * SECOND;
    this.now = now;
    this.first = secondOf(now());
    this.next = this.first;
  }

  /** Counts records in the second they finished; a record for a second already taken changes samples() only. */
  add(records: readonly AccessRecord[]): void {
    const current = secondOf(this.now());
    const oldest = current - this.retainMs;
    for (const record of records) {
      // Same machine, same clock: a finish time past now is rounding or skew, so it counts as now.
      const finished = Math.min(secondOf(record.time + Math.max(0, record.duration)), current);
      if (!(finished >= oldest)) continue;
      if (finished < this.first) this.first = finished;
      const second = this.secondAt(finished);
      if (record.app === null) {
        second.unrouted++;
        continue;
      }
      let app = second.apps.get(record.app);
      if (!app) {
        app = { requests: 0, errors: 0, latency: new LatencyHistogram(), workers: new Map() };
        second.apps.set(record.app, app);
      }
      app.requests++;
      if (record.status === 0 || record.status >= 500) app.errors++;
      app.latency.add(record.duration);
      if (record.worker !== null) app.workers.set(record.worker, (app.workers.get(record.worker) ?? 0) + 1);
    }
  }

  /** Every retained complete second, oldest first, quiet seconds included. */
  samples(): TrafficSample[] {
    const current = this.prune();
    const out: TrafficSample[] = [];
    for (let time = Math.max(this.first, current - this.retainMs); time < current; time += SECOND) out.push(this.sampleOf(time));
    return out;
  }

  /**
   * The oldest complete second not taken yet, or null when the caller is up to date. Call it until
   * null on each tick: a late tick then catches up and an early one gets nothing.
   */
  take(): TrafficSample | null {
    const current = this.prune();
    // After a long stall (a sleeping laptop) the seconds before the retained window are gone.
    this.next = Math.max(this.next, current - this.retainMs);
    if (this.next >= current) return null;
    const sample = this.sampleOf(this.next);
    this.next += SECOND;
    return sample;
  }

  /** Counts every complete second as taken: for a first watcher, whose snapshot (samples()) carries them. */
  skipTaken(): void {
    this.next = Math.max(this.next, secondOf(this.now()));
  }

  private secondAt(time: number): Second {
    let second = this.seconds.get(time);
    if (!second) {
      second = { apps: new Map(), unrouted: 0 };
      this.seconds.set(time, second);
    }
    return second;
  }

  /** Drops seconds out of the window; returns the current (incomplete) second. */
  private prune(): number {
    const current = secondOf(this.now());
    const oldest = current - this.retainMs;
    for (const time of this.seconds.keys()) if (time < oldest) this.seconds.delete(time);
    return current;
  }

  private sampleOf(time: number): TrafficSample {
    const second = this.seconds.get(time);
    const apps: Record<string, AppTraffic> = {};
    for (const [name, app] of second?.apps ?? []) {
      apps[name] = {
        requests: app.requests,
        errors: app.errors,
        p50: app.latency.percentile(0.5),
        p95: app.latency.percentile(0.95),
        p99: app.latency.percentile(0.99),
        workers: Object.fromEntries(app.workers),
      };
    }
    return { time, apps, unrouted: second?.unrouted ?? 0 };
  }
}

/** Calls `onSample` with each second as it completes, checking every `intervalMs`. */
export function startTrafficTicker(stats: TrafficStats, onSample: (sample: TrafficSample) => void, intervalMs = SECOND): Disposable {
  // Through an Emitter, so a throwing listener is reported instead of crashing the process from a timer.
  const ticked = new Emitter<TrafficSample>();
  ticked.event(onSample);
  const timer = setInterval(() => {
    for (let sample = stats.take(); sample; sample = stats.take()) ticked.fire(sample);
  }, intervalMs);
  timer.unref();
  return {
    dispose: () => {
      clearInterval(timer);
      ticked.dispose();
    },
  };
}
