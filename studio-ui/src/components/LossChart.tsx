import { Empty } from 'antd';
import { useEffect, useRef, type CSSProperties } from 'react';
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MetricPoint } from '../api/types';
import { useI18n } from '../i18n/I18nProvider';

const LOSS_COLOR = '#4f46e5';
const LR_COLOR = '#f59e0b';
const HEIGHT = 220;

export function toSeries(points: MetricPoint[]): AlignedData {
  // A metrics record without a step has no place on the x axis.
  const sorted = points
    .filter((p): p is MetricPoint & { step: number } => p.step != null)
    .sort((a, b) => a.step - b.step);
  return [sorted.map((p) => p.step), sorted.map((p) => p.loss ?? null), sorted.map((p) => p.learning_rate ?? null)];
}

function formatLr(value: number): string {
  return value === 0 ? '0' : value.toExponential(1);
}

/** Loss (left axis) and learning rate (right axis) against the optimiser step. */
export function LossChart({ points }: { points: MetricPoint[] }) {
  const { t } = useI18n();
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const lossLabel = t('chart.loss');
  const lrLabel = t('chart.learningRate');
  const stepLabel = t('chart.step');
  const empty = points.length === 0;

  useEffect(() => {
    const element = host.current;
    if (!element || empty) {
      return undefined;
    }
    const options: Options = {
      width: Math.max(element.clientWidth, 200),
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false }, lr: { auto: true } },
      series: [
        { label: stepLabel },
        {
          label: lossLabel,
          stroke: LOSS_COLOR,
          width: 2,
          fill: 'rgba(79, 70, 229, 0.08)',
          points: { show: false },
          spanGaps: true,
        },
        {
          label: lrLabel,
          stroke: LR_COLOR,
          width: 1.5,
          dash: [6, 4],
          scale: 'lr',
          points: { show: false },
          spanGaps: true,
          value: (_u, v) => (v == null ? '—' : formatLr(v)),
        },
      ],
      axes: [
        { label: stepLabel, stroke: '#6b7280', grid: { stroke: '#f1f1f4' } },
        { label: lossLabel, stroke: LOSS_COLOR, grid: { stroke: '#f1f1f4' } },
        {
          label: lrLabel,
          stroke: LR_COLOR,
          scale: 'lr',
          side: 1,
          grid: { show: false },
          values: (_u, ticks) => ticks.map(formatLr),
          size: 64,
        },
      ],
    };
    const chart = new uPlot(options, [[], [], []], element);
    plot.current = chart;
    const observer = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(element.clientWidth, 200), height: HEIGHT }),
    );
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [empty, lossLabel, lrLabel, stepLabel]);

  useEffect(() => {
    plot.current?.setData(toSeries(points));
  }, [points, empty, lossLabel]);

  if (empty) {
    return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('chart.empty')} data-testid="loss-chart-empty" />;
  }
  return (
    <figure className="loss-chart-figure" style={{ margin: 0 }}>
      <div
        ref={host}
        className="loss-chart"
        data-testid="loss-chart"
        data-points={points.length}
        role="img"
        aria-label={t('chart.aria', { count: points.length })}
      />
      <figcaption className="chart-legend">
        <span>
          <span className="chart-legend__swatch" style={{ '--swatch': LOSS_COLOR } as CSSProperties} />
          {lossLabel}
        </span>
        <span>
          <span
            className="chart-legend__swatch chart-legend__swatch--dashed"
            style={{ '--swatch': LR_COLOR } as CSSProperties}
          />
          {lrLabel}
        </span>
      </figcaption>
    </figure>
  );
}
