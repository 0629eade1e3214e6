// @vitest-environment jsdom
import { screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { installDom } from '../../testing/dom.ts';
import { appTraffic, snapshot, trafficSample } from '../../testing/fixtures.ts';
import { renderView } from '../../testing/render.tsx';
import { MetricsView } from './MetricsView.tsx';

// The charts have their own test; here each one shows what it was given.
vi.mock('./UPlotChart.tsx', () => ({
  UPlotChart: (props: { title: string; data: unknown[][]; testId?: string }) => (
    <div data-testid={props.testId} data-title={props.title} data-points={props.data[0]?.length} data-last={JSON.stringify(props.data.slice(1).map((column) => column.at(-1)))} />
  ),
}));

installDom();

function traffic() {
  return [
    trafficSample(1000, { api: appTraffic({ requests: 10, errors: 0, p50: 2, p95: 5, p99: 9 }) }),
    trafficSample(2000, { api: appTraffic({ requests: 20, errors: 5, p50: 3, p95: 6, p99: 40 }) }),
  ];
}

describe('MetricsView', () => {
  it('draws requests, latency and error rate for each app from the traffic samples', () => {
    renderView(<MetricsView />, { snapshot: snapshot({ traffic: traffic() }) });
    expect(screen.getByTestId('chart-requests-api').dataset.last).toBe('[20]');
    expect(screen.getByTestId('chart-latency-api').dataset.last).toBe('[3,6,40]');
    expect(screen.getByTestId('chart-errors-api').dataset.last).toBe('[25]');
    expect(screen.getByTestId('chart-requests-api').dataset.points).toBe('2');
    // The static site had no request: its latency is a gap, not zero.
    expect(screen.getByTestId('chart-latency-web').dataset.last).toBe('[null,null,null]');
    expect(screen.getByTestId('metrics-errors-api').textContent).toBe('17%');
  });

  it('moves with each new second', () => {
    const { emit } = renderView(<MetricsView />, { snapshot: snapshot({ traffic: traffic() }) });
    emit([{ topic: 'traffic', data: trafficSample(3000, { api: appTraffic({ requests: 7 }) }) }]);
    expect(screen.getByTestId('chart-requests-api').dataset.points).toBe('3');
    expect(screen.getByTestId('chart-requests-api').dataset.last).toBe('[7]');
  });

  it('says there is no traffic yet and how to make some', () => {
    renderView(<MetricsView />);
    expect(screen.getByTestId('metrics-empty').textContent).toContain('load test');
  });
});
