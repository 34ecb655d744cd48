// How the compare view reads an evaluation's figures: which metrics exist, which way is better, how to print them.
import type { EvaluationMetrics, Verdict } from '../api/evaluation';

export type MetricKey = keyof EvaluationMetrics;
/** `higher` / `lower`: the better value; `none`: a description, not a score (sample count, answer length). */
export type Direction = 'higher' | 'lower' | 'none';

export interface MetricSpec {
  key: MetricKey;
  direction: Direction;
  /** `percent` for 0–1 ratios, `ms`, or a plain number with `digits` decimals. */
  unit: 'percent' | 'ms' | 'number';
  digits: number;
}

/** In the order the table shows them: the scores against the references first, then the model's own figures. */
export const METRICS: MetricSpec[] = [
  { key: 'exact_match', direction: 'higher', unit: 'percent', digits: 1 },
  { key: 'token_f1', direction: 'higher', unit: 'percent', digits: 1 },
  { key: 'rouge_l', direction: 'higher', unit: 'percent', digits: 1 },
  { key: 'judge_win_rate', direction: 'higher', unit: 'percent', digits: 1 },
  { key: 'loss', direction: 'lower', unit: 'number', digits: 4 },
  { key: 'perplexity', direction: 'lower', unit: 'number', digits: 2 },
  { key: 'avg_latency_ms', direction: 'lower', unit: 'ms', digits: 0 },
  { key: 'avg_answer_chars', direction: 'none', unit: 'number', digits: 0 },
  { key: 'samples', direction: 'none', unit: 'number', digits: 0 },
];

export function formatMetric(spec: MetricSpec, value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) {
    return '—';
  }
  switch (spec.unit) {
    case 'percent':
      return `${(value * 100).toFixed(spec.digits)} %`;
    case 'ms':
      return `${value.toFixed(spec.digits)} ms`;
    default:
      return value.toFixed(spec.digits);
  }
}

/** Which arm has the better value of a metric; null when it has no direction, a value is missing, or they tie. */
export function betterArm(
  spec: MetricSpec,
  candidate: number | null | undefined,
  baseline: number | null | undefined,
): 'candidate' | 'baseline' | null {
  if (spec.direction === 'none' || candidate == null || baseline == null || candidate === baseline) {
    return null;
  }
  const candidateHigher = candidate > baseline;
  return candidateHigher === (spec.direction === 'higher') ? 'candidate' : 'baseline';
}

/** Ant Design colour of a verdict tag. */
export function verdictColor(verdict: Verdict | string | null | undefined): string {
  switch (verdict) {
    case 'better':
      return 'success';
    case 'worse':
      return 'error';
    case 'inconclusive':
      return 'warning';
    default:
      return 'default';
  }
}

/** The progress of an evaluation in percent (0 before its total is known). */
export function evaluationPercent(progress: { done?: number | null; total?: number | null } | null | undefined) {
  const total = progress?.total ?? 0;
  return total > 0 ? Math.min(100, Math.round(((progress?.done ?? 0) / total) * 100)) : 0;
}
