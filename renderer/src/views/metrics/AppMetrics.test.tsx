// @vitest-environment jsdom
import { screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { installDom } from '../../testing/dom.ts';
import { appTraffic, snapshot, trafficSample } from '../../testing/fixtures.ts';
import { renderView } from '../../testing/render.tsx';
import { AppMetrics } from './AppMetrics.tsx';

vi.mock('./UPlotChart.tsx', () => ({ UPlotChart: (props: { title: string }) => <figure>{props.title}</figure> }));

installDom();

describe('AppMetrics', () => {
  it("sums the app's window and shows its latest second", () => {
    const traffic = [trafficSample(1000, { api: appTraffic({ requests: 100, errors: 0, p99: 12 }) }), trafficSample(2000, { api: appTraffic({ requests: 50, errors: 0, p99: 80 }) })];
    renderView(<AppMetrics app="api" />, { snapshot: snapshot({ traffic }) });
    const panel = screen.getByTestId('metrics-api');
    expect(panel.textContent).toContain('50 req/s');
    expect(panel.textContent).toContain('80 ms');
    expect(panel.textContent).toContain('150 requests');
    expect(screen.getByTestId('metrics-errors-api').textContent).toBe('0.0%');
    expect(screen.getAllByRole('figure').map((figure) => figure.textContent)).toEqual(['Requests per second', 'Latency', 'Error rate']);
  });
});
