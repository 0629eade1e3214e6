// A uPlot time series that fills its container's width: created once per theme (canvas colours
// come from the theme's CSS variables), fed new data in place, destroyed on unmount.

import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { TRAFFIC_WINDOW_S } from '../../state/store.ts';
import { useTheme } from '../../ui/theme.ts';

/** Seconds of history a chart spans (the store keeps as many). */
const WINDOW_S = TRAFFIC_WINDOW_S;

export interface ChartSeries {
  label: string;
  /** A CSS variable of styles.css, e.g. `--chart-1`. */
  color: string;
}

export function UPlotChart(props: {
  title: string;
  series: readonly ChartSeries[];
  /** x in seconds since the epoch, then one array per series. */
  data: uPlot.AlignedData;
  format: (value: number) => string;
  height?: number;
  testId?: string;
}) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const theme = useTheme();
  const latest = useRef(props);
  useEffect(() => {
    latest.current = props;
  });
  const height = props.height ?? 140;
  const seriesKey = props.series.map((series) => `${series.label}:${series.color}`).join('|');

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const style = getComputedStyle(element);
    const color = (name: string) => style.getPropertyValue(name).trim() || '#888888';
    const format = (value: number | null) => (value === null || value === undefined ? '—' : latest.current.format(value));
    const axis: uPlot.Axis = {
      stroke: color('--text-dim'),
      grid: { stroke: color('--grid'), width: 1 },
      ticks: { stroke: color('--grid'), width: 1 },
      font: '11px var(--font-mono, monospace)',
    };
    const options: uPlot.Options = {
      width: Math.max(200, element.clientWidth),
      height,
      cursor: { drag: { x: false, y: false } },
      legend: { show: true, live: true },
      scales: {
        // Always the whole window, so a young stack's few seconds sit at the right edge.
        x: { time: true, range: (_chart, _min, max) => [(max ?? Date.now() / 1000) - WINDOW_S, max ?? Date.now() / 1000] },
        y: { range: (_chart, min, max) => [Math.min(0, min ?? 0), Math.max(1, (max ?? 1) * 1.1)] },
      },
      axes: [axis, { ...axis, size: 56, values: (_chart, values) => values.map((value) => format(value)) }],
      series: [
        { value: (_chart, value) => (value ? new Date(value * 1000).toLocaleTimeString() : '—') },
        ...latest.current.series.map((series) => ({
          label: series.label,
          stroke: color(series.color),
          width: 1.5,
          // uPlot shows points only where the data is sparse enough: a lone second stays visible.
          points: { size: 4 },
          value: (_chart: uPlot, value: number | null) => format(value),
        })),
      ],
    };
    const instance = new uPlot(options, latest.current.data, element);
    chart.current = instance;
    const observer = typeof ResizeObserver === 'function' ? new ResizeObserver(() => instance.setSize({ width: Math.max(200, element.clientWidth), height })) : null;
    observer?.observe(element);
    return () => {
      observer?.disconnect();
      instance.destroy();
      chart.current = null;
    };
  }, [theme, height, seriesKey]);

  useEffect(() => {
    chart.current?.setData(props.data);
  }, [props.data]);

  return (
    <figure className="chart" data-testid={props.testId}>
      <figcaption>{props.title}</figcaption>
      <div ref={container} className="chart-canvas" />
    </figure>
  );
}
