import { App as AntApp } from 'antd';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import { I18nProvider } from '../i18n/I18nProvider';
import { CurrentModelProvider } from '../state/CurrentModelContext';
import { ModelSwitchProvider } from '../state/ModelSwitchContext';
import { apiError, json, stubFetch } from '../test/fetchStub';
import type { Page } from '../router';
import { AppHeader } from './AppHeader';

function stubStudio(kind = 'base', running = true) {
  return stubFetch({
    'GET /api/finetune/current-model': () =>
      json({
        current_model: 'Qwen/Qwen2.5-0.5B-Instruct',
        served_model_name: 'Qwen/Qwen2.5-0.5B-Instruct',
        kind,
        llm_service_running: running,
      }),
  });
}

function Header({ onNavigate = () => undefined }: { onNavigate?: (page: Page) => void }) {
  return (
    <I18nProvider>
      <AntApp>
        <CurrentModelProvider>
          <ModelSwitchProvider>
            <AppHeader page="finetune" onNavigate={onNavigate} />
          </ModelSwitchProvider>
        </CurrentModelProvider>
      </AntApp>
    </I18nProvider>
  );
}

describe('AppHeader', () => {
  it('switches the UI to Simplified Chinese and remembers it', async () => {
    localStorage.setItem('sage.studio.lang', 'en');
    stubStudio();
    const { unmount } = render(<Header />);
    expect(screen.getByTestId('nav-finetune')).toHaveTextContent('Finetune');
    fireEvent.click(screen.getByText('中文'));
    await waitFor(() => expect(screen.getByTestId('nav-finetune')).toHaveTextContent('微调'));
    expect(screen.getByTestId('nav-chat')).toHaveTextContent('对话');
    expect(localStorage.getItem('sage.studio.lang')).toBe('zh');
    expect(document.documentElement.lang).toBe('zh-CN');
    unmount();

    render(<Header />);
    expect(screen.getByTestId('nav-finetune')).toHaveTextContent('微调');
  });

  it('shows the current model with its kind and health', async () => {
    stubStudio('finetuned', false);
    render(<Header />);
    const badge = screen.getByTestId('current-model-badge');
    await waitFor(() => expect(badge).toHaveAttribute('data-model', 'Qwen/Qwen2.5-0.5B-Instruct'));
    expect(badge).toHaveTextContent('Fine-tuned');
    expect(badge).toHaveAttribute('data-health', 'stopped');
    expect(badge).toHaveTextContent('Engine not running');
  });

  it('navigates with the links (keyboard included: they are real links)', () => {
    stubStudio();
    const onNavigate = vi.fn();
    render(<Header onNavigate={onNavigate} />);
    const chat = screen.getByTestId('nav-chat');
    expect(chat.tagName).toBe('A');
    expect(chat).toHaveAttribute('href', '/#/chat');
    fireEvent.click(chat);
    expect(onNavigate).toHaveBeenCalledWith('chat');
  });

  it('sends the token from the settings popover with every call', async () => {
    const { calls } = stubStudio();
    render(<Header />);
    fireEvent.click(screen.getByTestId('settings-button'));
    fireEvent.change(await screen.findByTestId('settings-token'), { target: { value: 'tok-123' } });
    fireEvent.click(screen.getByTestId('settings-save'));
    await waitFor(() => expect(calls.some((c) => c.headers.get('Authorization') === 'Bearer tok-123')).toBe(true));
    expect(localStorage.getItem('sage.studio.token')).toBe('tok-123');
  });
});

/** Lets the answers already given reach the components (fetch stubs resolve within a few ticks). */
const settle = () => act(() => new Promise<void>((resolve) => setTimeout(resolve, 30)));

describe('AppHeader admin pages', () => {
  const currentModel = () =>
    json({ current_model: 'm', served_model_name: 'm', kind: 'base', llm_service_running: true });

  it('shows Webhooks and Audit only to a caller whoami says is an admin, and asks again for a new token', async () => {
    const { calls } = stubFetch({
      'GET /api/finetune/current-model': currentModel,
      'GET /api/whoami': (call) =>
        call.headers.get('Authorization') === 'Bearer admin-token'
          ? json({ actor: 'ada', role: 'admin' })
          : json({ actor: 'vera', role: 'viewer' }),
    });
    render(<Header />);
    await waitFor(() => expect(calls.some((c) => c.url === '/api/whoami')).toBe(true));
    await settle();
    // the viewer's answer has been read: still no admin links
    expect(screen.getByTestId('nav-chat')).toBeInTheDocument();
    expect(screen.queryByTestId('nav-webhooks')).not.toBeInTheDocument();
    expect(screen.queryByTestId('nav-audit')).not.toBeInTheDocument();

    fireEvent.click(screen.getByTestId('settings-button'));
    fireEvent.change(await screen.findByTestId('settings-token'), { target: { value: 'admin-token' } });
    fireEvent.click(screen.getByTestId('settings-save'));
    expect(await screen.findByTestId('nav-webhooks')).toHaveAttribute('href', '/#/webhooks');
    expect(screen.getByTestId('nav-audit')).toHaveTextContent('Audit');
    // the admin pages are found from whoami alone: the admin-only audit log is not read to find out
    expect(calls.some((c) => c.url.startsWith('/api/audit'))).toBe(false);
  });

  it('hides the admin pages when whoami refuses (no valid token) or is missing (an older studio)', async () => {
    for (const refusal of [
      () => apiError(401, 'missing_token', 'this endpoint needs a bearer token'),
      () => apiError(404, 'not_found', 'no such endpoint'),
    ]) {
      const { calls } = stubFetch({ 'GET /api/finetune/current-model': currentModel, 'GET /api/whoami': refusal });
      const { unmount } = render(<Header />);
      await waitFor(() => expect(calls.some((c) => c.url === '/api/whoami')).toBe(true));
      await settle();
      expect(screen.getByTestId('nav-chat')).toBeInTheDocument();
      expect(screen.queryByTestId('nav-webhooks')).not.toBeInTheDocument();
      expect(screen.queryByTestId('nav-audit')).not.toBeInTheDocument();
      unmount();
    }
  });
});

describe('App', () => {
  it('opens the page of the URL and keeps the current model visible there', async () => {
    window.history.pushState(null, '', '/#/chat');
    stubStudio();
    render(<App />);
    expect(screen.getByTestId('nav-chat')).toHaveAttribute('aria-current', 'page');
    expect(screen.getByTestId('chat-input')).toBeInTheDocument();
    await waitFor(() =>
      expect(screen.getByTestId('current-model-badge')).toHaveAttribute('data-model', 'Qwen/Qwen2.5-0.5B-Instruct'),
    );
  });
});
