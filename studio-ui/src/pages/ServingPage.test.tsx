import { App as AntApp } from 'antd';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { ReactElement } from 'react';
import { describe, expect, it, vi } from 'vitest';
import type { Rollout, ServingState } from '../api/types';
import type { RolloutSample } from '../lib/serving';
import { apiError, json, stubFetch } from '../test/fetchStub';
import { RolloutPanel } from '../components/RolloutPanel';
import { ServedModelsTable } from '../components/ServingTables';
import { I18nProvider } from '../i18n/I18nProvider';
import { renderWithProviders } from '../test/render';
import { ServingPage } from './ServingPage';

// uPlot draws on a canvas jsdom does not have: a stand-in shows how many samples the chart was given
vi.mock('../components/RolloutChart', () => ({
  RolloutChart: ({ samples }: { samples: RolloutSample[] }) => (
    <div data-testid="rollout-chart" data-points={samples.length} />
  ),
}));

const BASE = 'Qwen/Qwen2.5-0.5B-Instruct';
const TASK = 'ft-20260101-120000-ab12cd';
const MERGED = 'team/merged-cd34';

function serving(extra: Partial<ServingState> = {}): ServingState {
  return {
    engines: [
      {
        id: 'engine-1',
        base_model: BASE,
        url: 'http://127.0.0.1:8002',
        state: 'ready',
        max_loras: 4,
        max_lora_rank: 64,
        max_cpu_loras: 8,
        adapters: [{ name: TASK, path: `/h/${TASK}/lora` }],
      },
    ],
    models: [
      {
        model: BASE,
        display_name: BASE,
        engine: 'engine-1',
        kind: 'base',
        state: 'ready',
        default: true,
        rollout: null,
        traffic: { requests: 200, errors: 4, ttft_p50_ms: 80, ttft_p95_ms: 190.4 },
      },
      {
        model: TASK,
        display_name: `${TASK}/lora`,
        engine: 'engine-1',
        kind: 'lora',
        state: 'ready',
        default: false,
        rollout: null,
        traffic: { requests: 12, errors: 0, ttft_p50_ms: 90, ttft_p95_ms: 230 },
      },
      {
        model: MERGED,
        engine: 'engine-2',
        kind: 'merged',
        state: 'loading',
        default: false,
        traffic: { requests: 0, errors: 0 },
      },
    ],
    default: BASE,
    ...extra,
  };
}

const arms = {
  baseline: { model: BASE, requests: 180, errors: 1, error_rate: 1 / 180, ttft_p50_ms: 90, ttft_p95_ms: 120 },
  candidate: { model: TASK, requests: 21, errors: 0, error_rate: 0, ttft_p50_ms: 95, ttft_p95_ms: 130 },
};

function rollout(extra: Partial<Rollout> = {}): Rollout {
  return {
    rollout_id: 'ro-1',
    model: TASK,
    baseline: BASE,
    state: 'running',
    weight: 50,
    step: 1,
    steps: [10, 50, 100],
    step_seconds: 60,
    step_started_at: '2026-01-01T12:01:00Z',
    guards: { max_error_rate: 0.02, max_ttft_ratio: 1.5, min_requests: 20 },
    arms,
    history: [
      { at: '2026-01-01T12:00:00Z', weight: 10, event: 'started', message: 'started at 10%', ...arms },
      { at: '2026-01-01T12:01:00Z', weight: 50, event: 'advanced', message: 'guards held', ...arms },
    ],
    created_at: '2026-01-01T12:00:00Z',
    evaluation_forced: false,
    ...extra,
  };
}

const models = [
  { id: BASE, name: BASE, type: 'base' },
  { id: `${TASK}/lora`, name: TASK, type: 'finetuned', artifact: 'lora', base_model: BASE, task_id: TASK },
];

async function confirm() {
  fireEvent.click(await screen.findByRole('button', { name: 'OK' }));
}

