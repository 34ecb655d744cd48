import { getJson, sendJson } from './http';

// The shapes of finetune-service's /api/webhooks (issue 23's contract, docs/ARCHITECTURE.md). Written by hand until
// src/api/openapi/finetune.json documents the resource; then they are named from src/api/generated/finetune.ts.

/** `POST /api/webhooks`: the URL, the events (exact names or `task.*`, `evaluation.*`, `switch.*`, `rollout.*`, `*`). */
export interface WebhookRequest {
  url: string;
  events: string[];
  /** Unset: the service generates one (`whsec_…`) and answers it once. */
  secret?: string;
  description?: string;
}

/** A webhook as `GET /api/webhooks` lists it. */
export interface Webhook {
  id: string;
  url: string;
  events: string[];
  description?: string | null;
  enabled: boolean;
  /** Why the service disabled it (repeated failed deliveries), null while enabled. */
  disabled_reason?: string | null;
  created_at: string;
  created_by?: string | null;
  last_delivery_at?: string | null;
  /** HTTP status of the last delivery attempt. */
  last_status?: number | null;
  failures?: number | null;
}

/** The answer to a create: the webhook and its signing secret, the only time the secret is shown. */
export interface CreatedWebhook {
  id: string;
  url: string;
  events: string[];
  description?: string | null;
  enabled: boolean;
  created_at: string;
  created_by?: string | null;
  secret: string;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'gave_up';

/** One delivery of an event to a webhook (its id is the `webhook-id` header the receiver got). */
export interface WebhookDelivery {
  id: string;
  event: string;
  attempt: number;
  state: DeliveryState;
  status?: number | null;
  error?: string | null;
  next_attempt_at?: string | null;
  created_at: string;
  delivered_at?: string | null;
}

/** The events a webhook can ask for: exact names, grouped by the pattern that takes the whole family. */
export const WEBHOOK_EVENT_GROUPS: { pattern: string; events: string[] }[] = [
  {
    pattern: 'task.*',
    events: [
      'task.created',
      'task.queued',
      'task.started',
      'task.training',
      'task.completed',
      'task.failed',
      'task.cancelled',
      'task.paused',
    ],
  },
  {
    pattern: 'evaluation.*',
    events: ['evaluation.queued', 'evaluation.started', 'evaluation.completed', 'evaluation.failed'],
  },
  {
    pattern: 'switch.*',
    events: ['switch.started', 'switch.step', 'switch.succeeded', 'switch.failed', 'switch.rolled_back'],
  },
  {
    pattern: 'rollout.*',
    events: ['rollout.started', 'rollout.step', 'rollout.promoted', 'rollout.rolled_back', 'rollout.aborted'],
  },
];

const enc = encodeURIComponent;

/** finetune-service's webhooks (admin only, reads included), through the gateway. */
export const webhooksApi = {
  list: (signal?: AbortSignal) =>
    getJson<{ webhooks: Webhook[] }>('/api/webhooks', signal).then((answer) => answer.webhooks ?? []),
  create: (request: WebhookRequest) => sendJson<CreatedWebhook>('POST', '/api/webhooks', request),
  remove: (id: string) => sendJson<void>('DELETE', `/api/webhooks/${enc(id)}`),
  deliveries: (id: string, limit: number, signal?: AbortSignal) =>
    getJson<{ deliveries: WebhookDelivery[] }>(`/api/webhooks/${enc(id)}/deliveries?limit=${limit}`, signal).then(
      (answer) => answer.deliveries ?? [],
    ),
};
