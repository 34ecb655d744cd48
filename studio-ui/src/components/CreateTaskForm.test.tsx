import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { Task } from '../api/types';
import { json, stubFetch } from '../test/fetchStub';
import { renderWithProviders } from '../test/render';
import { cloneValues, CreateTaskForm } from './CreateTaskForm';
import { TaskDrawer } from './TaskDrawer';

const base = [
  { id: 'Qwen/Qwen2.5-0.5B-Instruct', name: 'Qwen2.5 0.5B Instruct', type: 'base', params_b: 0.49, vram_hint_gb: 10.4 },
];
const dataset = {
  dataset_id: 'd1',
  path: '/home/u/.sage/studio/datasets/d1/dataset.jsonl',
  filename: 'sage-docs.jsonl',
  format: 'openai',
  valid_records: 120,
  invalid_records: 0,
  size_bytes: 1000,
};
const estimate = {
  low_bytes: 4e9,
  expected_bytes: 5e9,
  high_bytes: 6e9,
  fits: [{ gpu: 'NVIDIA T4 16GB', memory_bytes: 16e9, fits: true, node: null }],
  devices: [],
};

function studio(task: Partial<Task> = {}) {
  return stubFetch({
    'GET /api/finetune/models/base': () => json(base),
    'POST /api/system/memory-estimate': () => json(estimate),
    'POST /api/finetune/prepare-sage-docs': () => json(dataset),
    'POST /api/finetune/create': () =>
      json({ task_id: 'ft-1', model_name: base[0].id, status: 'queued', ...task }, 201),
    'POST /api/finetune/tasks/ft-1/cancel': () =>
      json({ task_id: 'ft-1', model_name: base[0].id, status: 'cancelled' }),
  });
}

