// REST shapes of docs/ARCHITECTURE.md (snake_case, as the services send them).

export type TaskStatus =
  | 'pending'
  | 'queued'
  | 'preparing'
  | 'training'
  | 'completed'
  | 'failed'
  | 'cancelled';

export type TrainingMethod = 'lora' | 'qlora' | 'full';

export interface Warning {
  code: string;
  message: string;
}

export interface Task {
  task_id: string;
  model_name: string;
  dataset_path?: string | null;
  output_dir?: string | null;
  status: TaskStatus;
  phase?: string | null;
  progress?: number | null;
  current_epoch?: number | null;
  total_epochs?: number | null;
  step?: number | null;
  total_steps?: number | null;
  loss?: number | null;
  learning_rate?: number | null;
  eta_seconds?: number | null;
  queue_position?: number | null;
  created_at?: string | null;
  started_at?: string | null;
  completed_at?: string | null;
  error_message?: string | null;
  logs?: string[] | string | null;
  config?: Record<string, unknown> | null;
  method?: TrainingMethod | string | null;
  artifacts?: { lora?: string | null; merged_model?: string | null } | null;
  warnings?: Warning[] | null;
  executor?: string | null;
}

export interface DatasetError {
  line: number;
  code: string;
  message: string;
}

export interface Dataset {
  dataset_id: string;
  path: string;
  filename: string;
  format: 'alpaca' | 'sharegpt' | 'openai' | 'prompt_completion' | string;
  valid_records: number;
  invalid_records: number;
  size_bytes: number;
  stats?: { avg_chars?: number; max_chars?: number; estimated_tokens?: number } | null;
  errors?: DatasetError[] | null;
  samples?: number;
  characters?: number;
  estimated_tokens?: number;
}

export interface Model {
  id: string;
  name: string;
  type: 'base' | 'finetuned';
  base_model?: string | null;
  path?: string | null;
  artifact?: 'lora' | 'merged' | null;
  task_id?: string | null;
  created_at?: string | null;
  params_b?: number | null;
  context_length?: number | null;
  vram_hint_gb?: number | null;
  description?: string | null;
}

export type ModelKind = 'base' | 'finetuned' | 'cloud' | 'none';

export interface CurrentModel {
  current_model: string | null;
  model_path?: string | null;
  served_model_name?: string | null;
  kind: ModelKind;
  base_model?: string | null;
  base_url?: string | null;
  state?: string | null;
  llm_service_running: boolean;
  since?: string | null;
}

export type SwitchState =
  | 'pending'
  | 'starting'
  | 'waiting_ready'
  | 'smoke_test'
  | 'routing'
  | 'draining'
  | 'completed'
  | 'failed';

export interface SwitchOperation {
  id: string;
  model?: string | null;
  task_id?: string | null;
  strategy?: string | null;
  state: SwitchState;
  error?: string | null;
  rolled_back?: boolean | null;
  /** true when a local serving engine now runs the model; false when the switch is only recorded. */
  llm_service_restarted?: boolean | null;
  timings?: {
    requested_at?: string | null;
    ready_at?: string | null;
    routed_at?: string | null;
    finished_at?: string | null;
    downtime_ms?: number | null;
  } | null;
  steps?: { at: string; message: string }[] | null;
}

export interface SwitchResult {
  current_model: string;
  llm_service_restarted: boolean;
  operation?: SwitchOperation | null;
}

export interface GpuDevice {
  id?: string;
  index: number;
  uuid?: string;
  name: string;
  node?: string | null;
  memory_gb?: number | null;
  memory_total_bytes?: number | null;
  memory_free_bytes?: number | null;
  memory_used_bytes?: number | null;
  utilization_gpu?: number | null;
  utilization_memory?: number | null;
  temperature_c?: number | null;
  power_w?: number | null;
  processes?: { pid: number; used_memory_bytes: number }[] | null;
}

export interface GpuInfo {
  available: boolean;
  count: number;
  devices: GpuDevice[];
  recommendation?: unknown;
  reason?: string | null;
  nodes?: unknown;
}

export interface MemoryEstimateRequest {
  model: string;
  method: string;
  batch_size: number;
  max_length: number;
  gradient_accumulation_steps: number;
  lora_r: number;
}

export interface GpuFit {
  /** a well-known GPU ("NVIDIA A10 24GB") or a GPU seen in telemetry */
  gpu: string;
  memory_bytes: number;
  fits: boolean;
  fits_worst_case?: boolean;
  headroom_bytes?: number;
  /** null for a well-known GPU */
  node?: string | null;
  uuid?: string | null;
}

export interface EstimateDevice {
  node?: string | null;
  uuid?: string | null;
  index: number;
  name: string;
  memory_total_bytes: number;
  memory_free_bytes: number;
  fits: boolean;
  headroom_bytes?: number;
}

export interface MemoryEstimate {
  low_bytes: number;
  expected_bytes: number;
  high_bytes: number;
  breakdown?: Record<string, number> | null;
  fits?: GpuFit[] | null;
  devices?: EstimateDevice[] | null;
  recommendation?: { target?: string; fits?: boolean | null; reason?: string | null } | null;
  notes?: string[] | null;
}

export interface MetricPoint {
  step: number;
  epoch?: number | null;
  loss?: number | null;
  learning_rate?: number | null;
  grad_norm?: number | null;
  tokens_per_second?: number | null;
  timestamp?: string | null;
}

export interface TaskMetrics {
  task_id: string;
  points: MetricPoint[];
}

export interface CreateTaskRequest {
  model_name: string;
  dataset_file: string;
  num_epochs: number;
  batch_size: number;
  gradient_accumulation_steps: number;
  learning_rate: number;
  max_length: number;
  method: TrainingMethod;
  lora_r: number;
  lora_alpha: number;
  merge: boolean;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}
