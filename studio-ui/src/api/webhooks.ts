import { getJson, sendJson } from './http';
import type { CreatedWebhook, Webhook, WebhookDeliveryList, WebhookList, WebhookPatch, WebhookRequest } from './types';

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
  list: (signal?: AbortSignal) => getJson<WebhookList>('/api/webhooks', signal).then((answer) => answer.webhooks),
  create: (request: WebhookRequest) => sendJson<CreatedWebhook>('POST', '/api/webhooks', request),
  /** Changes what is given; `{enabled: true}` brings back a webhook disabled after failed deliveries. */
  update: (id: string, patch: WebhookPatch) => sendJson<Webhook>('PATCH', `/api/webhooks/${enc(id)}`, patch),
  remove: (id: string) => sendJson<void>('DELETE', `/api/webhooks/${enc(id)}`),
  deliveries: (id: string, limit: number, signal?: AbortSignal) =>
    getJson<WebhookDeliveryList>(`/api/webhooks/${enc(id)}/deliveries?limit=${limit}`, signal).then(
      (answer) => answer.deliveries,
    ),
};
