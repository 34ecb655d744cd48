import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { Task } from '../api/types';
import { apiError, json, sseStream, stubFetch } from '../test/fetchStub';
import { mergeFirstPage, useTaskFeed } from './useTaskFeed';

const page = (tasks: Task[], nextCursor: string | null = null) =>
  json({ tasks, total: tasks.length, next_cursor: nextCursor });

const task = (id: string, status: Task['status'], created = '2026-01-01T00:00:00Z'): Task =>
  ({
    task_id: id,
    model_name: 'Qwen/Qwen2.5-0.5B-Instruct',
    status,
    created_at: created,
  }) as Task;

describe('useTaskFeed', () => {
  it('applies task and deleted events from the stream, newest first', async () => {
    let stream!: ReturnType<typeof sseStream>;
    stubFetch({
      'GET /api/finetune/tasks/stream': (call) => {
        stream = sseStream(call.signal);
        return stream.response;
      },
      'GET /api/finetune/tasks?limit=50': () => page([task('a', 'queued', '2026-01-01T00:00:00Z')]),
    });
    const { result } = renderHook(() => useTaskFeed());
    await waitFor(() => expect(result.current.mode).toBe('live'));
    await waitFor(() => expect(result.current.tasks.map((t) => t.task_id)).toEqual(['a']));

    act(() => stream.send('task', task('b', 'training', '2026-01-02T00:00:00Z')));
    await waitFor(() => expect(result.current.tasks.map((t) => t.task_id)).toEqual(['b', 'a']));

    act(() => stream.send('task', { ...task('a', 'completed'), loss: 0.5 }));
    await waitFor(() => expect(result.current.tasks.find((t) => t.task_id === 'a')?.status).toBe('completed'));

    act(() => stream.send('deleted', { task_id: 'b' }));
    await waitFor(() => expect(result.current.tasks.map((t) => t.task_id)).toEqual(['a']));
  });

  it('closes the stream on unmount', async () => {
    let stream!: ReturnType<typeof sseStream>;
    stubFetch({
      'GET /api/finetune/tasks/stream': (call) => {
        stream = sseStream(call.signal);
        return stream.response;
      },
      'GET /api/finetune/tasks?limit=50': () => page([]),
    });
    const { result, unmount } = renderHook(() => useTaskFeed());
    await waitFor(() => expect(result.current.mode).toBe('live'));
    unmount();
    expect(stream.closed).toBe(true);
  });

  it('polls every 3 s when the stream is unavailable, and stops polling on unmount', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let list = [task('a', 'training')];
    const { count } = stubFetch({
      'GET /api/finetune/tasks/stream': () => apiError(503, 'unavailable', 'no stream'),
      'GET /api/finetune/tasks?limit=50': () => page(list),
    });
    const { result, unmount } = renderHook(() => useTaskFeed({ pollMs: 3000, retryStreamMs: 60_000 }));
    await waitFor(() => expect(result.current.mode).toBe('polling'));
    const before = count('GET /api/finetune/tasks') - count('GET /api/finetune/tasks/stream');

    list = [task('a', 'completed')];
    await act(() => vi.advanceTimersByTimeAsync(3000));
    await waitFor(() => expect(result.current.tasks[0].status).toBe('completed'));
    const polls = count('GET /api/finetune/tasks') - count('GET /api/finetune/tasks/stream');
    expect(polls).toBeGreaterThan(before);

    unmount();
    await act(() => vi.advanceTimersByTimeAsync(120_000));
    expect(count('GET /api/finetune/tasks') - count('GET /api/finetune/tasks/stream')).toBe(polls);
    expect(count('GET /api/finetune/tasks/stream')).toBe(1);
  });

  it('goes back to the stream after polling, and stops polling then', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let streamUp = false;
    let stream!: ReturnType<typeof sseStream>;
    const { count } = stubFetch({
      'GET /api/finetune/tasks/stream': (call) => {
        if (!streamUp) {
          return apiError(502, 'bad_gateway', 'finetune-service down');
        }
        stream = sseStream(call.signal);
        return stream.response;
      },
      'GET /api/finetune/tasks?limit=50': () => page([]),
    });
    const { result, unmount } = renderHook(() => useTaskFeed({ pollMs: 3000, retryStreamMs: 10_000 }));
    await waitFor(() => expect(result.current.mode).toBe('polling'));
    streamUp = true;
    await act(() => vi.advanceTimersByTimeAsync(10_000));
    await waitFor(() => expect(result.current.mode).toBe('live'));
    const listCalls = count('GET /api/finetune/tasks') - count('GET /api/finetune/tasks/stream');
    await act(() => vi.advanceTimersByTimeAsync(30_000));
    expect(count('GET /api/finetune/tasks') - count('GET /api/finetune/tasks/stream')).toBe(listCalls);
    unmount();
    expect(stream.closed).toBe(true);
  });

  it('a first page replaces what it covers and keeps older tasks known from the stream', () => {
    const known = [
      task('d', 'training', '2026-01-04T00:00:00Z'),
      task('c', 'queued', '2026-01-03T00:00:00Z'),
      task('b', 'completed', '2026-01-02T00:00:00Z'),
      task('a', 'failed', '2026-01-01T00:00:00Z'),
    ];
    // e is new, c was deleted (between two tasks of the page), a is older than the page: kept
    const first = [
      task('e', 'queued', '2026-01-05T00:00:00Z'),
      task('d', 'completed', '2026-01-04T00:00:00Z'),
      task('b', 'completed', '2026-01-02T00:00:00Z'),
    ];
    const merged = mergeFirstPage(known, first, false);
    expect(merged.map((t) => t.task_id)).toEqual(['e', 'd', 'b', 'a']);
    expect(merged[1].status).toBe('completed');
    expect(mergeFirstPage(known, first, true).map((t) => t.task_id)).toEqual(['e', 'd', 'b']);
  });

  it('a first page read before a change keeps what the stream brought since', () => {
    // The stream (open before the page was asked for) has b at revision 7 and the new task c; the page, read on the
    // server a moment earlier, has b at revision 6 and no c yet.
    const fromStream = [
      { ...task('c', 'queued', '2026-01-03T00:00:00Z'), revision: 1 },
      { ...task('b', 'completed', '2026-01-02T00:00:00Z'), revision: 7 },
    ];
    const older = [
      { ...task('b', 'training', '2026-01-02T00:00:00Z'), revision: 6 },
      { ...task('a', 'failed', '2026-01-01T00:00:00Z'), revision: 3 },
    ];
    for (const complete of [true, false]) {
      const merged = mergeFirstPage(fromStream, older, complete, true);
      expect(merged.map((t) => t.task_id)).toEqual(['c', 'b', 'a']);
      expect(merged[1].status).toBe('completed');
    }
    // Polling (no stream to report deletions): a task missing from a complete page is gone, however new.
    expect(mergeFirstPage(fromStream, older, true, false).map((t) => t.task_id)).toEqual(['b', 'a']);
  });

  it('asks the stream for changes only, without a snapshot of every task', async () => {
    const { calls } = stubFetch({
      'GET /api/finetune/tasks/stream': (call) => sseStream(call.signal).response,
      'GET /api/finetune/tasks?limit=50': () => page([]),
    });
    const { result, unmount } = renderHook(() => useTaskFeed());
    await waitFor(() => expect(result.current.mode).toBe('live'));
    expect(calls.filter((c) => c.url.includes('/tasks/stream')).map((c) => c.url)).toEqual([
      '/api/finetune/tasks/stream?snapshot=false',
    ]);
    unmount();
  });
});
