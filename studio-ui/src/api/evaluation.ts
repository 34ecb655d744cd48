// Evaluations of a fine-tune against a baseline (`/api/finetune/tasks/{id}/evaluations`, issue 19) and the gate
// fields of switches and rollouts. The shapes are written by hand until finetune-service's and chat-switch's OpenAPI
// snapshots carry them; then these names point at the generated ones (`src/api/types.ts` style) and this note goes.
import { getJson, sendJson } from './http';
import type { MetricPoint, RolloutRequest, SwitchRequest, Task } from './types';

/**
 * A point of a task's metrics series: a training step (`loss`, `learning_rate`) or an evaluation on the validation
 * split (`eval_loss`, training fields null).
 */
export type ChartPoint = MetricPoint & { eval_loss?: number | null };

export type EvaluationState = 'queued' | 'running' | 'completed' | 'failed';
export type Verdict = 'better' | 'worse' | 'inconclusive';

/** One arm's figures over the eval set; a figure the service could not compute is null. */
export interface EvaluationMetrics {
  samples?: number | null;
  exact_match?: number | null;
  token_f1?: number | null;
  rouge_l?: number | null;
  avg_answer_chars?: number | null;
  avg_latency_ms?: number | null;
  loss?: number | null;
  perplexity?: number | null;
  judge_win_rate?: number | null;
}

export interface EvaluationSample {
  prompt: string;
  reference?: string | null;
  candidate?: string | null;
  baseline?: string | null;
  /** `candidate`, `baseline` or `tie` when a judge is configured. */
  judge_winner?: string | null;
}

export interface JudgeConfig {
  base_url: string;
  model: string;
  /** The name of the environment variable (on the service) that holds the judge's key, never the key. */
  api_key_env?: string | null;
}

export interface Evaluation {
  evaluation_id: string;
  task_id: string;
  state: EvaluationState;
  baseline: string;
  candidate_model?: string | null;
  baseline_model?: string | null;
  eval_set?: { source?: string | null; samples?: number | null } | null;
  max_samples?: number | null;
  max_tokens?: number | null;
  judge?: JudgeConfig | null;
  progress?: { done?: number | null; total?: number | null } | null;
  created_at?: string | null;
  started_at?: string | null;
  completed_at?: string | null;
  metrics?: { candidate?: EvaluationMetrics | null; baseline?: EvaluationMetrics | null } | null;
  samples?: EvaluationSample[] | null;
  verdict?: Verdict | null;
  verdict_reason?: string | null;
  error?: { code?: string | null; message?: string | null } | null;
}

export interface EvaluationRequest {
  eval_file?: string;
  /** `base` (the task's base model) or the name of a served model. */
  baseline: string;
  max_samples: number;
  max_tokens: number;
  judge?: JudgeConfig;
}

/** The latest evaluation of a task as the task carries it (`evaluation`). */
export type EvaluationSummary = NonNullable<Task['evaluation']>;

/** What a switch or a rollout may add: require a completed, not-worse evaluation, or override that gate. */
export interface EvaluationGate {
  require_evaluation?: boolean;
  force?: boolean;
}
export type GatedSwitchRequest = SwitchRequest & EvaluationGate;
export type GatedRolloutRequest = RolloutRequest & EvaluationGate;

/** The 409 codes of the gate. */
export const GATE_CODES = ['evaluation_missing', 'evaluation_worse'] as const;
export type GateCode = (typeof GATE_CODES)[number];

export function isGateCode(code: string | undefined | null): code is GateCode {
  return (GATE_CODES as readonly string[]).includes(code ?? '');
}

export function isEvaluationFinished(evaluation: Pick<Evaluation, 'state'>): boolean {
  return evaluation.state === 'completed' || evaluation.state === 'failed';
}

const enc = encodeURIComponent;
const evaluationsPath = (taskId: string) => `/api/finetune/tasks/${enc(taskId)}/evaluations`;

export const evaluationApi = {
  /** 202 with the queued evaluation; 409 `task_not_completed`. */
  start: (taskId: string, request: EvaluationRequest) => sendJson<Evaluation>('POST', evaluationsPath(taskId), request),
  /** Newest first, without samples. */
  list: (taskId: string, signal?: AbortSignal) =>
    getJson<{ evaluations: Evaluation[] }>(evaluationsPath(taskId), signal).then((body) => body.evaluations ?? []),
  get: (taskId: string, evaluationId: string, signal?: AbortSignal) =>
    getJson<Evaluation>(`${evaluationsPath(taskId)}/${enc(evaluationId)}`, signal),
};
