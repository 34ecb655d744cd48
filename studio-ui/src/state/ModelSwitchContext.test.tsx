import { App as AntApp, Button } from 'antd';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { SwitchOperation } from '../api/types';
import { SwitchProgress } from '../components/SwitchProgress';
import { I18nProvider } from '../i18n/I18nProvider';
import { json, stubFetch } from '../test/fetchStub';
import { CurrentModelProvider } from './CurrentModelContext';
import { ModelSwitchProvider, useModelSwitch } from './ModelSwitchContext';

function Trigger() {
  const { start, operation } = useModelSwitch();
  return (
    <>
      <Button onClick={() => void start({ task_id: 'ft-7', label: 'ft-7' })}>go</Button>
      {operation && <SwitchProgress operation={operation} />}
    </>
  );
}

function renderSwitch() {
  return render(
    <I18nProvider>
      <AntApp>
        <CurrentModelProvider>
          <ModelSwitchProvider pollMs={10}>
            <Trigger />
          </ModelSwitchProvider>
        </CurrentModelProvider>
      </AntApp>
    </I18nProvider>,
  );
}

function studio(states: Partial<SwitchOperation>[], running: boolean) {
  let polls = 0;
  return stubFetch({
    'POST /api/chat/switch': () => json({ id: 'op-1', task_id: 'ft-7', strategy: 'blue-green', state: 'pending' }, 202),
    'GET /api/chat/switch/op-1': () =>
      json({ id: 'op-1', strategy: 'blue-green', ...states[Math.min(polls++, states.length - 1)] }),
    'GET /api/finetune/current-model': () =>
      json({ current_model: 'ft-7', served_model_name: 'ft-ft-7', kind: 'finetuned', llm_service_running: running }),
  });
}

describe('model switch', () => {
  it('follows the operation to completed and says it is live', async () => {
    const { calls } = studio([{ state: 'starting' }, { state: 'smoke_test' }, { state: 'completed' }], true);
    renderSwitch();
    fireEvent.click(screen.getByText('go'));
    expect(await screen.findByText('Switched: ft-7 is live')).toBeInTheDocument();
    expect(screen.getByTestId('switch-toast-icon')).toHaveTextContent('✅');
    expect(screen.getByTestId('switch-progress')).toHaveAttribute('data-state', 'completed');
    expect(JSON.parse(calls.find((c) => c.method === 'POST')!.body as string)).toEqual({ task_id: 'ft-7' });
    expect(calls.filter((c) => c.url === '/api/chat/switch/op-1').length).toBe(3);
  });

  it('says the switch is only recorded when no local engine runs', async () => {
    studio([{ state: 'completed' }], false);
    renderSwitch();
    fireEvent.click(screen.getByText('go'));
    expect(await screen.findByText('Switch to ft-7 recorded, but no local engine serves it')).toBeInTheDocument();
    expect(screen.getByTestId('switch-toast-icon')).toHaveTextContent('⚠️');
  });

  it('reports a failed switch with its reason and that the old model still serves', async () => {
    studio(
      [{ state: 'waiting_ready' }, { state: 'failed', error: 'engine not ready after 120 s', rolled_back: true }],
      true,
    );
    renderSwitch();
    fireEvent.click(screen.getByText('go'));
    expect(await screen.findByText('Switch to ft-7 failed')).toBeInTheDocument();
    expect(screen.getByTestId('switch-toast-icon')).toHaveTextContent('❌');
    await waitFor(() =>
      expect(document.body).toHaveTextContent('engine not ready after 120 s The previous model still serves chat.'),
    );
    expect(screen.getByTestId('switch-error')).toHaveTextContent('engine not ready after 120 s');
  });
});
