import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AccessRecord } from '../../shared/api.ts';
import type { TrafficSample } from '../../shared/events.ts';
import { setUnexpectedErrorHandler } from '../../main/core/events.ts';
import { LatencyHistogram, TrafficStats, startTrafficTicker } from '../../main/core/metrics/traffic.ts';

// A whole second, so that T0 + n * 1000 starts a second.
const T0 = 1_700_000_000_000;

let seq = 0;

/** An answered request to app `api` by worker `api-1` that arrived at T0 and took 1 ms. */
function record(overrides: Partial<AccessRecord> = {}): AccessRecord {
  seq++;
  return {
    seq,
    time: T0,
    method: 'GET',
    path: '/',
    status: 200,
    bytes: 2,
    duration: 1,
    route: '/',
    worker: 'api-1',
    member: 'api#1@2000',
    requestId: `r${seq}`,
    error: null,
    attempts: 1,
    app: 'api',
    process: 'api#1',
    ...overrides,
  };
}

/** A TrafficStats on a clock the test moves. */
function stats(retainSeconds?: number): { traffic: TrafficStats; clock: { now: number } } {
  const clock = { now: T0 };
  return { traffic: new TrafficStats({ retainSeconds, now: () => clock.now }), clock };
}

function expectNear(actual: number | null, expected: number, tolerance = 0.05): void {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected) / expected).toBeLessThanOrEqual(tolerance);
}

describe('LatencyHistogram', () => {
  it('has no percentiles while empty', () => {
    expect(new LatencyHistogram().percentile(0.5)).toBeNull();
  });

  it('reports a single repeated value exactly', () => {
    const histogram = new LatencyHistogram();
    for (let i = 0; i < 10; i++) histogram.add(42);
    expect(histogram.percentile(0.5)).toBe(42);
    expect(histogram.percentile(0.99)).toBe(42);
  });

  it('stays within 5% over six orders of magnitude', () => {
    const values: number[] = [];
    const histogram = new LatencyHistogram();
    // Log-uniform from 0.1 ms to 100 s, deterministic.
    for (let i = 0; i < 5000; i++) {
      const value = 0.1 * 10 ** (6 * (((i * 7919) % 5000) / 5000));
      values.push(value);
      histogram.add(value);
    }
    values.sort((a, b) => a - b);
    for (const q of [0.01, 0.5, 0.95, 0.99]) {
      expectNear(histogram.percentile(q), values[Math.ceil(q * values.length) - 1] as number);
    }
    expect(histogram.count).toBe(5000);
  });

  it('counts zero and huge durations in its edge buckets', () => {
    const histogram = new LatencyHistogram();
    histogram.add(0);
    histogram.add(500_000);
    expect(histogram.percentile(0.5)).toBeLessThanOrEqual(0.05);
    expect(histogram.percentile(1)).toBe(500_000);
  });
});

