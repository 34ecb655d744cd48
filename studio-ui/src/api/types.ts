// The REST shapes the UI reads, named from the services' OpenAPI documents (src/api/generated/, made by
// `npm run gen:api` from src/api/openapi/*.json). Nothing here restates a service's response by hand: when a service
// drops or renames a field the UI reads, `tsc` (part of `npm test` and of the build) fails.
import type { components as ChatSwitchApi } from './generated/chat-switch';
import type { components as FinetuneApi } from './generated/finetune';
import type { components as GatewayApi } from './generated/gateway';
import type { components as GpuProbeApi } from './generated/gpu-probe';

type Finetune = FinetuneApi['schemas'];
type ChatSwitch = ChatSwitchApi['schemas'];
type GpuProbe = GpuProbeApi['schemas'];
type Gateway = GatewayApi['schemas'];

/** The fields `K` of a request body that the UI always sets (the service accepts them absent or null). */
type Sent<T, K extends keyof T> = { [P in K]-?: NonNullable<T[P]> };

// finetune-service
export type Task = Finetune['Task'];
/**
 * A task in a page of `GET /api/finetune/tasks?limit=…`: a Task without `logs`, `config`, `attempts`,
 * `warning_details`, `trackers`, `dataset_path`, `dataset_source` and `output_dir` (`getTask` has them). The table and
 * its actions read rows; the drawer and "Clone & edit" need the whole task ({@link isWholeTask}).
 */
export type TaskRow = Finetune['TaskRow'];

/** Whether a task known to the list is a whole Task (the stream's events) rather than a page's row. */
export function isWholeTask(task: TaskRow): task is Task {
  return Array.isArray((task as Partial<Task>).attempts);
}
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
/** One page of `GET /api/finetune/tasks?limit=…`: `next_cursor` asks for the next one (null on the last). */
export type TaskPage = Finetune['TaskPage'];
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

// finetune-service: webhooks and the audit log (issue 23; admin only)
export type Webhook = Finetune['Webhook'];
export type WebhookRequest = Finetune['WebhookRequest'];
/** `PATCH /api/webhooks/{id}`: only the fields given change. */
export type WebhookPatch = Finetune['WebhookPatch'];
/** The answer to a create: the webhook and its signing secret, the only time the secret is shown. */
export type CreatedWebhook = Finetune['WebhookCreated'];
/** One delivery of an event to a webhook (its id is the `webhook-id` header the receiver got). */
export type WebhookDelivery = Finetune['WebhookDelivery'];
export type DeliveryState = Finetune['WebhookDeliveryState'];
export type WebhookList = Finetune['WebhookList'];
export type WebhookDeliveryList = Finetune['WebhookDeliveryList'];
/**
 * One state-changing call (studio-events' `AuditEvent`, whose document marks nothing required): the service writes
 * every entry with an id, a time, an action and an outcome (`ok`, `refused`, `failed`).
 */
export type AuditEntry = Written<Finetune['AuditEvent'], 'id' | 'at' | 'action' | 'outcome'>;
export type AuditEntries = Replace<Finetune['AuditEntries'], { entries: AuditEntry[] }>;

// chat-switch-service
export type CurrentModel = ChatSwitch['CurrentModel'];
export type ModelKind = CurrentModel['kind'];
export type SwitchOperation = ChatSwitch['SwitchOperation'];
export type SwitchState = ChatSwitch['SwitchState'];
export type SwitchResult = ChatSwitch['SeedSwitchResponse'];
export type SwitchRequest = ChatSwitch['SwitchRequest'];

// chat-switch-service: the serving set and rollouts
export type ServingState = ChatSwitch['ServingView'];
export type ServingEngine = ChatSwitch['ServingEngine'];
export type ServedModel = ChatSwitch['ServedModel'];
export type ServedTraffic = ChatSwitch['ServedModelTraffic'];
export type ServeResult = ChatSwitch['ServeResult'];
export type UnserveResult = ChatSwitch['Unserved'];
export type RolloutState = ChatSwitch['State'];
/**
 * chat-switch's document marks no field of a Rollout required, yet the service always writes these (Java primitives,
 * lists copied at construction, ids and states set when it is made): `Written` names them so the UI reads them
 * without inventing defaults. A key the document loses still fails `tsc` (`K extends keyof T`).
 */
type Written<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** `T` with the properties of `R` replaced; every key of `R` must be one of `T`'s (so a dropped field fails `tsc`). */
type Replace<T, R extends { [P in keyof R]: P extends keyof T ? unknown : never }> = Omit<T, keyof R> & R;
/** One arm's figures in a rollout step. */
export type RolloutArm = Written<ChatSwitch['Arm'], 'model' | 'requests' | 'errors' | 'error_rate'>;
type RolloutArms = { baseline?: RolloutArm | null; candidate?: RolloutArm | null };
export type RolloutGuards = Written<ChatSwitch['Guards'], 'max_error_rate' | 'max_ttft_ratio' | 'min_requests'>;
/** One event of a rollout's history: `started`, `serving`, `advanced`, `promoted`, `rolled_back`, `aborted`, `note`. */
export type RolloutEvent = Replace<Written<ChatSwitch['Entry'], 'at' | 'weight' | 'event'>, RolloutArms>;
export type Rollout = Replace<
  Written<
    ChatSwitch['Rollout'],
    'rollout_id' | 'model' | 'state' | 'weight' | 'step' | 'steps' | 'step_seconds' | 'guards' | 'history'
  >,
  { guards: RolloutGuards; history: RolloutEvent[]; arms?: RolloutArms | null }
>;
/** What the rollout form sends: every setting (the form starts from the service's defaults). */
export type RolloutRequest = Sent<
  ChatSwitch['RolloutRequest'],
  'model' | 'steps' | 'step_seconds' | 'max_error_rate' | 'max_ttft_ratio' | 'min_requests'
>;

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

// gateway-adapter
/**
 * The caller as the gateway's authentication resolved it (`GET /api/whoami`, any studio role): `actor` is the name the
 * audit log records (a token's name, the OIDC principal, `local` without authentication), `role` what it may do.
 */
export type WhoAmI = Gateway['WhoAmI'];

/** A message of `/v1/chat/completions` (the OpenAI protocol the model server speaks; not a Studio service's document). */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}