// the whole page renders two tables, a form and polls three lists: slow on a loaded machine, hence the room
describe('ServingPage', { timeout: 120_000 }, () => {
  it('lists the engines with their adapters and every served model with its traffic', async () => {
    stubFetch({
      'GET /api/chat/serving': () => json(serving()),
      'GET /api/chat/rollouts': () => json([]),
      'GET /api/finetune/models': () => json(models),
    });
    renderWithProviders(<ServingPage />);
    const row = await screen.findByTestId(`served-row-${TASK}`);
    expect(row).toHaveTextContent(`${TASK}/lora`);
    expect(row).toHaveTextContent('LoRA');
    expect(row).toHaveTextContent('90 ms / 230 ms');
    expect(screen.getByTestId(`served-row-${BASE}`)).toHaveTextContent('4 (2%)');
    expect(screen.getByTestId(`served-row-${BASE}`)).toHaveTextContent('default');
    expect(screen.getByTestId(`served-row-${MERGED}`)).toHaveTextContent('Loading');
    expect(screen.getByTestId('engine-slots-engine-1')).toHaveTextContent('1 / 8 · 4 per batch · max rank 64');
    expect(within(screen.getByTestId('serving-engines')).getByText(TASK)).toBeTruthy();
    expect(screen.getByText('No rollout yet')).toBeTruthy();
  });

  it('serves the picked registry model by its id and reads the serving set again', async () => {
    const stub = stubFetch({
      'GET /api/chat/serving': () => json(serving()),
      'GET /api/chat/rollouts': () => json([]),
      'GET /api/finetune/models': () => json(models),
      'POST /api/chat/serving': () =>
        json(
          { model: TASK, display_name: `${TASK}/lora`, engine: 'engine-1', state: 'loading', operation_id: 'op-1' },
          202,
        ),
    });
    renderWithProviders(<ServingPage />);
    await screen.findByTestId(`served-row-${TASK}`);
    fireEvent.mouseDown(screen.getByRole('combobox', { name: /serve by name/ }));
    fireEvent.click(await screen.findByText(`${TASK} · lora`));
    const reads = stub.count('GET /api/chat/serving');
    fireEvent.click(screen.getByTestId('serve-button'));
    expect(await screen.findByText(`Loading ${TASK} on engine-1…`)).toBeTruthy();
    const post = stub.calls.find((c) => c.method === 'POST');
    expect(JSON.parse(post?.body as string)).toEqual({ model: `${TASK}/lora` });
    await waitFor(() => expect(stub.count('GET /api/chat/serving')).toBeGreaterThan(reads));
  });

  it('starts a rollout of the row picked with "Roll out", with the steps and guards of the form', async () => {
    const stub = stubFetch({
      'GET /api/chat/serving': () => json(serving()),
      'GET /api/chat/rollouts': () => json([]),
      'GET /api/finetune/models': () => json(models),
      'POST /api/chat/rollouts': () => json(rollout({ weight: 5, step: 0, steps: [5, 50, 100], history: [] }), 202),
    });
    renderWithProviders(<ServingPage />);
    await screen.findByTestId(`served-row-${TASK}`);
    expect(screen.getByTestId(`rollout-${BASE}`)).toBeDisabled();
    fireEvent.click(screen.getByTestId(`rollout-${TASK}`));
    fireEvent.change(screen.getByTestId('rollout-steps'), { target: { value: '50,10' } });
    fireEvent.click(screen.getByTestId('rollout-start'));
    expect(await screen.findByText('Steps must increase')).toBeTruthy();
    expect(stub.count('POST /api/chat/rollouts')).toBe(0);

    fireEvent.change(screen.getByTestId('rollout-steps'), { target: { value: '5, 50, 100' } });
    fireEvent.click(screen.getByTestId('rollout-start'));
    expect(await screen.findByText(`Rollout ro-1 started: 5% to ${TASK}`)).toBeTruthy();
    const post = stub.calls.find((c) => c.method === 'POST');
    expect(JSON.parse(post?.body as string)).toEqual({
      model: TASK,
      steps: [5, 50, 100],
      step_seconds: 60,
      max_error_rate: 0.02,
      max_ttft_ratio: 1.5,
      min_requests: 20,
    });
  });

  it('shows why a rollout was rolled back and offers a new one', async () => {
    stubFetch({
      'GET /api/chat/serving': () => json(serving()),
      'GET /api/chat/rollouts': () =>
        json([
          rollout({ state: 'rolled_back', weight: 0, reason: 'candidate error rate 0.50 > baseline 0.01 + 0.02' }),
        ]),
      'GET /api/finetune/models': () => json(models),
    });
    renderWithProviders(<ServingPage />);
    expect(await screen.findByTestId('rollout-reason')).toHaveTextContent('candidate error rate 0.50');
    expect(screen.getByTestId('rollout-state')).toHaveTextContent('Rolled back');
    expect(screen.getByTestId('rollout-form')).toBeTruthy();
    expect(screen.queryByTestId('rollout-abort')).toBeNull();
  });
});

