import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { Task } from '../api/types';
import { apiError, json, stubFetch } from '../test/fetchStub';
import { renderWithProviders } from '../test/render';
import { CreateTaskForm } from './CreateTaskForm';
import { canRetry, CloneAction, RetryAction } from './RetryAction';
import { TaskDrawer } from './TaskDrawer';

const ID = 'ft-20260101-120000-ab12cd';
const CLONE = 'ft-20260101-130000-cd34ef';

function task(extra: Record<string, unknown> = {}): Task {
  return {
    task_id: ID,
    model_name: 'Qwen/Qwen2.5-0.5B-Instruct',
    status: 'cancelled',
    method: 'lora',
    merge: false,
    attempt: 1,
    attempts: [{ attempt: 1, outcome: 'cancelled' }],
    config: {
      num_epochs: 2,
      batch_size: 8,
      gradient_accumulation_steps: 2,
      learning_rate: 0.0001,
      max_length: 512,
      lora_r: 32,
      lora_alpha: 64,
    },
    artifacts: {},
    ...extra,
  } as unknown as Task;
}

describe('RetryAction', () => {
  it('retries a cancelled task from its checkpoint and hands the queued attempt on', async () => {
    const stub = stubFetch({
      [`POST /api/finetune/tasks/${ID}/retry`]: () => json(task({ status: 'queued', attempt: 2, step: 4 })),
    });
    const onChanged = vi.fn();
    renderWithProviders(<RetryAction task={task()} onChanged={onChanged} />);
    fireEvent.click(screen.getByTestId('task-retry'));
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
    const call = stub.calls.find((c) => c.url === `/api/finetune/tasks/${ID}/retry`);
    expect(JSON.parse(call?.body as string)).toEqual({ from_checkpoint: true });
    expect(onChanged.mock.calls[0][0].attempt).toBe(2);
    expect(await screen.findByText(`Task ${ID} queued again as attempt 2`)).toBeTruthy();
  });

  it('is offered for failed and cancelled tasks only, and shows the refusal', async () => {
    expect(canRetry(task({ status: 'failed' }))).toBe(true);
    expect(canRetry(task({ status: 'cancelled' }))).toBe(true);
    for (const status of ['queued', 'preparing', 'training', 'completed']) {
      expect(canRetry(task({ status }))).toBe(false);
    }
    const { unmount } = renderWithProviders(<RetryAction task={task({ status: 'completed' })} onChanged={vi.fn()} />);
    expect(screen.queryByTestId('task-retry')).toBeNull();
    unmount();

    stubFetch({
      [`POST /api/finetune/tasks/${ID}/retry`]: () =>
        apiError(429, 'quota_exceeded', "'alice' has 4 queued or running task(s); the limit is 4"),
    });
    const onChanged = vi.fn();
    renderWithProviders(<RetryAction task={task({ status: 'failed' })} onChanged={onChanged} compact />);
    fireEvent.click(screen.getByTestId('task-retry'));
    expect(await screen.findByText(/the limit is 4/)).toBeTruthy();
    expect(onChanged).not.toHaveBeenCalled();
  });

  it('"Clone & edit" hands the task to the form, for a task in any state', () => {
    const onClone = vi.fn();
    renderWithProviders(<CloneAction task={task({ status: 'completed' })} onClone={onClone} />);
    fireEvent.click(screen.getByText('Clone & edit'));
    expect(onClone.mock.calls[0][0].task_id).toBe(ID);
  });
});

