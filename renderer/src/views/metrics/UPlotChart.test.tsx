// @vitest-environment jsdom
import { act, render, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { installDom } from '../../testing/dom.ts';
import { setTheme } from '../../ui/theme.ts';
import { UPlotChart } from './UPlotChart.tsx';

// uPlot draws on a canvas, which jsdom does not have: a stand-in records what the component asks.
const charts = vi.hoisted(() => [] as { options: { series: { label?: string }[]; width: number }; data: unknown; setData: unknown[]; sizes: unknown[]; destroyed: boolean }[]);
vi.mock('uplot', () => ({
  default: class {
    private readonly record: (typeof charts)[number];
    constructor(options: (typeof charts)[number]['options'], data: unknown) {
      this.record = { options, data, setData: [], sizes: [], destroyed: false };
      charts.push(this.record);
    }
    setData(data: unknown) {
      this.record.setData.push(data);
    }
    setSize(size: unknown) {
      this.record.sizes.push(size);
    }
    destroy() {
      this.record.destroyed = true;
    }
  },
}));

installDom();

const series = [
  { label: 'p50', color: '--chart-1' },
  { label: 'p99', color: '--chart-3' },
];

describe('UPlotChart', () => {
  it('creates a chart sized to its container, feeds new data in place, resizes, and destroys it on unmount', async () => {
    charts.length = 0;
    const first: [number[], number[], number[]] = [[1, 2], [3, 4], [5, 6]];
    const { rerender, unmount } = render(<UPlotChart title="Latency" series={series} data={first} format={String} />);
    expect(charts).toHaveLength(1);
    const chart = charts[0] as (typeof charts)[number];
    expect(chart.options.series.map((each) => each.label)).toEqual([undefined, 'p50', 'p99']);
    expect(chart.options.width).toBe(1000);
    expect(chart.data).toBe(first);

    const second: [number[], number[], number[]] = [[1, 2, 3], [3, 4, 5], [5, 6, 7]];
    rerender(<UPlotChart title="Latency" series={series} data={second} format={String} />);
    expect(charts).toHaveLength(1);
    expect(chart.setData.at(-1)).toBe(second);

    // The resize observer reports on a later turn, as a browser's does.
    await waitFor(() => expect(chart.sizes).toContainEqual({ width: 1000, height: 140 }));

    unmount();
    expect(chart.destroyed).toBe(true);
  });

  it('redraws with the new colours when the theme changes', () => {
    charts.length = 0;
    render(<UPlotChart title="Requests" series={series} data={[[], [], []]} format={String} />);
    act(() => setTheme('light'));
    expect(charts).toHaveLength(2);
    expect(charts[0]?.destroyed).toBe(true);
  });
});
