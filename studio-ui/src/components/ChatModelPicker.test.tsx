import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ChatPage } from '../pages/ChatPage';
import { CurrentModelProvider } from '../state/CurrentModelContext';
import { apiError, json, sseStream, stubFetch } from '../test/fetchStub';
import { renderWithProviders } from '../test/render';

const BASE = 'Qwen/Qwen2.5-0.5B-Instruct';
const TASK = 'ft-20260101-120000-ab12cd';

const current = {
  current_model: BASE,
  display_name: BASE,
  served_model_name: BASE,
  kind: 'base',
  state: 'active',
  llm_service_running: true,
};

const serving = {
  engines: [],
  models: [
    { model: BASE, kind: 'base', state: 'ready', default: true },
    { model: TASK, display_name: `${TASK}/lora`, kind: 'lora', state: 'ready', default: false },
    { model: 'still-loading', kind: 'lora', state: 'loading', default: false },
  ],
  default: BASE,
};

function renderChat() {
  return renderWithProviders(
    <CurrentModelProvider>
      <ChatPage onNavigate={() => undefined} />
    </CurrentModelProvider>,
  );
}

async function ask(question: string) {
  fireEvent.change(screen.getByTestId('chat-input'), { target: { value: question } });
  fireEvent.click(screen.getByTestId('chat-send'));
}

// the Chat page with its providers: slow on a loaded machine, hence the room
describe('the Chat page model picker', { timeout: 90_000 }, () => {
  it('lists the default and every ready served model and sends the picked one as model', async () => {
    const bodies: { model: string }[] = [];
    stubFetch({
      'GET /api/finetune/current-model': () => json(current),
      'GET /api/chat/serving': () => json(serving),
      'POST /v1/chat/completions': (call) => {
        bodies.push(JSON.parse(call.body as string));
        const stream = sseStream(call.signal);
        stream.raw('data: [DONE]\n\n');
        stream.close();
        return stream.response;
      },
    });
    renderChat();
    const picker = await screen.findByRole('combobox', { name: 'Model' });
    await waitFor(() => expect(screen.getByTestId('chat-model-select')).toHaveTextContent(`sage-chat → ${BASE}`));

    await ask('to the default');
    await waitFor(() => expect(bodies).toHaveLength(1));
    expect(bodies[0].model).toBe('sage-chat');

    fireEvent.mouseDown(picker);
    expect(await screen.findByText(`${TASK} (${TASK}/lora)`)).toBeTruthy();
    expect(screen.queryByText('still-loading')).toBeNull();
    fireEvent.click(screen.getByText(`${TASK} (${TASK}/lora)`));
    await waitFor(() => expect(screen.getByTestId('chat-send')).toBeTruthy());
    await ask('to the fine-tune');
    await waitFor(() => expect(bodies).toHaveLength(2));
    expect(bodies[1].model).toBe(TASK);
  });

  it('offers only the default when the serving set cannot be read', async () => {
    stubFetch({
      'GET /api/finetune/current-model': () => json(current),
      'GET /api/chat/serving': () => apiError(503, 'not_ready', 'chat-switch is starting'),
    });
    renderChat();
    fireEvent.mouseDown(await screen.findByRole('combobox', { name: 'Model' }));
    await waitFor(() => expect(document.querySelectorAll('.ant-select-item-option')).toHaveLength(1));
    expect(screen.getByTestId('chat-model-select')).toHaveTextContent('Default: sage-chat');
  });
});
