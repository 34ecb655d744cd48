import { Empty } from 'antd';
import { useEffect, useRef, type CSSProperties } from 'react';
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartPoint } from '../api/evaluation';

export type { ChartPoint };
import { useI18n } from '../i18n/I18nProvider';

const LOSS_COLOR = '#4f46e5';
const LR_COLOR = '#f59e0b';
const EVAL_COLOR = '#059669';
const BEST_COLOR = '#dc2626';
const HEIGHT = 220;

/** x = step; training loss, learning rate and eval loss per step (a step with both a train and an eval record is one x). */
export function toSeries(points: ChartPoint[]): AlignedData {
  // A metrics record without a step has no place on the x axis.
  const byStep = new Map<number, { loss: number | null; lr: number | null; evalLoss: number | null }>();
  for (const p of points) {
    if (p.step == null) {
      continue;
    }
    const row = byStep.get(p.step) ?? { loss: null, lr: null, evalLoss: null };
    row.loss = p.loss ?? row.loss;
    row.lr = p.learning_rate ?? row.lr;
    row.evalLoss = p.eval_loss ?? row.evalLoss;
    byStep.set(p.step, row);
  }
  const steps = [...byStep.keys()].sort((a, b) => a - b);
  const rows = steps.map((step) => byStep.get(step)!);
  return [steps, rows.map((r) => r.loss), rows.map((r) => r.lr), rows.map((r) => r.evalLoss)];
}

/** How many points of the series are evaluations. */
export function evalPointCount(points: ChartPoint[]): number {
  return points.filter((p) => p.step != null && p.eval_loss != null).length;
}

/** A dashed vertical line at the best checkpoint's step, labelled. */
function bestStepPlugin(bestStep: number | null | undefined, label: string): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        if (bestStep == null) {
          return;
        }
        const x = u.valToPos(bestStep, 'x', true);
        const { top, height, left, width } = u.bbox;
        if (!Number.isFinite(x) || x < left || x > left + width) {
          return;
        }
        const ctx = u.ctx;
        ctx.save();
        ctx.strokeStyle = BEST_COLOR;
        ctx.setLineDash([4, 4]);
        ctx.lineWidth = 1.5 * devicePixelRatio;
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, top + height);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = BEST_COLOR;
        ctx.font = `${11 * devicePixelRatio}px sans-serif`;
        ctx.fillText(label, x + 4 * devicePixelRatio, top + 12 * devicePixelRatio);
        ctx.restore();
      },
    },
  };
}

function formatLr(value: number): string {
  return value === 0 ? '0' : value.toExponential(1);
}

/**
 * Training loss and eval loss (left axis) and learning rate (right axis) against the optimiser step; a dashed line
 * marks the best checkpoint's step (`bestStep`, the lowest eval loss) when the task has one.
 */
export function LossChart({ points, bestStep }: { points: ChartPoint[]; bestStep?: number | null }) {
  const { t } = useI18n();
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const lossLabel = t('chart.loss');
  const lrLabel = t('chart.learningRate');
  const stepLabel = t('chart.step');
  const evalLabel = t('chart.evalLoss');
  const bestLabel = bestStep != null ? t('chart.bestStep', { step: bestStep }) : '';
  const empty = points.length === 0;
  const evalPoints = evalPointCount(points);

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
      plugins: [bestStepPlugin(bestStep, bestLabel)],
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
        {
          label: evalLabel,
          stroke: EVAL_COLOR,
          width: 2,
          points: { show: true, size: 5 },
          spanGaps: true,
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
    const chart = new uPlot(options, [[], [], [], []], element);
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
  }, [empty, lossLabel, lrLabel, stepLabel, evalLabel, bestStep, bestLabel]);

  useEffect(() => {
    plot.current?.setData(toSeries(points));
  }, [points, empty, lossLabel, evalLabel, bestStep]);

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
        data-eval-points={evalPoints}
        data-best-step={bestStep ?? undefined}
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
        {evalPoints > 0 && (
          <span data-testid="chart-eval-legend">
            <span className="chart-legend__swatch" style={{ '--swatch': EVAL_COLOR } as CSSProperties} />
            {evalLabel}
          </span>
        )}
        {bestStep != null && (
          <span data-testid="chart-best-step">
            <span
              className="chart-legend__swatch chart-legend__swatch--dashed"
              style={{ '--swatch': BEST_COLOR } as CSSProperties}
            />
            {bestLabel}
          </span>
        )}
      </figcaption>
    </figure>
  );
}
