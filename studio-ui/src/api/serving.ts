import type { GatedRolloutRequest } from './evaluation';
import { getJson, sendJson } from './http';
import type { Rollout, ServeResult, ServingState, UnserveResult } from './types';

const enc = encodeURIComponent;

/** chat-switch-service's serving set (models addressable by name) and rollouts, through the gateway. */
export const servingApi = {
  serving: (signal?: AbortSignal) => getJson<ServingState>('/api/chat/serving', signal),
  /** 200 when the model is served already, 202 while it loads (`state: loading`). */
  serve: (model: string) => sendJson<ServeResult>('POST', '/api/chat/serving', { model }),
  unserve: (model: string) => sendJson<UnserveResult>('DELETE', `/api/chat/serving/${enc(model)}`),
  rollouts: (limit: number, signal?: AbortSignal) => getJson<Rollout[]>(`/api/chat/rollouts?limit=${limit}`, signal),
  rollout: (id: string, signal?: AbortSignal) => getJson<Rollout>(`/api/chat/rollouts/${enc(id)}`, signal),
  /** `require_evaluation` / `force`: the evaluation gate (409 `evaluation_missing` / `evaluation_worse`). */
  startRollout: (request: GatedRolloutRequest) => sendJson<Rollout>('POST', '/api/chat/rollouts', request),
  promote: (id: string) => sendJson<Rollout>('POST', `/api/chat/rollouts/${enc(id)}/promote`),
  abort: (id: string) => sendJson<Rollout>('POST', `/api/chat/rollouts/${enc(id)}/abort`),
};