describe('TaskDrawer attempts', () => {
  it('lists every attempt of a retried task with its outcome and error, and where it was cloned from', async () => {
    stubFetch({ [`GET /api/finetune/tasks/${ID}/metrics`]: () => json({ task_id: ID, points: [] }) });
    renderWithProviders(
      <TaskDrawer
        task={task({
          status: 'training',
          attempt: 2,
          cloned_from: CLONE,
          attempts: [
            {
              attempt: 1,
              started_at: '2026-01-01T12:00:00Z',
              ended_at: '2026-01-01T12:30:00Z',
              outcome: 'failed',
              error_code: 'cuda_oom',
              error_message: 'CUDA out of memory',
            },
            { attempt: 2, started_at: '2026-01-01T13:00:00Z', ended_at: null, outcome: null },
          ],
        })}
        onClose={() => undefined}
        onClone={vi.fn()}
      />,
    );
    const attempts = await screen.findByTestId('task-attempts');
    expect(attempts).toHaveTextContent('Attempt 1');
    expect(screen.getByTestId('task-attempt-1')).toHaveTextContent('failed');
    expect(screen.getByTestId('task-attempt-1')).toHaveTextContent('cuda_oom: CUDA out of memory');
    expect(screen.getByTestId('task-attempt-2')).toHaveTextContent('in progress');
    expect(screen.getByText(CLONE)).toBeTruthy();
    expect(screen.queryByTestId('task-retry')).toBeNull(); // it is training
    expect(screen.getByTestId('task-clone')).toBeTruthy();
  });

  it('shows no attempts section for a task that ran once', async () => {
    stubFetch({ [`GET /api/finetune/tasks/${ID}/metrics`]: () => json({ task_id: ID, points: [] }) });
    renderWithProviders(<TaskDrawer task={task()} onClose={() => undefined} />);
    await screen.findByTestId('task-drawer');
    expect(screen.queryByTestId('task-attempts')).toBeNull();
    expect(screen.getByTestId('task-retry')).toBeTruthy();
  });
});

describe('CreateTaskForm clone & edit', () => {
  it('fills the form with the task settings and submits a clone with the edited values, no dataset needed', async () => {
    const stub = stubFetch({
      'GET /api/finetune/models/base': () =>
        json([{ id: 'Qwen/Qwen2.5-0.5B-Instruct', name: 'Qwen2.5 0.5B Instruct', type: 'base' }]),
      'POST /api/system/memory-estimate': () => json({ low_bytes: 1, expected_bytes: 1, high_bytes: 1, fits: [] }),
      [`POST /api/finetune/tasks/${ID}/clone`]: () =>
        json({ ...task({ task_id: CLONE, status: 'queued', cloned_from: ID }), warning_details: [] }, 201),
    });
    const onCreated = vi.fn();
    const onCloneDone = vi.fn();
    renderWithProviders(
      <CreateTaskForm onCreated={onCreated} cloneFrom={task({ status: 'completed' })} onCloneDone={onCloneDone} />,
    );
    expect(screen.getByTestId('clone-banner')).toHaveTextContent(`Cloning ${ID}`);
    expect(screen.getByTestId('clone-dataset')).toHaveTextContent(`The dataset of ${ID}`);
    await waitFor(() => expect(screen.getByTestId('field-lora_r')).toHaveValue('32'));
    expect(screen.getByTestId('field-batch_size')).toHaveValue('8');
    expect(screen.getByTestId('create-submit')).toBeEnabled();
    expect(screen.getByTestId('create-submit')).toHaveTextContent('Create clone');

    fireEvent.change(screen.getByTestId('field-lora_r'), { target: { value: '8' } });
    fireEvent.click(screen.getByTestId('create-submit'));
    await waitFor(() => expect(onCreated).toHaveBeenCalled());
    const call = stub.calls.find((c) => c.url === `/api/finetune/tasks/${ID}/clone`);
    const sent = JSON.parse(call?.body as string);
    expect(sent).toMatchObject({ lora_r: 8, batch_size: 8, num_epochs: 2, method: 'lora', max_length: 512 });
    expect(sent).not.toHaveProperty('dataset_file');
    expect(stub.count('POST /api/finetune/create')).toBe(0);
    expect(onCloneDone).toHaveBeenCalled();
    expect(await screen.findByText(`Task ${CLONE} created as a clone of ${ID}`)).toBeTruthy();
  });
});
