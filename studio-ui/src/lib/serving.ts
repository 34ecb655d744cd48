import type { AlignedData } from 'uplot';
import type { Rollout, RolloutArm, ServedModel, ServingState } from '../api/types';
import { en, type MessageKey } from '../i18n/en';
import type { Translate } from '../i18n/I18nProvider';

/** The guards and steps a new rollout starts with (the server's documented defaults). */
export const ROLLOUT_DEFAULTS = {
  steps: [10, 50, 100],
  step_seconds: 60,
  max_error_rate: 0.02,
  max_ttft_ratio: 1.5,
  min_requests: 20,
} as const;

/** At most this many live samples of a rollout are kept for its chart (one per poll). */
export const MAX_SAMPLES = 1200;

export type StepsProblem = 'format' | 'range' | 'order' | 'last';

/**
 * `10, 50,100` → `[10, 50, 100]`, or what is wrong with it: the same rules the server applies (increasing, each
 * within 1–100, the last 100) so the form says so before sending.
 */
export function parseSteps(text: string): number[] | StepsProblem {
  const parts = text
    .split(/[,\s]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) {
    return 'format';
  }
  const steps = parts.map(Number);
  if (steps.some((s) => s < 1 || s > 100)) {
    return 'range';
  }
  if (steps.some((s, i) => i > 0 && s <= steps[i - 1])) {
    return 'order';
  }
  if (steps[steps.length - 1] !== 100) {
    return 'last';
  }
  return steps;
}

/** errors / requests, or null before the first request. */
export function errorRate(requests: number | null | undefined, errors: number | null | undefined): number | null {
  return requests ? (errors ?? 0) / requests : null;
}

export function formatMs(value: number | null | undefined): string {
  return value == null ? '—' : `${Math.round(value)} ms`;
}

/** A share 0–1 as `1.5%`; `—` when unknown. */
export function formatRate(value: number | null | undefined): string {
  if (value == null) {
    return '—';
  }
  const percent = value * 100;
  return `${percent === Math.round(percent) ? percent.toFixed(0) : percent.toFixed(1)}%`;
}

/** One point of a rollout's chart: the candidate's weight and both arms' figures at a moment. */
export interface RolloutSample {
  /** Seconds since the epoch. */
  at: number;
  weight: number;
  baseline?: RolloutArm | null;
  candidate?: RolloutArm | null;
}

/** The rollout's history as chart points (each event carries both arms' figures at that moment). */
export function historySamples(rollout: Rollout): RolloutSample[] {
  return rollout.history
    .map((e) => ({ at: Date.parse(e.at) / 1000, weight: e.weight, baseline: e.baseline, candidate: e.candidate }))
    .filter((s) => Number.isFinite(s.at));
}

/** The live figures of a rollout read now, as a chart point. */
export function liveSample(rollout: Rollout, nowMs: number): RolloutSample {
  return {
    at: nowMs / 1000,
    weight: rollout.weight,
    baseline: rollout.arms?.baseline,
    candidate: rollout.arms?.candidate,
  };
}

/**
 * uPlot's columns for the two arms over time: [time, candidate weight %, baseline error %, candidate error %,
 * baseline TTFT p95 ms, candidate TTFT p95 ms], sorted by time, one point per second at most (the later wins).
 */
export function rolloutSeries(samples: RolloutSample[]): AlignedData {
  const bySecond = new Map<number, RolloutSample>();
  for (const sample of [...samples].sort((a, b) => a.at - b.at)) {
    bySecond.set(Math.floor(sample.at), sample);
  }
  const points = [...bySecond.entries()].sort((a, b) => a[0] - b[0]);
  const pct = (arm: RolloutArm | null | undefined) =>
    arm && arm.requests > 0 ? (arm.error_rate ?? arm.errors / arm.requests) * 100 : null;
  return [
    points.map(([t]) => t),
    points.map(([, s]) => s.weight),
    points.map(([, s]) => pct(s.baseline)),
    points.map(([, s]) => pct(s.candidate)),
    points.map(([, s]) => s.baseline?.ttft_p95_ms ?? null),
    points.map(([, s]) => s.candidate?.ttft_p95_ms ?? null),
  ];
}

/** The running rollout of a list (newest first), else the newest one. */
export function currentRollout(rollouts: Rollout[] | undefined): Rollout | undefined {
  return rollouts?.find((r) => r.state === 'running') ?? rollouts?.[0];
}

/** Why a served model cannot be unserved now (the server answers 409 for both), or null. */
export function unserveBlocker(model: ServedModel): 'default' | 'rollout' | null {
  if (model.default) {
    return 'default';
  }
  return model.rollout ? 'rollout' : null;
}

/** The models a chat can name: ready ones, the default first. */
export function chatModels(serving: ServingState | undefined): ServedModel[] {
  return (serving?.models ?? [])
    .filter((m) => m.state === 'ready')
    .sort((a, b) => Number(b.default) - Number(a.default) || a.model.localeCompare(b.model));
}

/** The label of `prefix.value` when the UI has one, else the value as the server sent it (a newer server's word). */
export function labelOf(t: Translate, prefix: string, value: string): string {
  const key = `${prefix}.${value}`;
  return key in en ? t(key as MessageKey) : value;
}
