import { renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { isWholeTask, type Task, type TaskRow } from '../api/types';
import { apiError, json, stubFetch } from '../test/fetchStub';
import { useWholeTask } from './useWholeTask';

// a page's row has no attempts, config or logs; the stream's task has them
const row = (revision: number): TaskRow =>
  ({ task_id: 'ft-1', model_name: 'Qwen/Qwen2.5-0.5B-Instruct', status: 'training', revision }) as TaskRow;
const whole = (revision: number): Task =>
  ({ ...row(revision), attempts: [], logs: [], config: { num_epochs: 3 }, trackers: [] }) as unknown as Task;

describe('useWholeTask', () => {
  it('fetches the whole task behind a row, again when its revision changes', async () => {
    const stub = stubFetch({
      'GET /api/finetune/tasks/ft-1': () => json(whole(stub.count('GET /api/finetune/tasks/ft-1'))),
    });
    const { result, rerender } = renderHook(({ r }) => useWholeTask(r), {
      initialProps: { r: row(1) as TaskRow | undefined },
    });
    expect(result.current).toBeUndefined();
    await waitFor(() => expect(result.current?.config).toEqual({ num_epochs: 3 }));
    expect(isWholeTask(row(1))).toBe(false);
    expect(stub.count('GET /api/finetune/tasks/ft-1')).toBe(1);

    rerender({ r: row(2) });
    // the last whole version stays shown while the newer one loads
    expect(result.current?.task_id).toBe('ft-1');
    await waitFor(() => expect(stub.count('GET /api/finetune/tasks/ft-1')).toBe(2));

    rerender({ r: undefined });
    expect(result.current).toBeUndefined();
  });

  it('uses a whole task from the stream as it is, and shows nothing for a task that is gone', async () => {
    const stub = stubFetch({
      'GET /api/finetune/tasks/ft-1': () => apiError(404, 'task_not_found', 'no task ft-1'),
    });
    const streamed = whole(5);
    const { result, rerender } = renderHook(({ r }) => useWholeTask(r), { initialProps: { r: streamed as TaskRow } });
    expect(result.current).toBe(streamed);
    expect(stub.count('GET /api/finetune/tasks/ft-1')).toBe(0);

    rerender({ r: row(6) });
    await waitFor(() => expect(stub.count('GET /api/finetune/tasks/ft-1')).toBe(1));
    await waitFor(() => expect(result.current).toBeUndefined());
  });
});
