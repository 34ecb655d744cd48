import { useEffect, useState } from 'react';
import { finetuneApi } from '../api/finetune';
import { isWholeTask, type Task, type TaskRow } from '../api/types';
import { isAbort } from './usePolling';

/**
 * The whole task behind a row of the list (the drawer shows what a page's row leaves out: settings, attempts,
 * trackers): the row itself when the stream already brought the whole task, else `GET /api/finetune/tasks/{id}`,
 * fetched again when the row's `revision` changes. While a newer version loads, the last one of the same task stays
 * shown; `undefined` when there is no row, before the first answer, or when the task is gone.
 */
export function useWholeTask(row: TaskRow | undefined): Task | undefined {
  const [fetched, setFetched] = useState<Task>();
  const whole = row !== undefined && isWholeTask(row) ? row : undefined;
  const wanted = row === undefined || whole ? undefined : row.task_id;
  const revision = row?.revision;

  useEffect(() => {
    if (wanted === undefined) {
      return;
    }
    const controller = new AbortController();
    finetuneApi.getTask(wanted, controller.signal).then(
      (task) => setFetched(task),
      (cause: unknown) => {
        if (!isAbort(cause)) {
          setFetched(undefined);
        }
      },
    );
    return () => controller.abort();
  }, [wanted, revision]);

  if (row === undefined) {
    return undefined;
  }
  return whole ?? (fetched?.task_id === row.task_id ? fetched : undefined);
}
