import { getJson } from './http';
import type { AuditEntries } from './types';

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
    getJson<AuditEntries>(auditPath(query), signal).then((answer) => answer.entries),
};
