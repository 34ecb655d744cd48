import { App as AntApp, Button } from 'antd';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { I18nProvider } from '../i18n/I18nProvider';
import { CurrentModelProvider } from '../state/CurrentModelContext';
import { ModelSwitchProvider, useModelSwitch } from '../state/ModelSwitchContext';
import { apiError, json, stubFetch } from '../test/fetchStub';
import { renderWithProviders } from '../test/render';
import { RolloutStartForm } from './RolloutPanel';
import { SwitchProgress } from './SwitchProgress';
import { SwitchDialog } from './SwitchDialog';

const ID = 'ft-20260101-120000-ab12cd';

function Ask({ evaluation }: { evaluation?: object | null }) {
  const { ask } = useModelSwitch();
  return <Button onClick={() => ask({ task_id: ID, label: ID, evaluation: evaluation as never })}>switch</Button>;
}

function renderDialog(evaluation?: object | null) {
  return render(
    <I18nProvider>
      <AntApp>
        <CurrentModelProvider>
          <ModelSwitchProvider pollMs={10}>
            <Ask evaluation={evaluation} />
            <SwitchDialog />
          </ModelSwitchProvider>
        </CurrentModelProvider>
      </AntApp>
    </I18nProvider>,
  );
}

const body = (call: { body: unknown }) => JSON.parse(call.body as string) as Record<string, unknown>;

describe('SwitchDialog', () => {
  it('shows the verdict, sends require_evaluation, explains a worse refusal and passes it with force', async () => {
    let posts = 0;
    const stub = stubFetch({
      'POST /api/chat/switch': () =>
        posts++ === 0
          ? apiError(409, 'evaluation_worse', `the latest evaluation of ${ID} is worse than base`)
          : json({ id: 'op-1', task_id: ID, strategy: 'blue-green', state: 'completed' }, 202),
      'GET /api/finetune/current-model': () =>
        json({ current_model: ID, served_model_name: ID, kind: 'finetuned', llm_service_running: true }),
    });
    renderDialog({ evaluation_id: 'ev-1', state: 'completed', verdict: 'worse', baseline: 'base' });
    fireEvent.click(screen.getByText('switch'));
    await screen.findByTestId('switch-dialog');
    expect(screen.getByTestId('evaluation-verdict').dataset.verdict).toBe('worse');
    fireEvent.click(screen.getByText('Require a completed evaluation that is not worse'));
    fireEvent.click(screen.getByTestId('switch-confirm'));

    const refusal = await screen.findByTestId('gate-refusal');
    expect(refusal.dataset.code).toBe('evaluation_worse');
    expect(refusal.textContent).toContain('worse than its baseline');
    expect(refusal.textContent).toContain(`the latest evaluation of ${ID} is worse than base`);
    expect(body(stub.calls.filter((c) => c.method === 'POST')[0])).toEqual({ task_id: ID, require_evaluation: true });
    // force is ticked for the second try
    expect(screen.getByTestId('switch-confirm').textContent).toContain('Switch anyway');
    fireEvent.click(screen.getByTestId('switch-confirm'));
    await waitFor(() => expect(posts).toBe(2));
    expect(body(stub.calls.filter((c) => c.method === 'POST')[1])).toEqual({
      task_id: ID,
      require_evaluation: true,
      force: true,
    });
  });

  it('reads the task when the caller does not know its evaluation, and says when there is none', async () => {
    const stub = stubFetch({
      [`GET /api/finetune/tasks/${ID}`]: () => json({ task_id: ID, status: 'completed', evaluation: null }),
      'GET /api/finetune/current-model': () => json({ kind: 'none', llm_service_running: false }),
    });
    renderDialog(undefined);
    fireEvent.click(screen.getByText('switch'));
    expect((await screen.findByTestId('gate-evaluation')).textContent).toContain('No completed evaluation');
    expect(stub.count(`GET /api/finetune/tasks/${ID}`)).toBe(1);
  });
});

describe('a forced switch', () => {
  it('says the gate was forced on its progress', () => {
    stubFetch({});
    renderWithProviders(
      <SwitchProgress
        operation={{ id: 'op-1', state: 'completed', strategy: 'blue-green', evaluation_forced: true } as never}
      />,
    );
    expect(screen.getByTestId('switch-forced').textContent).toBe('evaluation gate forced');
  });
});

describe('rollout form gate', () => {
  it('explains evaluation_missing and retries with force', async () => {
    let posts = 0;
    const stub = stubFetch({
      [`GET /api/finetune/tasks/${ID}`]: () => json({ task_id: ID, status: 'completed', evaluation: null }),
      'POST /api/chat/rollouts': () =>
        posts++ === 0
          ? apiError(409, 'evaluation_missing', `${ID} has no completed evaluation`)
          : json({ rollout_id: 'ro-1', model: ID, state: 'running', weight: 10, steps: [10, 50, 100] }, 202),
    });
    const models = [
      {
        model: ID,
        display_name: ID,
        kind: 'lora',
        state: 'ready',
        default: false,
        traffic: { requests: 0, errors: 0 },
      },
    ];
    renderWithProviders(<RolloutStartForm models={models as never} candidate={ID} onStarted={() => {}} />);
    expect((await screen.findByTestId('gate-evaluation')).textContent).toContain('No completed evaluation');
    fireEvent.click(screen.getByTestId('rollout-start'));
    expect((await screen.findByTestId('gate-refusal')).dataset.code).toBe('evaluation_missing');
    fireEvent.click(screen.getByTestId('rollout-start'));
    await waitFor(() => expect(posts).toBe(2));
    const sent = stub.calls.filter((c) => c.method === 'POST').map(body);
    expect(sent[0].force).toBeUndefined();
    expect(sent[1].force).toBe(true);
  });
});
