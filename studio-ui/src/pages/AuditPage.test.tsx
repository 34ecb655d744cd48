import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { auditPath } from '../api/audit';
import type { AuditEntry } from '../api/types';
import { apiError, json, stubFetch } from '../test/fetchStub';
import { renderWithProviders } from '../test/render';
import { AuditPage } from './AuditPage';

const entries: AuditEntry[] = [
  {
    id: 'au-3',
    at: '2026-01-01T12:02:00Z',
    service: 'finetune-service',
    actor: 'bob',
    role: 'viewer',
    action: 'task.cancel',
    method: 'POST',
    path: '/api/finetune/tasks/ft-1/cancel',
    target: 'ft-1',
    status: 403,
    outcome: 'refused',
    trace_id: null,
  },
  {
    id: 'au-2',
    at: '2026-01-01T12:01:00Z',
    service: 'chat-switch-service',
    actor: 'alice',
    role: 'admin',
    action: 'switch.start',
    method: 'POST',
    path: '/api/chat/switch',
    target: 'ft-1',
    status: 202,
    outcome: 'ok',
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
  },
];

function params(url: string): URLSearchParams {
  return new URL(url, 'http://studio').searchParams;
}

describe('AuditPage', { timeout: 120_000 }, () => {
  it('shows each entry: time, actor, role, action, target, outcome, status and trace id', async () => {
    stubFetch({ 'GET /api/audit': () => json({ entries }) });
    renderWithProviders(<AuditPage />);
    const refused = await screen.findByTestId('audit-row-au-3');
    expect(refused).toHaveAttribute('data-outcome', 'refused');
    for (const text of ['bob', 'viewer', 'task.cancel', 'ft-1', 'Refused', '403']) {
      expect(refused).toHaveTextContent(text);
    }
    const ok = screen.getByTestId('audit-row-au-2');
    for (const text of ['alice', 'admin', 'switch.start', 'POST /api/chat/switch', 'OK', '202', '4bf92f3577b3']) {
      expect(ok).toHaveTextContent(text);
    }
    expect(screen.getByTestId('audit-count')).toHaveTextContent('2 entries shown (at most 200)');
  });

  it('asks the server with the filters: actor, action and since', async () => {
    const { calls } = stubFetch({ 'GET /api/audit': () => json({ entries: [] }) });
    const before = Date.now();
    renderWithProviders(<AuditPage debounceMs={10} />);
    await waitFor(() => expect(calls.length).toBe(1));
    const first = params(calls[0].url);
    expect(first.get('limit')).toBe('200');
    expect(first.has('actor')).toBe(false);
    // the default range is the last 7 days
    const since = Date.parse(first.get('since')!);
    expect(since).toBeLessThanOrEqual(before - 7 * 24 * 3_600_000 + 60_000);
    expect(since).toBeGreaterThan(before - 8 * 24 * 3_600_000);
    expect(await screen.findByText('No entry matches')).toBeInTheDocument();

    fireEvent.change(screen.getByTestId('audit-actor'), { target: { value: 'alice' } });
    fireEvent.change(screen.getByTestId('audit-action'), { target: { value: 'switch.start' } });
    await waitFor(() => expect(params(calls[calls.length - 1].url).get('action')).toBe('switch.start'));
    expect(params(calls[calls.length - 1].url).get('actor')).toBe('alice');

    fireEvent.mouseDown(screen.getByRole('combobox', { name: 'Since' }));
    fireEvent.click(await screen.findByText('Any time'));
    await waitFor(() => expect(params(calls[calls.length - 1].url).has('since')).toBe(false));
    expect(params(calls[calls.length - 1].url).get('actor')).toBe('alice');
  });

  it('says why the log cannot be read', async () => {
    stubFetch({ 'GET /api/audit': () => apiError(403, 'forbidden', 'admin role required') });
    renderWithProviders(<AuditPage />);
    expect(await screen.findByText('Cannot read the audit log')).toBeInTheDocument();
    expect(screen.getByText('admin role required')).toBeInTheDocument();
  });
});

describe('auditPath', () => {
  it('leaves empty filters out and encodes the rest', () => {
    expect(auditPath({})).toBe('/api/audit');
    expect(auditPath({ actor: ' ', action: '', limit: 5 })).toBe('/api/audit?limit=5');
    expect(auditPath({ since: '2026-01-01T00:00:00.000Z', actor: 'a b' })).toBe(
      '/api/audit?since=2026-01-01T00%3A00%3A00.000Z&actor=a+b',
    );
  });
});
