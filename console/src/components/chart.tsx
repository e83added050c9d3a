import { BarChart, LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'preact/hooks';

// Only what the console draws: tree-shaken ECharts (line and bar charts on a canvas).
echarts.use([
  LineChart,
  BarChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  AriaComponent,
  CanvasRenderer,
]);

export interface Series {
  name: string;
  data: (number | [number, number])[];
  color: string;
  stack?: string;
}

/**
 * One ECharts chart. Tooltips render as rich text inside the canvas: ECharts' HTML tooltips carry
 * inline styles, which the console's CSP (style-src 'self') refuses. The chart describes itself to
 * screen readers (aria), and a table of the same numbers sits beside each chart (see the pages).
 */
export function Chart(props: {
  label: string;
  kind: 'line' | 'bar';
  categories?: string[]; // bar charts: the x axis; line charts use time
  series: Series[];
  height?: number;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  useEffect(() => {
    if (!ref.current) return;
    const instance = echarts.init(ref.current, null, { locale: 'ZH', renderer: 'canvas' });
    chart.current = instance;
    const resize = () => instance.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      instance.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(
      {
        animation: false,
        aria: { enabled: true },
        tooltip: { trigger: 'axis', renderMode: 'richText' },
        legend: { top: 0 },
        grid: { left: 40, right: 16, top: 36, bottom: 28, containLabel: true },
        xAxis:
          props.kind === 'bar'
            ? { type: 'category', data: props.categories ?? [] }
            : { type: 'time', axisLabel: { hideOverlap: true } },
        yAxis: { type: 'value', minInterval: 1 },
        series: props.series.map((s) => ({
          name: s.name,
          type: props.kind,
          data: s.data,
          stack: s.stack,
          itemStyle: { color: s.color },
          lineStyle: { color: s.color },
          showSymbol: false,
          step: props.kind === 'line' ? 'end' : undefined,
        })),
      },
      { notMerge: true },
    );
  }, [props.kind, props.categories, props.series]);
  return (
    <div
      class="chart"
      ref={ref}
      role="img"
      aria-label={props.label}
      data-series={props.series.map((s) => s.name).join(',')}
      style={{ height: `${props.height ?? 280}px` }}
    />
  );
}
