import { describe, expect, it } from 'vitest';
import { appTraffic, trafficSample } from '../../testing/fixtures.ts';
import { appSeries, appsInTraffic } from './traffic-series.ts';

describe('appSeries', () => {
  it('turns samples into columns, with gaps where nothing was measured', () => {
    const samples = [trafficSample(1000, {}), trafficSample(2000, { api: appTraffic({ requests: 4, errors: 1, p50: 2, p95: 3, p99: 4 }) })];
    const series = appSeries(samples, 'api');
    expect(series.time).toEqual([1, 2]);
    expect(series.requests).toEqual([0, 4]);
    expect(series.p99).toEqual([null, 4]);
    expect(series.errorRate).toEqual([null, 25]);
    expect(series.totalRequests).toBe(4);
  });

  it('lists the known apps and any that had traffic', () => {
    expect(appsInTraffic([trafficSample(0, { other: appTraffic() })], ['api'])).toEqual(['api', 'other']);
  });
});
