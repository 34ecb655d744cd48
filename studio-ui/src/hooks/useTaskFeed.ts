import { useCallback, useEffect, useState } from 'react';
import { finetuneApi } from '../api/finetune';
import { errorMessage } from '../api/http';
import type { SseEvent } from '../api/sse';
import type { Task, TaskDeleted, TaskRow } from '../api/types';
import { isAbort } from './usePolling';

/** `live`: the SSE stream is open; `polling`: it failed, the list is fetched every few seconds. */
export type FeedMode = 'connecting' | 'live' | 'polling';

export interface TaskFeed {
  /** Rows of the first page and whole tasks from the stream, newest first. */
  tasks: TaskRow[];
  mode: FeedMode;
  loaded: boolean;
  error: string | null;
  /** Applies an answer the UI already has (create, cancel) without waiting for the stream. */
  upsert: (task: TaskRow) => void;
  remove: (taskId: string) => void;
}

export interface TaskFeedOptions {
  pollMs?: number;
  /** How long to poll before trying the stream again. */
  retryStreamMs?: number;
}

function newestFirst(tasks: TaskRow[]): TaskRow[] {
  return [...tasks].sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? ''));
}

/** `a` comes after `b` in the list's order (created_at, then task id, newest first), as the server sorts. */
function after(a: TaskRow, b: TaskRow): boolean {
  const created = (b.created_at ?? '').localeCompare(a.created_at ?? '');
  return created !== 0 ? created > 0 : b.task_id.localeCompare(a.task_id) > 0;
}

/**
 * Which of two copies of a task to show: `incoming` unless `known` has a higher revision (a page read on the server
 * before a change can arrive after the stream's event for that change).
 */
function fresher(known: TaskRow | undefined, incoming: TaskRow): TaskRow {
  return known !== undefined && (known.revision ?? 0) > (incoming.revision ?? 0) ? known : incoming;
}

/**
 * The list after a fetch of its first page: the page replaces what it covers (a task missing there was deleted)
 * unless the stream already brought a later revision. Tasks known before stay when they are older than the page's
 * last one (beyond the page) and, with `live` (the stream was open when the page was asked for, so it reports
 * deletions), when they are newer than its first (created after the server read the page).
 */
export function mergeFirstPage(current: TaskRow[], page: TaskRow[], complete: boolean, live = false): TaskRow[] {
  const first = page[0];
  const last = page[page.length - 1];
  if (first === undefined || last === undefined) {
    return complete ? [] : current;
  }
  const known = new Map(current.map((t) => [t.task_id, t]));
  const onPage = new Set(page.map((t) => t.task_id));
  const kept = current.filter(
    (t) => !onPage.has(t.task_id) && ((!complete && after(t, last)) || (live && after(first, t))),
  );
  return newestFirst([...page.map((t) => fresher(known.get(t.task_id), t)), ...kept]);
}

function upsertInto(tasks: TaskRow[], task: TaskRow): TaskRow[] {
  const index = tasks.findIndex((t) => t.task_id === task.task_id);
  if (index < 0) {
    return newestFirst([...tasks, task]);
  }
  const next = [...tasks];
  next[index] = fresher(tasks[index], task);
  return next;
}

/**
 * The task list, live: the SSE stream of changes (`task` and `deleted` events, without the server's snapshot of
 * every task), and once it is open the first page of `GET /api/finetune/tasks` (the newest 50, paged on the
 * server, so the table shows at once and the browser holds no more than that page and what changed, however many
 * tasks there are). When the stream cannot be opened or drops, the list is polled every `pollMs` and the
 * stream retried after `retryStreamMs`. Unmounting closes the stream and clears every timer.
 */
export function useTaskFeed({ pollMs = 3000, retryStreamMs = 15000 }: TaskFeedOptions = {}): TaskFeed {
  const [tasks, setTasks] = useState<TaskRow[]>([]);
  const [mode, setMode] = useState<FeedMode>('connecting');
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const lifetime = new AbortController();
    let pollTimer: ReturnType<typeof setInterval> | undefined;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;

    const load = async (live = false) => {
      try {
        const page = await finetuneApi.listTasks(lifetime.signal);
        if (!lifetime.signal.aborted) {
          setTasks((current) => mergeFirstPage(current, page.tasks, page.next_cursor == null, live));
          setLoaded(true);
          setError(null);
        }
      } catch (cause) {
        if (!lifetime.signal.aborted && !isAbort(cause)) {
          setError(errorMessage(cause));
        }
      }
    };

    const startPolling = () => {
      setMode('polling');
      if (pollTimer === undefined) {
        void load();
        pollTimer = setInterval(() => void load(), pollMs);
      }
    };

    const stopPolling = () => {
      clearInterval(pollTimer);
      pollTimer = undefined;
    };

    const onEvent = (event: SseEvent) => {
      if (event.event === 'task') {
        const task = JSON.parse(event.data) as Task;
        setTasks((current) => upsertInto(current, task));
      } else if (event.event === 'deleted') {
        const { task_id } = JSON.parse(event.data) as TaskDeleted;
        setTasks((current) => current.filter((t) => t.task_id !== task_id));
      }
    };

    const openStream = () => {
      retryTimer = undefined;
      finetuneApi
        .streamTasks(lifetime.signal, onEvent, () => {
          stopPolling();
          setMode('live');
          setError(null);
          void load(true);
        })
        .then(
          () => fallBack(),
          (cause: unknown) => {
            if (!isAbort(cause)) {
              fallBack();
            }
          },
        );
    };

    const fallBack = () => {
      if (lifetime.signal.aborted) {
        return;
      }
      startPolling();
      retryTimer = setTimeout(openStream, retryStreamMs);
    };

    void load();
    openStream();
    return () => {
      lifetime.abort();
      stopPolling();
      clearTimeout(retryTimer);
    };
  }, [pollMs, retryStreamMs]);

  const upsert = useCallback((task: TaskRow) => setTasks((current) => upsertInto(current, task)), []);
  const remove = useCallback(
    (taskId: string) => setTasks((current) => current.filter((t) => t.task_id !== taskId)),
    [],
  );
  return { tasks, mode, loaded, error, upsert, remove };
}
