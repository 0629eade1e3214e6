// Traffic samples as chart columns, one app at a time: requests per second, latency percentiles
// and error rate, with gaps (null) where a second had no request to measure.

import type { AppTraffic, TrafficSample } from '../../../../shared/events.ts';

export interface AppSeries {
  /** Seconds since the epoch. */
  time: number[];
  requests: number[];
  p50: (number | null)[];
  p95: (number | null)[];
  p99: (number | null)[];
  /** Percent of requests that failed (5xx or no answer). */
  errorRate: (number | null)[];
  /** Sums over the window. */
  totalRequests: number;
  totalErrors: number;
}

export function appSeries(samples: readonly TrafficSample[], app: string): AppSeries {
  const series: AppSeries = { time: [], requests: [], p50: [], p95: [], p99: [], errorRate: [], totalRequests: 0, totalErrors: 0 };
  for (const sample of samples) {
    const traffic: AppTraffic | undefined = sample.apps[app];
    const requests = traffic?.requests ?? 0;
    series.time.push(sample.time / 1000);
    series.requests.push(requests);
    series.p50.push(traffic?.p50 ?? null);
    series.p95.push(traffic?.p95 ?? null);
    series.p99.push(traffic?.p99 ?? null);
    series.errorRate.push(requests > 0 ? ((traffic?.errors ?? 0) / requests) * 100 : null);
    series.totalRequests += requests;
    series.totalErrors += traffic?.errors ?? 0;
  }
  return series;
}

/** Every app or site with a sample in the window, plus those the stack file names. */
export function appsInTraffic(samples: readonly TrafficSample[], known: readonly string[]): string[] {
  const names = new Set(known);
  for (const sample of samples) for (const app of Object.keys(sample.apps)) names.add(app);
  return [...names];
}
