// One app's traffic over the last five minutes: its figures now, and three charts.

import { useMemo } from 'react';
import type { AlignedData } from 'uplot';
import { useDashboard } from '../../state/hooks.ts';
import { formatCount, formatMs, formatRate } from '../../ui/format.ts';
import { appSeries } from './traffic-series.ts';
import { UPlotChart } from './UPlotChart.tsx';

const REQUESTS = [{ label: 'req/s', color: '--chart-1' }];
const LATENCY = [
  { label: 'p50', color: '--chart-1' },
  { label: 'p95', color: '--chart-2' },
  { label: 'p99', color: '--chart-3' },
];
const ERRORS = [{ label: 'errors %', color: '--chart-bad' }];

const formatPercent = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)}%`;

export function AppMetrics(props: { app: string }) {
  const traffic = useDashboard((state) => state.traffic);
  const series = useMemo(() => appSeries(traffic, props.app), [traffic, props.app]);
  const last = series.requests.length - 1;
  const requestData = useMemo<AlignedData>(() => [series.time, series.requests], [series]);
  const latencyData = useMemo<AlignedData>(() => [series.time, series.p50, series.p95, series.p99], [series]);
  const errorData = useMemo<AlignedData>(() => [series.time, series.errorRate], [series]);
  const errorRate = series.totalRequests > 0 ? (series.totalErrors / series.totalRequests) * 100 : null;
  return (
    <section className="panel app-metrics" aria-label={`Metrics of ${props.app}`} data-testid={`metrics-${props.app}`}>
      <header className="panel-header">
        <h3 className="mono">{props.app}</h3>
        <span className="stat">
          <span className="dim">now</span> <span className="mono">{formatRate(series.requests[last] ?? 0)} req/s</span>
        </span>
        <span className="stat">
          <span className="dim">p99</span> <span className="mono">{formatMs(series.p99[last])}</span>
        </span>
        <span className="stat">
          <span className="dim">5 min</span> <span className="mono">{formatCount(series.totalRequests)} requests</span>
        </span>
        <span className={`stat${series.totalErrors > 0 ? ' bad-text' : ''}`}>
          <span className="dim">errors</span>{' '}
          <span className="mono" data-testid={`metrics-errors-${props.app}`}>
            {errorRate === null ? '—' : formatPercent(errorRate)}
          </span>
        </span>
      </header>
      <div className="charts">
        <UPlotChart title="Requests per second" series={REQUESTS} data={requestData} format={(value) => formatRate(value)} testId={`chart-requests-${props.app}`} />
        <UPlotChart title="Latency" series={LATENCY} data={latencyData} format={(value) => formatMs(value)} testId={`chart-latency-${props.app}`} />
        <UPlotChart title="Error rate" series={ERRORS} data={errorData} format={formatPercent} testId={`chart-errors-${props.app}`} />
      </div>
    </section>
  );
}
