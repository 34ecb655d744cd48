import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { ConfigProvider } from 'antd';
import { describe, expect, it } from 'vitest';
import type { Webhook, WebhookDelivery } from '../api/types';
import { apiError, json, stubFetch } from '../test/fetchStub';
import { renderWithProviders } from '../test/render';
import { WebhooksPage } from './WebhooksPage';

const ACTIVE: Webhook = {
  id: 'wh-1',
  url: 'https://ci.example.com/hooks/sage',
  events: ['task.completed', 'switch.*'],
  description: 'CI pipeline',
  enabled: true,
  disabled_reason: null,
  created_at: '2026-01-01T12:00:00Z',
  created_by: 'alice',
  last_delivery_at: '2026-01-01T12:30:00Z',
  last_status: 200,
  failures: 0,
};

const DISABLED: Webhook = {
  id: 'wh-2',
  url: 'https://down.example.com/x',
  events: ['*'],
  enabled: false,
  disabled_reason: '20 consecutive failed deliveries (last: HTTP 503)',
  created_at: '2026-01-01T12:00:00Z',
  last_delivery_at: '2026-01-01T13:00:00Z',
  last_status: 503,
  failures: 20,
};

const deliveries: WebhookDelivery[] = [
  {
    id: 'msg_2',
    event: 'task.completed',
    attempt: 2,
    state: 'failed',
    status: 500,
    error: 'HTTP 500',
    next_attempt_at: '2026-01-01T12:35:00Z',
    created_at: '2026-01-01T12:30:00Z',
    delivered_at: null,
  },
  {
    id: 'msg_1',
    event: 'switch.succeeded',
    attempt: 1,
    state: 'delivered',
    status: 200,
    error: null,
    next_attempt_at: null,
    created_at: '2026-01-01T12:00:00Z',
    delivered_at: '2026-01-01T12:00:01Z',
  },
];