describe('CreateTaskForm', () => {
  it('applies a preset, says custom once a field differs, and estimates memory for the settings', async () => {
    const { calls } = studio();
    renderWithProviders(<CreateTaskForm onCreated={() => undefined} />);
    await screen.findByText('Qwen2.5 0.5B Instruct');
    expect(screen.getByTestId('preset-hint')).toHaveTextContent('LoRA r16, 1k context');

    fireEvent.click(screen.getByText('Safe'));
    await waitFor(() => expect(screen.getByTestId('preset-hint')).toHaveTextContent('QLoRA, short context'));
    expect(screen.getByTestId('field-batch_size')).toHaveValue('1');

    const lastEstimate = () =>
      JSON.parse((calls.filter((c) => c.url === '/api/system/memory-estimate').at(-1)?.body as string) ?? '{}');
    await waitFor(() =>
      expect(lastEstimate()).toMatchObject({
        model: base[0].id,
        method: 'qlora',
        batch_size: 1,
        max_length: 512,
        lora_r: 8,
      }),
    );
    await waitFor(() => expect(screen.getByTestId('memory-estimate-value')).toHaveTextContent('≈ 4.7 GB'));
    expect(screen.getByTestId('memory-estimate-smallest')).toHaveTextContent('NVIDIA T4 16GB');

    fireEvent.change(screen.getByTestId('field-lora_r'), { target: { value: '12' } });
    await waitFor(() => expect(screen.getByTestId('preset-hint')).toHaveTextContent('Your own settings'));
    await waitFor(() => expect(lastEstimate().lora_r).toBe(12));
  });

  it('submits the form with the dataset path and offers to cancel when the backend warns', async () => {
    const { calls } = studio({
      warnings: ['needs 9.6 GiB, the GPU has 8 GiB'],
      warning_details: [{ code: 'gpu_too_small', message: 'needs 9.6 GiB, the GPU has 8 GiB' }],
    });
    const onCreated = vi.fn();
    renderWithProviders(<CreateTaskForm onCreated={onCreated} />);
    await screen.findByText('Qwen2.5 0.5B Instruct');
    expect(screen.getByTestId('create-submit')).toBeDisabled();
    fireEvent.click(screen.getByTestId('dataset-sample'));
    await waitFor(() => expect(screen.getByTestId('create-submit')).toBeEnabled());
    fireEvent.click(screen.getByTestId('create-submit'));

    const warnings = await screen.findByTestId('create-warnings');
    expect(warnings).toHaveTextContent('needs 9.6 GiB, the GPU has 8 GiB');
    const sent = JSON.parse(calls.find((c) => c.url === '/api/finetune/create')!.body as string);
    expect(sent).toMatchObject({
      model_name: base[0].id,
      dataset_file: dataset.path,
      num_epochs: 3,
      method: 'lora',
      merge: false,
    });
    expect(onCreated).toHaveBeenCalledWith(expect.objectContaining({ task_id: 'ft-1', status: 'queued' }));

    const dialog = warnings.closest('.ant-modal') as HTMLElement;
    fireEvent.click(within(dialog).getByText('Cancel the task'));
    await waitFor(() => expect(onCreated).toHaveBeenLastCalledWith(expect.objectContaining({ status: 'cancelled' })));
  });

  it('sends a validation split and early stopping, and no patience without a split', async () => {
    const { calls } = studio();
    renderWithProviders(<CreateTaskForm onCreated={() => undefined} />);
    await screen.findByText('Qwen2.5 0.5B Instruct');
    fireEvent.click(screen.getByTestId('dataset-sample'));
    await waitFor(() => expect(screen.getByTestId('create-submit')).toBeEnabled());
    expect(screen.getByTestId('field-early_stopping_patience')).toBeDisabled();
    fireEvent.change(screen.getByTestId('field-validation_split'), { target: { value: '0.1' } });
    await waitFor(() => expect(screen.getByTestId('field-early_stopping_patience')).toBeEnabled());
    fireEvent.change(screen.getByTestId('field-early_stopping_patience'), { target: { value: '3' } });
    fireEvent.click(screen.getByTestId('create-submit'));
    await waitFor(() => expect(calls.filter((c) => c.url === '/api/finetune/create')).toHaveLength(1));
    const sent = JSON.parse(calls.find((c) => c.url === '/api/finetune/create')!.body as string);
    expect(sent).toMatchObject({ validation_split: 0.1, early_stopping_patience: 3 });

    fireEvent.change(screen.getByTestId('field-validation_split'), { target: { value: '' } });
    fireEvent.click(screen.getByTestId('create-submit'));
    await waitFor(() => expect(calls.filter((c) => c.url === '/api/finetune/create')).toHaveLength(2));
    const second = JSON.parse(calls.filter((c) => c.url === '/api/finetune/create')[1].body as string);
    expect(second.validation_split ?? null).toBeNull();
    expect(second).not.toHaveProperty('early_stopping_patience');
  });

  it('sends GPUs, nodes, a parallelism and the checkpoint cadence; a parallelism only with several GPUs', async () => {
    const { calls } = studio();
    renderWithProviders(<CreateTaskForm onCreated={() => undefined} />);
    await screen.findByText('Qwen2.5 0.5B Instruct');
    fireEvent.click(screen.getByTestId('dataset-sample'));
    await waitFor(() => expect(screen.getByTestId('create-submit')).toBeEnabled());
    const parallelism = () => within(screen.getByTestId('field-parallelism')).getByRole('combobox', { hidden: true });
    expect(parallelism()).toBeDisabled(); // one GPU: nothing to share
    fireEvent.change(screen.getByTestId('field-gpus'), { target: { value: '4' } });
    fireEvent.change(screen.getByTestId('field-nodes'), { target: { value: '2' } });
    await waitFor(() => expect(parallelism()).toBeEnabled());
    fireEvent.mouseDown(parallelism());
    fireEvent.click(await screen.findByText('FSDP'));
    fireEvent.change(screen.getByTestId('field-save_steps'), { target: { value: '200' } });
    fireEvent.click(screen.getByTestId('create-submit'));
    await waitFor(() => expect(calls.filter((c) => c.url === '/api/finetune/create')).toHaveLength(1));
    const sent = JSON.parse(calls.find((c) => c.url === '/api/finetune/create')!.body as string);
    expect(sent).toMatchObject({ gpus: 4, nodes: 2, parallelism: 'fsdp', save_steps: 200 });

    fireEvent.change(screen.getByTestId('field-gpus'), { target: { value: '1' } });
    fireEvent.change(screen.getByTestId('field-nodes'), { target: { value: '1' } });
    fireEvent.change(screen.getByTestId('field-save_steps'), { target: { value: '' } });
    fireEvent.click(screen.getByTestId('create-submit'));
    await waitFor(() => expect(calls.filter((c) => c.url === '/api/finetune/create')).toHaveLength(2));
    const second = JSON.parse(calls.filter((c) => c.url === '/api/finetune/create')[1].body as string);
    expect(second).toMatchObject({ gpus: 1, nodes: 1 });
    expect(second).not.toHaveProperty('parallelism');
    expect(second.save_steps ?? null).toBeNull();
  });

  it('estimates memory per GPU of the task shape and marks the layout auto would take', async () => {
    const { calls } = stubFetch({
      'GET /api/finetune/models/base': () => json(base),
      'POST /api/system/memory-estimate': (request) => {
        const body = JSON.parse(request.body as string) as { gpus?: number };
        const several = (body.gpus ?? 1) > 1;
        return json({
          ...estimate,
          world_size: several ? body.gpus : 1,
          parallelism: several ? 'ddp' : 'none',
          recommended: several ? 'fsdp' : 'none',
          layouts: several
            ? [
                { parallelism: 'ddp', per_gpu_bytes: 90e9, per_gpu_high_bytes: 95e9, fits: false },
                { parallelism: 'fsdp', per_gpu_bytes: 30e9, per_gpu_high_bytes: 33e9, fits: true },
              ]
            : [{ parallelism: 'none', per_gpu_bytes: 5e9, per_gpu_high_bytes: 6e9, fits: true }],
        });
      },
    });
    renderWithProviders(<CreateTaskForm onCreated={() => undefined} />);
    await screen.findByText('Qwen2.5 0.5B Instruct');
    await waitFor(() => expect(screen.getByTestId('memory-estimate-value')).toBeInTheDocument());
    expect(screen.queryByTestId('memory-estimate-layouts')).toBeNull(); // one GPU: no layouts to compare

    fireEvent.change(screen.getByTestId('field-gpus'), { target: { value: '4' } });
    const layouts = await screen.findByTestId('memory-estimate-layouts');
    expect(layouts).toHaveTextContent('per GPU over 4 GPUs');
    expect(layouts).toHaveTextContent('DDP ≈ 83.8 GB');
    expect(layouts).toHaveTextContent('FSDP ≈ 27.9 GB · auto picks this');
    const sent = calls.filter((c) => c.url === '/api/system/memory-estimate').at(-1)!;
    expect(JSON.parse(sent.body as string)).toMatchObject({ gpus: 4 });
  });

  it('Clone & edit takes the layout and cadence; the task drawer shows them', async () => {
    const source = {
      task_id: 'ft-9',
      model_name: base[0].id,
      status: 'completed',
      method: 'full',
      config: { num_epochs: 1, gpus: 8, nodes: 2, parallelism: 'fsdp', save_steps: 50 },
    } as unknown as Task;
    expect(cloneValues(source)).toMatchObject({ gpus: 8, nodes: 2, parallelism: 'fsdp', save_steps: 50 });
    const single = { ...source, config: { gpus: 1, nodes: 1, parallelism: 'none' } } as unknown as Task;
    expect(cloneValues(single)).not.toHaveProperty('parallelism'); // a one-GPU run: the form's auto

    stubFetch({ 'GET /api/finetune/tasks/ft-9/metrics': () => json({ task_id: 'ft-9', points: [] }) });
    renderWithProviders(<TaskDrawer task={source} onClose={() => undefined} />);
    expect(await screen.findByTestId('drawer-layout')).toHaveTextContent('8 GPU(s) × 2 node(s) · FSDP');
    expect(screen.getByTestId('drawer-save-steps')).toHaveTextContent('every 50 steps');
  });
});