function withProviders(ui: ReactElement) {
  return (
    <I18nProvider>
      <AntApp>{ui}</AntApp>
    </I18nProvider>
  );
}

describe('ServedModelsTable', { timeout: 60_000 }, () => {
  it('unserves a model by its encoded name and never offers it for the default or a rollout arm', async () => {
    const stub = stubFetch({
      'DELETE /api/chat/serving/': () => json({ model: MERGED, state: 'unloaded', engine_stopped: true }),
    });
    const onChanged = vi.fn();
    const models = serving().models;
    models[1] = { ...models[1], rollout: { rollout_id: 'ro-1', arm: 'candidate', weight: 10 } };
    render(
      withProviders(<ServedModelsTable models={models} onRollOut={vi.fn()} onChanged={onChanged} rolloutRunning />),
    );
    expect(screen.getByTestId(`unserve-${BASE}`)).toBeDisabled();
    expect(screen.getByTestId(`unserve-${TASK}`)).toBeDisabled();
    expect(screen.getByTestId(`rollout-${TASK}`)).toBeDisabled();
    fireEvent.click(screen.getByTestId(`unserve-${MERGED}`));
    await confirm();
    expect(await screen.findByText(`${MERGED} is no longer served; its engine stopped`)).toBeTruthy();
    expect(onChanged).toHaveBeenCalled();
    expect(stub.calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual([
      '/api/chat/serving/team%2Fmerged-cd34',
    ]);
  });

  it('puts the refusal of an unserve in a toast', async () => {
    stubFetch({
      'DELETE /api/chat/serving/': () => apiError(409, 'model_in_rollout', `${TASK} is an arm of rollout ro-9`),
    });
    const onChanged = vi.fn();
    render(
      withProviders(
        <ServedModelsTable
          models={serving().models}
          onRollOut={vi.fn()}
          onChanged={onChanged}
          rolloutRunning={false}
        />,
      ),
    );
    fireEvent.click(screen.getByTestId(`unserve-${TASK}`));
    await confirm();
    expect(await screen.findByText(`${TASK} is an arm of rollout ro-9`)).toBeTruthy();
    expect(onChanged).not.toHaveBeenCalled();
  });
});

describe('RolloutPanel', { timeout: 60_000 }, () => {
  it('shows both arms, the history and a chart that grows with each read of a running rollout; promote', async () => {
    const stub = stubFetch({
      'POST /api/chat/rollouts/ro-1/promote': () => json(rollout({ state: 'promoted', weight: 100, step: 2 })),
    });
    const onChanged = vi.fn();
    const { rerender } = render(withProviders(<RolloutPanel rollout={rollout()} onChanged={onChanged} />));
    const panel = screen.getByTestId('rollout-panel');
    expect(panel).toHaveAttribute('data-state', 'running');
    expect(screen.getByTestId('rollout-arms')).toHaveTextContent('180');
    expect(screen.getByTestId('rollout-arms')).toHaveTextContent('95 ms / 130 ms');
    expect(screen.getByTestId('rollout-history')).toHaveTextContent('advanced');
    expect(panel).toHaveTextContent('step 2 of 3: 10% → 50% → 100%, 60s each');
    // two history points and the first live figures; each later read of the running rollout adds a point
    await waitFor(() => expect(screen.getByTestId('rollout-chart')).toHaveAttribute('data-points', '3'));
    rerender(withProviders(<RolloutPanel rollout={rollout()} onChanged={onChanged} />));
    await waitFor(() => expect(screen.getByTestId('rollout-chart')).toHaveAttribute('data-points', '4'));

    fireEvent.click(screen.getByTestId('rollout-promote'));
    await confirm();
    expect(await screen.findByText(`${TASK} is the default now`)).toBeTruthy();
    expect(stub.count('POST /api/chat/rollouts/ro-1/promote')).toBe(1);
    expect(onChanged).toHaveBeenCalled();
    rerender(
      withProviders(
        <RolloutPanel rollout={rollout({ state: 'promoted', weight: 100, step: 2 })} onChanged={onChanged} />,
      ),
    );
    expect(screen.getByTestId('rollout-panel')).toHaveAttribute('data-state', 'promoted');
    expect(screen.queryByTestId('rollout-promote')).toBeNull();
  });
});
