import { getJson } from './http';

// The shape of finetune-service's GET /api/audit (an AuditEvent of studio-events as JSON; issue 23's contract). Written
// by hand until src/api/openapi/finetune.json documents the resource; then it is named from the generated types.

/** One state-changing call: who, with which role, what, on what, and how it ended. */
export interface AuditEntry {
  id: string;
  at: string;
  service?: string | null;
  actor?: string | null;
  role?: string | null;
  action: string;
  method?: string | null;
  path?: string | null;
  target?: string | null;
  status?: number | null;
  outcome: 'ok' | 'refused' | 'failed' | string;
  trace_id?: string | null;
}

export interface AuditQuery {
  /** ISO-8601 instant: entries at or after it. */
  since?: string;
  actor?: string;
  action?: string;
  limit?: number;
}

/** `/api/audit?since=&actor=&action=&limit=` with the empty filters left out. */
export function auditPath(query: AuditQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && String(value).trim() !== '') {
      params.set(key, String(value).trim());
    }
  }
  const search = params.toString();
  return search ? `/api/audit?${search}` : '/api/audit';
}

/** finetune-service's audit log (admin only), newest first. */
export const auditApi = {
  entries: (query: AuditQuery, signal?: AbortSignal) =>
    getJson<{ entries: AuditEntry[] }>(auditPath(query), signal).then((answer) => answer.entries ?? []),
};
