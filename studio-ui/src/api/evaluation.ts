// Evaluations of a fine-tune against a baseline (`/api/finetune/tasks/{id}/evaluations`, issue 19) and the gate
// fields of switches and rollouts, named from the services' generated shapes.
import type { components as ChatSwitchApi } from './generated/chat-switch';
import type { components as FinetuneApi } from './generated/finetune';
import { getJson, sendJson } from './http';
import type { MetricPoint, RolloutRequest, SwitchRequest, Task } from './types';

type Finetune = FinetuneApi['schemas'];

/** A point of a task's metrics series: a training step (`loss`, `learning_rate`) or an eval record (`eval_loss`). */
export type ChartPoint = MetricPoint;

export type Evaluation = Finetune['Evaluation'];
export type EvaluationState = Evaluation['state'];
export type Verdict = NonNullable<Evaluation['verdict']>;
/** One arm's figures over the eval set; loss, perplexity and the judge's win rate are null when not computed. */
export type EvaluationMetrics = Finetune['EvaluationMetrics'];
export type EvaluationSample = Finetune['EvaluationSample'];

/** What the evaluate form sends: the baseline and both caps always, an eval file and a judge when given. */
export type EvaluationRequest = Finetune['EvaluationRequest'] & {
  baseline: string;
  max_samples: number;
  max_tokens: number;
};

/** The latest evaluation of a task as the task carries it (`evaluation`). */
export type EvaluationSummary = NonNullable<Task['evaluation']>;

/** What a switch or a rollout may add: require a completed, not-worse evaluation, or override that gate. */
export type EvaluationGate = Pick<ChatSwitchApi['schemas']['RolloutRequest'], 'require_evaluation' | 'force'>;
/** A switch request: chat-switch's, gate fields included. */
export type GatedSwitchRequest = SwitchRequest;
/** The rollout form's request (every setting) plus the gate fields when set. */
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
    getJson<Finetune['EvaluationList']>(evaluationsPath(taskId), signal).then((body) => body.evaluations ?? []),
  get: (taskId: string, evaluationId: string, signal?: AbortSignal) =>
    getJson<Evaluation>(`${evaluationsPath(taskId)}/${enc(evaluationId)}`, signal),
};
