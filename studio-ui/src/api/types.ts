// The REST shapes the UI reads, named from the services' OpenAPI documents (src/api/generated/, made by
// `npm run gen:api` from src/api/openapi/*.json). Nothing here restates a service's response by hand: when a service
// drops or renames a field the UI reads, `tsc` (part of `npm test` and of the build) fails.
import type { components as ChatSwitchApi } from './generated/chat-switch';
import type { components as FinetuneApi } from './generated/finetune';
import type { components as GpuProbeApi } from './generated/gpu-probe';

type Finetune = FinetuneApi['schemas'];
type ChatSwitch = ChatSwitchApi['schemas'];
type GpuProbe = GpuProbeApi['schemas'];

/** The fields `K` of a request body that the UI always sets (the service accepts them absent or null). */
type Sent<T, K extends keyof T> = { [P in K]-?: NonNullable<T[P]> };

// finetune-service
export type Task = Finetune['Task'];
/** A task's `merge_run`: the merge of its LoRA adapter into merged_model/ after training. */
export type MergeRun = Finetune['MergeRun'];
/** One run of a task (`attempts` of a Task; `POST …/retry` starts the next). */
export type TaskAttempt = Finetune['TaskAttempt'];
export type TaskStatus = Finetune['TaskStatus'];
export type TrainingMethod = Finetune['TrainingMethod'];
export type Warning = Finetune['TaskWarning'];
export type Dataset = Finetune['Dataset'];
export type DatasetError = Finetune['RecordError'];
export type PreparedDataset = Finetune['Prepared'];
export type Model = Finetune['Model'];
export type TaskMetrics = Finetune['TaskMetrics'];
export type MetricPoint = Finetune['MetricPoint'];
/** `data` of a `deleted` event on `/api/finetune/tasks/stream`. */
export type TaskDeleted = Finetune['TaskDeleted'];
/** What the create form sends: every field of the service's request that the form sets. */
export type CreateTaskRequest = Sent<
  Finetune['TaskRequest'],
  | 'model_name'
  | 'dataset_file'
  | 'num_epochs'
  | 'batch_size'
  | 'gradient_accumulation_steps'
  | 'learning_rate'
  | 'max_length'
  | 'method'
  | 'lora_r'
  | 'lora_alpha'
  | 'merge'
> & { method: TrainingMethod };

// chat-switch-service
export type CurrentModel = ChatSwitch['CurrentModel'];
export type ModelKind = CurrentModel['kind'];
export type SwitchOperation = ChatSwitch['SwitchOperation'];
export type SwitchState = ChatSwitch['SwitchState'];
export type SwitchResult = ChatSwitch['SeedSwitchResponse'];
export type SwitchRequest = ChatSwitch['SwitchRequest'];

// chat-switch-service: the serving set and rollouts (docs/ARCHITECTURE.md, chat-switch rows). Written by hand in this
// one block only until chat-switch's OpenAPI document has them; then each becomes `ChatSwitch['…']` like the rest.
/** An engine of `GET /api/chat/serving`: one model server with the LoRA adapters loaded on it. */
export interface ServingEngine {
  id: string;
  base_model?: string | null;
  url?: string | null;
  state: string;
  max_loras?: number | null;
  max_lora_rank?: number | null;
  adapters: { name: string; path?: string | null }[];
}
/** The traffic of a served model since chat-switch started (the gateways' running totals). */
export interface ServedTraffic {
  requests: number;
  errors: number;
  ttft_p50_ms?: number | null;
  ttft_p95_ms?: number | null;
}
/** A model addressable by name (`model` in /v1 requests). */
export interface ServedModel {
  model: string;
  display_name?: string | null;
  engine?: string | null;
  kind: 'base' | 'lora' | 'merged' | 'cloud';
  state: 'loading' | 'ready' | 'failed';
  default: boolean;
  rollout?: { rollout_id: string; arm: 'baseline' | 'candidate'; weight: number } | null;
  loaded_at?: string | null;
  last_used_at?: string | null;
  traffic?: ServedTraffic | null;
}
export interface ServingState {
  engines: ServingEngine[];
  models: ServedModel[];
  /** The served name `sage-chat` reaches. */
  default?: string | null;
}
export interface ServeRequest {
  model: string;
}
export interface ServeResult {
  model: string;
  display_name?: string | null;
  engine?: string | null;
  state: ServedModel['state'];
  operation_id?: string | null;
}
export interface UnserveResult {
  model: string;
  state: string;
  engine_stopped: boolean;
}
/** One arm's figures in a rollout step. */
export interface RolloutArm {
  model: string;
  requests: number;
  errors: number;
  error_rate: number;
  ttft_p50_ms?: number | null;
  ttft_p95_ms?: number | null;
}
export type RolloutState = 'running' | 'promoted' | 'rolled_back' | 'aborted';
export interface RolloutEvent {
  at: string;
  weight: number;
  /** `started`, `serving`, `advanced`, `promoted`, `rolled_back`, `aborted` or `note` (more may come). */
  event: string;
  message?: string | null;
  baseline?: RolloutArm | null;
  candidate?: RolloutArm | null;
}
export interface RolloutGuards {
  max_error_rate: number;
  max_ttft_ratio: number;
  min_requests: number;
}
export interface Rollout {
  rollout_id: string;
  model: string;
  baseline?: string | null;
  state: RolloutState;
  weight: number;
  step: number;
  steps: number[];
  step_seconds: number;
  guards: RolloutGuards;
  step_started_at?: string | null;
  arms?: { baseline?: RolloutArm | null; candidate?: RolloutArm | null } | null;
  history: RolloutEvent[];
  reason?: string | null;
  created_at?: string | null;
  finished_at?: string | null;
}
export type RolloutRequest = { model: string; steps: number[]; step_seconds: number } & RolloutGuards;

// gpu-probe-service
export type GpuInfo = GpuProbe['GpuInfo'];
export type GpuDevice = GpuProbe['GpuDevice'];
/** What the create form asks the estimate for. */
export type MemoryEstimateRequest = Sent<
  GpuProbe['EstimateRequest'],
  'model' | 'method' | 'batch_size' | 'max_length' | 'gradient_accumulation_steps' | 'lora_r'
>;
export type MemoryEstimate = GpuProbe['EstimateResponse'];
export type GpuFit = GpuProbe['GpuFit'];
export type EstimateDevice = GpuProbe['EstimateDevice'];

/** A message of `/v1/chat/completions` (the OpenAI protocol the model server speaks; not a Studio service's document). */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}