describe('TrafficStats', () => {
  it('estimates percentiles of 1..1000 ms within 5%', () => {
    const { traffic, clock } = stats();
    // Arrival + duration all land in the first second, so the durations are counted there.
    const records = Array.from({ length: 1000 }, (_, i) => record({ time: T0 + 500 - (i + 1), duration: i + 1 }));
    traffic.add(records);
    clock.now = T0 + 1000;
    const api = traffic.take()?.apps.api;
    expect(api?.requests).toBe(1000);
    expectNear(api?.p50 ?? null, 500);
    expectNear(api?.p95 ?? null, 950);
    expectNear(api?.p99 ?? null, 990);
  });

  it('counts a request in the second it finished, not the one it arrived in', () => {
    const { traffic, clock } = stats();
    clock.now = T0 + 1500;
    traffic.add([record({ time: T0 + 900, duration: 200 })]);
    clock.now = T0 + 2000;
    const [first, second] = traffic.samples();
    expect(first?.apps).toEqual({});
    expect(second?.time).toBe(T0 + 1000);
    expect(second?.apps.api?.requests).toBe(1);
  });

  it('counts errors, unrouted requests and requests per worker', () => {
    const { traffic, clock } = stats();
    traffic.add([
      record({ status: 200, worker: 'api-1' }),
      record({ status: 404, worker: 'api-2' }),
      record({ status: 503, worker: 'api-2' }),
      record({ status: 500, worker: 'api-1' }),
      // The client left before a status, or no worker was reached.
      record({ status: 0, worker: null }),
      record({ app: 'web', worker: 'web', status: 200 }),
      record({ app: null, worker: null, route: null, status: 404 }),
      record({ app: null, worker: null, status: 502 }),
    ]);
    clock.now = T0 + 1000;
    const sample = traffic.take();
    expect(sample?.unrouted).toBe(2);
    expect(sample?.apps.api).toMatchObject({ requests: 5, errors: 3, workers: { 'api-1': 2, 'api-2': 2 } });
    expect(sample?.apps.web).toMatchObject({ requests: 1, errors: 0, workers: { web: 1 } });
  });

  it('keeps only the last retainSeconds seconds', () => {
    const { traffic, clock } = stats(5);
    for (let s = 0; s < 10; s++) {
      clock.now = T0 + s * 1000 + 10;
      traffic.add([record({ time: T0 + s * 1000, duration: s })]);
    }
    clock.now = T0 + 10_000;
    const samples = traffic.samples();
    expect(samples.map((sample) => sample.time)).toEqual([5, 6, 7, 8, 9].map((s) => T0 + s * 1000));
    expect(samples.every((sample) => sample.apps.api?.requests === 1)).toBe(true);
    // A record older than the window is dropped, not kept for later.
    traffic.add([record({ time: T0 + 1000 })]);
    expect(traffic.samples().map((sample) => sample.time)[0]).toBe(T0 + 5000);
  });

  it('reports no second before it completes', () => {
    const { traffic, clock } = stats();
    traffic.add([record()]);
    clock.now = T0 + 999;
    expect(traffic.samples()).toEqual([]);
    expect(traffic.take()).toBeNull();
  });

  it('hands out each completed second exactly once, however the caller is timed', () => {
    const { traffic, clock } = stats();
    traffic.add([record()]);
    clock.now = T0 + 1000;
    expect(traffic.take()?.time).toBe(T0);
    // An early second tick in the same second gets nothing.
    clock.now = T0 + 1900;
    expect(traffic.take()).toBeNull();
    // A late tick catches up, oldest first, with quiet seconds as empty samples.
    clock.now = T0 + 4500;
    const caught: (TrafficSample | null)[] = [traffic.take(), traffic.take(), traffic.take(), traffic.take()];
    expect(caught.map((sample) => sample?.time ?? null)).toEqual([T0 + 1000, T0 + 2000, T0 + 3000, null]);
    expect(caught[0]).toEqual({ time: T0 + 1000, apps: {}, unrouted: 0 });
  });

  it('after skipTaken (a first watcher, whose snapshot has the complete seconds), hands out only later seconds', () => {
    const { traffic, clock } = stats();
    traffic.add([record()]);
    clock.now = T0 + 3500;
    expect(traffic.samples().map((sample) => sample.time)).toEqual([T0, T0 + 1000, T0 + 2000]);
    traffic.skipTaken();
    expect(traffic.take()).toBeNull();
    clock.now = T0 + 4000;
    expect(traffic.take()?.time).toBe(T0 + 3000);
    expect(traffic.take()).toBeNull();
  });

  it('after a stall longer than the window, resumes with the retained seconds only', () => {
    const { traffic, clock } = stats(3);
    clock.now = T0 + 60_000;
    const taken: number[] = [];
    for (let sample = traffic.take(); sample && taken.length < 100; sample = traffic.take()) taken.push(sample.time);
    expect(taken).toEqual([T0 + 57_000, T0 + 58_000, T0 + 59_000]);
  });

  it('adds a late record to a second already taken without handing that second out again', () => {
    const { traffic, clock } = stats();
    traffic.add([record()]);
    clock.now = T0 + 1100;
    expect(traffic.take()?.apps.api?.requests).toBe(1);
    traffic.add([record({ status: 502 })]);
    expect(traffic.take()).toBeNull();
    expect(traffic.samples()[0]?.apps.api).toMatchObject({ requests: 2, errors: 1 });
  });

  it('counts a finish time past the clock in the current second', () => {
    const { traffic, clock } = stats();
    traffic.add([record({ time: T0 + 5000 })]);
    clock.now = T0 + 1000;
    expect(traffic.take()?.apps.api?.requests).toBe(1);
  });
});

describe('startTrafficTicker', () => {
  afterEach(() => {
    vi.useRealTimers();
    setUnexpectedErrorHandler((error) => console.error('switchyard: a listener failed:', error));
  });

  it('fires once for each completed second, quiet ones included, even when ticks drift', () => {
    vi.useFakeTimers();
    const { traffic, clock } = stats();
    const fired: TrafficSample[] = [];
    // Ticks every 700 ms: some seconds see two ticks, some none of their own.
    const ticker = startTrafficTicker(traffic, (sample) => fired.push(sample), 700);
    traffic.add([record()]);
    for (let step = 0; step < 10; step++) {
      clock.now += 700;
      vi.advanceTimersByTime(700);
    }
    // 7 s have passed and the last tick came right at the end: seconds 0..6 are complete.
    expect(fired.map((sample) => sample.time)).toEqual([0, 1, 2, 3, 4, 5, 6].map((s) => T0 + s * 1000));
    expect(fired[0]?.apps.api?.requests).toBe(1);
    expect(fired.slice(1).every((sample) => Object.keys(sample.apps).length === 0)).toBe(true);
    ticker.dispose();
    clock.now += 5000;
    vi.advanceTimersByTime(5000);
    expect(fired).toHaveLength(7);
  });

  it('survives a listener that throws', () => {
    vi.useFakeTimers();
    const reported: unknown[] = [];
    setUnexpectedErrorHandler((error) => reported.push(error));
    const { traffic, clock } = stats();
    const ticker = startTrafficTicker(traffic, () => {
      throw new Error('listener failed');
    });
    clock.now += 2000;
    vi.advanceTimersByTime(1000);
    ticker.dispose();
    expect(reported).toHaveLength(2);
  });
});
