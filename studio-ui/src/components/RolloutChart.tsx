import { Empty } from 'antd';
import { useEffect, useMemo, useRef, type CSSProperties } from 'react';
import uPlot, { type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useI18n } from '../i18n/I18nProvider';
import { rolloutSeries, type RolloutSample } from '../lib/serving';

const WEIGHT_COLOR = '#4f46e5';
const BASELINE_COLOR = '#6b7280';
const CANDIDATE_COLOR = '#dc2626';
const HEIGHT = 220;

/**
 * The two arms of a rollout over time: the candidate's weight (stepped) and both arms' error rates on the % axis,
 * both arms' TTFT p95 (dashed) on the ms axis. Points come from the rollout's history and the live figures read
 * while the page is open.
 */
export function RolloutChart({ samples }: { samples: RolloutSample[] }) {
  const { t } = useI18n();
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = useMemo(() => rolloutSeries(samples), [samples]);
  const count = data[0].length;
  const empty = count === 0;
  const labels = {
    weight: t('rollout.chart.weight'),
    baselineErrors: t('rollout.chart.baselineErrors'),
    candidateErrors: t('rollout.chart.candidateErrors'),
    baselineTtft: t('rollout.chart.baselineTtft'),
    candidateTtft: t('rollout.chart.candidateTtft'),
    percent: t('rollout.chart.percent'),
    ms: t('rollout.chart.ms'),
  };
  const labelKey = Object.values(labels).join('|');

  useEffect(() => {
    const element = host.current;
    if (!element || empty) {
      return undefined;
    }
    const line = (label: string, stroke: string, scale: string, dash?: number[]) => ({
      label,
      stroke,
      scale,
      width: 1.5,
      dash,
      points: { show: false },
      spanGaps: true,
    });
    const options: Options = {
      width: Math.max(element.clientWidth, 200),
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, pct: { range: [0, 100] }, ms: { auto: true } },
      series: [
        {},
        { ...line(labels.weight, WEIGHT_COLOR, 'pct'), width: 2, paths: uPlot.paths.stepped?.({ align: 1 }) },
        line(labels.baselineErrors, BASELINE_COLOR, 'pct'),
        line(labels.candidateErrors, CANDIDATE_COLOR, 'pct'),
        line(labels.baselineTtft, BASELINE_COLOR, 'ms', [6, 4]),
        line(labels.candidateTtft, CANDIDATE_COLOR, 'ms', [6, 4]),
      ],
      axes: [
        { stroke: '#6b7280', grid: { stroke: '#f1f1f4' } },
        { label: labels.percent, scale: 'pct', stroke: '#6b7280', grid: { stroke: '#f1f1f4' } },
        { label: labels.ms, scale: 'ms', side: 1, stroke: '#6b7280', grid: { show: false }, size: 56 },
      ],
    };
    const chart = new uPlot(options, [[], [], [], [], [], []], element);
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
    // labelKey stands for the labels (a new language rebuilds the chart)
  }, [empty, labelKey]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data, empty, labelKey]);

  if (empty) {
    return (
      <Empty
        image={Empty.PRESENTED_IMAGE_SIMPLE}
        description={t('rollout.chart.empty')}
        data-testid="rollout-chart-empty"
      />
    );
  }
  const legend: [string, string, boolean][] = [
    [labels.weight, WEIGHT_COLOR, false],
    [labels.baselineErrors, BASELINE_COLOR, false],
    [labels.candidateErrors, CANDIDATE_COLOR, false],
    [labels.baselineTtft, BASELINE_COLOR, true],
    [labels.candidateTtft, CANDIDATE_COLOR, true],
  ];
  return (
    <figure style={{ margin: 0 }}>
      <div
        ref={host}
        className="rollout-chart"
        data-testid="rollout-chart"
        data-points={count}
        role="img"
        aria-label={t('rollout.chart.aria', { count })}
      />
      <figcaption className="chart-legend">
        {legend.map(([label, color, dashed]) => (
          <span key={label}>
            <span
              className={`chart-legend__swatch${dashed ? ' chart-legend__swatch--dashed' : ''}`}
              style={{ '--swatch': color } as CSSProperties}
            />
            {label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
