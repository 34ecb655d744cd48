import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { Task } from '../api/types';
import { apiError, json, stubFetch } from '../test/fetchStub';
import { renderWithProviders } from '../test/render';
import { canPause, PauseAction } from './PauseAction';
import { TaskDrawer } from './TaskDrawer';
import { TaskStatusTag } from './TaskStatusTag';

const ID = 'ft-20260101-120000-ab12cd';

function task(extra: Record<string, unknown> = {}): Task {
  return {
    task_id: ID,
    model_name: 'Qwen/Qwen2.5-0.5B-Instruct',
    status: 'training',
    method: 'lora',
    merge: false,
    attempt: 1,
    attempts: [{ attempt: 1, outcome: null }],
    artifacts: {},
    pause_requested: false,
    cancel_requested: false,
    ...extra,
  } as unknown as Task;
}

describe('PauseAction', () => {
  it('pauses a training task and says it is pausing until the service says paused', async () => {
    const stub = stubFetch({
      [`POST /api/finetune/tasks/${ID}/pause`]: () => json(task({ pause_requested: true })),
    });
    const onChanged = vi.fn();
    const { unmount } = renderWithProviders(<PauseAction task={task()} onChanged={onChanged} />);
    fireEvent.click(screen.getByTestId('task-pause'));
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
    expect(stub.calls.some((c) => c.url === `/api/finetune/tasks/${ID}/pause`)).toBe(true);
    expect(await screen.findByText(`Task ${ID} is pausing: its trainer saves a checkpoint and stops`)).toBeTruthy();
    // while the trainer checkpoints the button cannot be pressed again
    unmount();
    renderWithProviders(<PauseAction task={task({ pause_requested: true })} onChanged={onChanged} />);
    expect(screen.getByTestId('task-pause')).toBeDisabled();
  });

  it('resumes a paused task as its next attempt and shows a refusal', async () => {
    stubFetch({
      [`POST /api/finetune/tasks/${ID}/resume`]: () => json(task({ status: 'queued', attempt: 2, step: 6 })),
    });
    const onChanged = vi.fn();
    const { unmount } = renderWithProviders(<PauseAction task={task({ status: 'paused' })} onChanged={onChanged} />);
    expect(screen.queryByTestId('task-pause')).toBeNull();
    fireEvent.click(screen.getByTestId('task-resume'));
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
    expect(onChanged.mock.calls[0][0].attempt).toBe(2);
    expect(await screen.findByText(`Task ${ID} queued again as attempt 2`)).toBeTruthy();
    unmount();

    stubFetch({
      [`POST /api/finetune/tasks/${ID}/resume`]: () =>
        apiError(409, 'task_not_paused', `task ${ID} is queued; only a paused task can be resumed`),
    });
    renderWithProviders(<PauseAction task={task({ status: 'paused' })} onChanged={vi.fn()} compact />);
    fireEvent.click(screen.getByTestId('task-resume'));
    expect(await screen.findByText(/only a paused task can be resumed/)).toBeTruthy();
  });

  it('is offered for queued and running tasks only, not while a cancel is under way', () => {
    for (const status of ['queued', 'pending', 'preparing', 'training']) {
      expect(canPause(task({ status }))).toBe(true);
    }
    for (const status of ['completed', 'failed', 'cancelled', 'paused']) {
      expect(canPause(task({ status }))).toBe(false);
    }
    expect(canPause(task({ cancel_requested: true }))).toBe(false);
    renderWithProviders(<PauseAction task={task({ status: 'completed' })} onChanged={vi.fn()} />);
    expect(screen.queryByTestId('task-pause')).toBeNull();
    expect(screen.queryByTestId('task-resume')).toBeNull();
  });

  it('shows the paused state and a paused attempt in the drawer', async () => {
    renderWithProviders(<TaskStatusTag task={{ status: 'paused', phase: null } as unknown as Task} />);
    expect(screen.getByTestId('task-status')).toHaveTextContent('Paused');
    stubFetch({ [`GET /api/finetune/tasks/${ID}/metrics`]: () => json({ task_id: ID, points: [] }) });
    renderWithProviders(
      <TaskDrawer
        task={task({
          status: 'queued',
          attempt: 2,
          attempts: [
            { attempt: 1, started_at: '2026-01-01T12:00:00Z', ended_at: '2026-01-01T12:30:00Z', outcome: 'paused' },
            { attempt: 2, started_at: null, ended_at: null, outcome: null },
          ],
        })}
        onClose={() => undefined}
      />,
    );
    expect(await screen.findByTestId('task-attempt-1')).toHaveTextContent('paused');
    expect(screen.getByTestId('task-pause')).toBeTruthy();
  });
});