describe('WebhooksPage', { timeout: 120_000 }, () => {
  it('lists each webhook with its events, state, disabled reason and last delivery', async () => {
    stubFetch({ 'GET /api/webhooks': () => json({ webhooks: [ACTIVE, DISABLED] }) });
    renderWithProviders(<WebhooksPage />);
    const active = await screen.findByTestId('webhook-row-wh-1');
    expect(active).toHaveTextContent('https://ci.example.com/hooks/sage');
    expect(active).toHaveTextContent('CI pipeline');
    expect(active).toHaveTextContent('task.completed');
    expect(active).toHaveTextContent('switch.*');
    expect(active).toHaveTextContent('Active');
    expect(active).toHaveTextContent('200');
    const disabled = screen.getByTestId('webhook-row-wh-2');
    expect(disabled).toHaveTextContent('Disabled');
    expect(screen.getByTestId('webhook-disabled-wh-2')).toHaveTextContent('20 consecutive failed deliveries');
    expect(disabled).toHaveTextContent('503');
  });

  it('adds a webhook and shows its secret once, with the warning, then lists it', async () => {
    let listed: Webhook[] = [];
    const { calls } = stubFetch({
      'GET /api/webhooks': () => json({ webhooks: listed }),
      'POST /api/webhooks': () => {
        listed = [ACTIVE];
        return json(
          {
            id: 'wh-1',
            url: ACTIVE.url,
            events: ['task.*', 'switch.succeeded'],
            description: 'CI pipeline',
            enabled: true,
            created_at: ACTIVE.created_at,
            created_by: 'alice',
            secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
          },
          201,
        );
      },
    });
    // without motion the modal really goes when closed (jsdom never ends the leave animation)
    renderWithProviders(
      <ConfigProvider theme={{ token: { motion: false } }}>
        <WebhooksPage />
      </ConfigProvider>,
    );
    await waitFor(() => expect(calls.length).toBeGreaterThan(0));
    fireEvent.change(screen.getByTestId('webhook-url'), { target: { value: ` ${ACTIVE.url} ` } });
    fireEvent.click(within(screen.getByTestId('webhook-patterns')).getByLabelText('task.*'));
    const exact = within(screen.getByTestId('webhook-exact')).getByRole('combobox');
    fireEvent.change(exact, { target: { value: 'switch.succeeded' } });
    fireEvent.keyDown(exact, { key: 'Enter', code: 'Enter', keyCode: 13 });
    fireEvent.change(screen.getByTestId('webhook-description'), { target: { value: 'CI pipeline' } });
    fireEvent.click(screen.getByTestId('webhook-add'));

    const secret = await screen.findByTestId('webhook-secret');
    expect(secret).toHaveTextContent('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(screen.getByText(/only time the secret is shown/)).toBeInTheDocument();
    const post = calls.find((c) => c.method === 'POST')!;
    // no secret typed: the field is left out so that the service generates one
    expect(JSON.parse(post.body as string)).toEqual({
      url: ACTIVE.url,
      events: ['task.*', 'switch.succeeded'],
      description: 'CI pipeline',
    });
    expect(await screen.findByTestId('webhook-row-wh-1')).toBeInTheDocument();

    // closed, the secret is gone from the page (and from its state): it cannot be shown again
    fireEvent.click(screen.getByTestId('webhook-secret-done'));
    await waitFor(() => expect(screen.queryByText('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toBeNull());
  });

  it('refuses a form without an http(s) URL or without events, and shows the server refusal', async () => {
    const { count } = stubFetch({
      'GET /api/webhooks': () => json({ webhooks: [] }),
      'POST /api/webhooks': () =>
        apiError(400, 'invalid_field', 'url: link-local and metadata addresses are refused', [{ field: 'url' }]),
    });
    renderWithProviders(<WebhooksPage />);
    fireEvent.change(screen.getByTestId('webhook-url'), { target: { value: 'ftp://example.com' } });
    fireEvent.click(screen.getByTestId('webhook-add'));
    expect(await screen.findByText('Enter an http:// or https:// URL')).toBeInTheDocument();
    expect(screen.getByText('Pick at least one event family or event')).toBeInTheDocument();
    expect(count('POST /api/webhooks')).toBe(0);

    fireEvent.change(screen.getByTestId('webhook-url'), { target: { value: 'http://169.254.169.254/latest' } });
    fireEvent.click(within(screen.getByTestId('webhook-patterns')).getByLabelText('Everything (*)'));
    fireEvent.change(screen.getByTestId('webhook-secret-input'), { target: { value: 'my-own-secret' } });
    fireEvent.click(screen.getByTestId('webhook-add'));
    expect(await screen.findByTestId('webhook-form-error')).toHaveTextContent(
      'url: link-local and metadata addresses are refused',
    );
    expect(count('POST /api/webhooks')).toBe(1);
    expect(screen.queryByTestId('webhook-secret')).not.toBeInTheDocument();
  });

  it('deletes a webhook after the confirmation', async () => {
    let listed = [ACTIVE, DISABLED];
    const { calls } = stubFetch({
      'GET /api/webhooks': () => json({ webhooks: listed }),
      'DELETE /api/webhooks/wh-2': () => {
        listed = [ACTIVE];
        return new Response(null, { status: 204 });
      },
    });
    renderWithProviders(<WebhooksPage />);
    fireEvent.click(await screen.findByTestId('webhook-delete-wh-2'));
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);
    fireEvent.click(await screen.findByRole('button', { name: 'OK' }));
    await waitFor(() => expect(screen.queryByTestId('webhook-row-wh-2')).not.toBeInTheDocument());
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual(['/api/webhooks/wh-2']);
    expect(await screen.findByText('Webhook deleted')).toBeInTheDocument();
  });

  it('enables a disabled webhook again and disables an active one', async () => {
    let listed = [ACTIVE, DISABLED];
    const { calls } = stubFetch({
      'PATCH /api/webhooks/wh-2': () => {
        const back = { ...DISABLED, enabled: true, disabled_reason: null, failures: 0 };
        listed = [ACTIVE, back];
        return json(back);
      },
      'PATCH /api/webhooks/wh-1': () => {
        const off = { ...ACTIVE, enabled: false, disabled_reason: 'disabled by alice at 2026-01-01T14:00:00Z' };
        listed = [off, listed[1]];
        return json(off);
      },
      'GET /api/webhooks': () => json({ webhooks: listed }),
    });
    renderWithProviders(<WebhooksPage />);
    const enable = await screen.findByTestId('webhook-toggle-wh-2');
    expect(enable).toHaveTextContent('Enable');
    expect(screen.getByTestId('webhook-toggle-wh-1')).toHaveTextContent('Disable');
    fireEvent.click(enable);
    expect(await screen.findByText('Webhook enabled: what it still owed is sent now')).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByTestId('webhook-disabled-wh-2')).not.toBeInTheDocument());
    expect(screen.getByTestId('webhook-row-wh-2')).toHaveTextContent('Active');
    expect(screen.getByTestId('webhook-toggle-wh-2')).toHaveTextContent('Disable');

    fireEvent.click(screen.getByTestId('webhook-toggle-wh-1'));
    expect(await screen.findByTestId('webhook-disabled-wh-1')).toHaveTextContent('disabled by alice');
    const patches = calls.filter((c) => c.method === 'PATCH');
    expect(patches.map((c) => [c.url, JSON.parse(c.body as string)])).toEqual([
      ['/api/webhooks/wh-2', { enabled: true }],
      ['/api/webhooks/wh-1', { enabled: false }],
    ]);
  });

  it('shows why a change was refused', async () => {
    stubFetch({
      'PATCH /api/webhooks/wh-2': () => apiError(403, 'forbidden', 'admin role required'),
      'GET /api/webhooks': () => json({ webhooks: [DISABLED] }),
    });
    renderWithProviders(<WebhooksPage />);
    fireEvent.click(await screen.findByTestId('webhook-toggle-wh-2'));
    expect(await screen.findByText('admin role required')).toBeInTheDocument();
    expect(screen.getByTestId('webhook-row-wh-2')).toHaveTextContent('Disabled');
  });

  it("opens a webhook's deliveries, newest first, with their state, status and next attempt", async () => {
    const { calls } = stubFetch({
      'GET /api/webhooks/wh-1/deliveries': () => json({ deliveries }),
      'GET /api/webhooks': () => json({ webhooks: [ACTIVE] }),
    });
    renderWithProviders(<WebhooksPage />);
    fireEvent.click(await screen.findByTestId('webhook-deliveries-wh-1'));
    const failed = await screen.findByTestId('delivery-row-msg_2');
    expect(failed).toHaveTextContent('task.completed');
    expect(failed).toHaveTextContent('Failed, retrying');
    expect(failed).toHaveTextContent('500');
    expect(screen.getByTestId('delivery-row-msg_1')).toHaveTextContent('Delivered');
    const rows = within(screen.getByTestId('webhook-deliveries')).getAllByTestId(/^delivery-row-/);
    expect(rows.map((row) => row.dataset.testid)).toEqual(['delivery-row-msg_2', 'delivery-row-msg_1']);
    expect(calls.some((c) => c.url === '/api/webhooks/wh-1/deliveries?limit=50')).toBe(true);
  });

  it('says why the list cannot be read (a caller without the admin role)', async () => {
    stubFetch({ 'GET /api/webhooks': () => apiError(403, 'forbidden', 'admin role required') });
    renderWithProviders(<WebhooksPage />);
    expect(await screen.findByText('Cannot list the webhooks')).toBeInTheDocument();
    expect(screen.getByText('admin role required')).toBeInTheDocument();
  });
});
