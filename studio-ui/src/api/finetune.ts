import { apiFetch, getJson, getToken, sendJson } from './http';
import { streamSse, type SseEvent } from './sse';
import type { CreateTaskRequest, Dataset, Model, PreparedDataset, Task, TaskMetrics, TaskPage } from './types';

const BASE = '/api/finetune';
const taskPath = (id: string) => `${BASE}/tasks/${encodeURIComponent(id)}`;

export const finetuneApi = {
  /** The newest `limit` tasks (1-500), or the page after `cursor` (a `next_cursor`); paged on the server. */
  listTasks: (signal?: AbortSignal, limit = 50, cursor?: string) =>
    getJson<TaskPage>(`${BASE}/tasks?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, signal),
  getTask: (id: string, signal?: AbortSignal) => getJson<Task>(taskPath(id), signal),
  createTask: (request: CreateTaskRequest) => sendJson<Task>('POST', `${BASE}/create`, request),
  cancelTask: (id: string) => sendJson<Task>('POST', `${taskPath(id)}/cancel`),
  /** Merges a completed LoRA/QLoRA task's adapter into merged_model/ (202: the task with `merge_run` queued). */
  mergeTask: (id: string, force = false) =>
    sendJson<Task>('POST', `${taskPath(id)}/merge${force ? '?force=true' : ''}`),
  /**
   * A new task with this task's dataset copy and settings plus `overrides` (any create field, validated like a
   * create); 201 with the new task, whose `cloned_from` is `id`.
   */
  cloneTask: (id: string, overrides: Partial<CreateTaskRequest> = {}) =>
    sendJson<Task>('POST', `${taskPath(id)}/clone`, overrides),
  /** Runs a failed or cancelled task again (same id, next `attempt`), from its last checkpoint unless told not to. */
  retryTask: (id: string, fromCheckpoint = true) =>
    sendJson<Task>('POST', `${taskPath(id)}/retry`, { from_checkpoint: fromCheckpoint }),
  /** Pauses a queued task at once, or asks a running trainer to checkpoint and stop (`pause_requested` until then). */
  pauseTask: (id: string) => sendJson<Task>('POST', `${taskPath(id)}/pause`),
  /** Queues a paused task again: its next `attempt`, from the latest checkpoint. */
  resumeTask: (id: string) => sendJson<Task>('POST', `${taskPath(id)}/resume`),
  deleteTask: (id: string) => sendJson<void>('DELETE', taskPath(id)),
  metrics: (id: string, signal?: AbortSignal) => getJson<TaskMetrics>(`${taskPath(id)}/metrics`, signal),
  listModels: (signal?: AbortSignal) => getJson<Model[]>(`${BASE}/models`, signal),
  listBaseModels: (signal?: AbortSignal) => getJson<Model[]>(`${BASE}/models/base`, signal),
  prepareSageDocs: () => sendJson<PreparedDataset>('POST', `${BASE}/prepare-sage-docs`),

  /**
   * Sends the file as the whole request body (its name in `?filename=`), as the CLI does: the service validates it
   * while it arrives, in one pass, where a multipart form would first be spooled to a temp file and read back.
   */
  async uploadDataset(file: File): Promise<Dataset> {
    const response = await apiFetch(`${BASE}/upload-dataset?filename=${encodeURIComponent(file.name)}`, {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/octet-stream' },
      body: file,
    });
    return (await response.json()) as Dataset;
  },

  /**
   * SSE of the changes from now on: `task` events carry a Task, `deleted` events a TaskDeleted (`{task_id}`).
   * Without the snapshot of every task (`snapshot=false`): the list reads its first page once the stream is open.
   */
  streamTasks: (signal: AbortSignal, onEvent: (event: SseEvent) => void, onOpen?: () => void) =>
    streamSse(`${BASE}/tasks/stream?snapshot=false`, { signal, onEvent, onOpen }),

  /** SSE `log` events: the last `tail` lines, then each new line. */
  followLogs: (id: string, tail: number, signal: AbortSignal, onEvent: (event: SseEvent) => void) =>
    streamSse(`${taskPath(id)}/logs?tail=${tail}&follow=true`, { signal, onEvent }),

  async logTail(id: string, tail: number, signal?: AbortSignal): Promise<string> {
    const response = await apiFetch(`${taskPath(id)}/logs?tail=${tail}`, { headers: { Accept: 'text/plain' }, signal });
    return response.text();
  },

  downloadUrl: (id: string) => `${taskPath(id)}/download`,

  /**
   * Downloads the task's model archive. Without a token the browser streams it straight to disk;
   * with one the request needs the Authorization header, so it goes through fetch and a blob.
   */
  async download(id: string): Promise<void> {
    const url = finetuneApi.downloadUrl(id);
    const anchor = document.createElement('a');
    anchor.download = `${id}.tar.gz`;
    if (!getToken()) {
      anchor.href = url;
      anchor.click();
      return;
    }
    const response = await apiFetch(url);
    const objectUrl = URL.createObjectURL(await response.blob());
    anchor.href = objectUrl;
    anchor.click();
    setTimeout(() => URL.revokeObjectURL(objectUrl), 60_000);
  },
};
