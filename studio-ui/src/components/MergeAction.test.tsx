import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { Task } from '../api/types';
import { json, apiError, stubFetch } from '../test/fetchStub';
import { renderWithProviders } from '../test/render';
import { canMerge, MergeAction } from './MergeAction';
import { TaskStatusTag } from './TaskStatusTag';

const ID = 'ft-20260101-120000-ab12cd';

function task(extra: Record<string, unknown> = {}): Task {
  return {
    task_id: ID,
    model_name: 'Qwen/Qwen2.5-0.5B-Instruct',
    status: 'completed',
    phase: 'done',
    method: 'lora',
    merge: false,
    artifacts: { lora: `/home/.sage/studio_finetune/${ID}/lora` },
    ...extra,
  } as unknown as Task;
}

describe('MergeAction', () => {
  it('offers "Merge LoRA" for a completed LoRA task without a merged model and posts the merge', async () => {
    const stub = stubFetch({
      [`POST /api/finetune/tasks/${ID}/merge`]: () => json(task({ merge_run: { state: 'queued' } }), 202),
    });
    const onChanged = vi.fn();
    renderWithProviders(<MergeAction task={task()} onChanged={onChanged} />);
    fireEvent.click(screen.getByTestId('task-merge'));
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
    expect(stub.count(`POST /api/finetune/tasks/${ID}/merge`)).toBe(1);
    expect(onChanged.mock.calls[0][0].merge_run.state).toBe('queued');
    expect(screen.getByText('Merge LoRA')).toBeTruthy();
  });

  it('shows the merge while it runs, with a cancel, and its failure with a retry', async () => {
    const stub = stubFetch({
      [`POST /api/finetune/tasks/${ID}/cancel`]: () => json(task({ merge_run: { state: 'cancelled' } })),
    });
    const onChanged = vi.fn();
    const { unmount } = renderWithProviders(
      <MergeAction task={task({ phase: 'merging', merge_run: { state: 'running' } })} onChanged={onChanged} />,
    );
    expect(screen.getByTestId('merge-state').textContent).toContain('Merging…');
    expect(screen.queryByTestId('task-merge')).toBeNull();
    fireEvent.click(screen.getByTestId('merge-cancel'));
    await waitFor(() => expect(stub.count(`POST /api/finetune/tasks/${ID}/cancel`)).toBe(1));

    unmount();
    renderWithProviders(
      <MergeAction
        task={task({ merge_run: { state: 'failed', error_code: 'cuda_oom', error_message: 'CUDA out of memory' } })}
        onChanged={onChanged}
      />,
    );
    expect(screen.getByTestId('merge-state').textContent).toContain('Merge failed');
    expect(screen.getByTestId('task-merge').textContent).toContain('Merge again');
  });

  it('offers nothing for a full fine-tune, an unfinished task or one already merged', () => {
    expect(canMerge(task({ method: 'full', artifacts: { merged_model: '/m' } }))).toBe(false);
    expect(canMerge(task({ status: 'training', artifacts: {} }))).toBe(false);
    expect(canMerge(task({ artifacts: { lora: '/l', merged_model: '/m' } }))).toBe(false);
    expect(canMerge(task({ method: 'qlora' }))).toBe(true);
    stubFetch({});
    const { container } = renderWithProviders(
      <MergeAction task={task({ method: 'full', artifacts: { merged_model: '/m' } })} onChanged={() => {}} />,
    );
    expect(container.textContent).toBe('');
  });

  it('puts the server message of a refused merge in a toast', async () => {
    stubFetch({
      [`POST /api/finetune/tasks/${ID}/merge`]: () =>
        apiError(409, 'merge_in_progress', `the merge of task ${ID} is already running`),
    });
    const onChanged = vi.fn();
    renderWithProviders(<MergeAction task={task()} onChanged={onChanged} compact />);
    fireEvent.click(screen.getByTestId('task-merge'));
    expect(await screen.findByText(`the merge of task ${ID} is already running`)).toBeTruthy();
    expect(onChanged).not.toHaveBeenCalled();
  });

  it('shows a completed task that is merging as completed · merging', () => {
    renderWithProviders(<TaskStatusTag task={task({ phase: 'merging', merge_run: { state: 'running' } })} />);
    expect(screen.getByTestId('task-status').textContent).toContain('Completed');
    expect(screen.getByTestId('task-status').textContent).toContain('merging');
  });
});
