import { useEffect, useState } from 'react';
import { finetuneApi } from '../api/finetune';
import { errorMessage } from '../api/http';
import type { MetricPoint, Task } from '../api/types';
import { isAbort } from './usePolling';

/** Adds the task's latest reading when it is a step the series does not have yet. */
export function appendLive(points: MetricPoint[], task: Task): MetricPoint[] {
  if (task.step == null || task.latest_loss == null) {
    return points;
  }
  const last = points[points.length - 1];
  if (last?.step != null && last.step >= task.step) {
    return points;
  }
  return [...points, { step: task.step, epoch: task.epoch, loss: task.latest_loss, learning_rate: task.learning_rate }];
}

/**
 * The loss / learning-rate series of a task: `GET …/metrics` when opened and again when the task
 * finishes, plus each new step the live task carries in between.
 */
export function useTaskMetrics(task: Task | undefined): { points: MetricPoint[]; error: string | null } {
  const [points, setPoints] = useState<MetricPoint[]>([]);
  const [error, setError] = useState<string | null>(null);
  const taskId = task?.task_id;
  const finished = task ? !['pending', 'queued', 'preparing', 'training'].includes(task.status) : false;

  useEffect(() => {
    setPoints([]);
    setError(null);
  }, [taskId]);

  useEffect(() => {
    if (!taskId) {
      return undefined;
    }
    const controller = new AbortController();
    finetuneApi.metrics(taskId, controller.signal).then(
      (metrics) => setPoints(metrics.points ?? []),
      (cause: unknown) => {
        if (!isAbort(cause)) {
          setError(errorMessage(cause));
        }
      },
    );
    return () => controller.abort();
  }, [taskId, finished]);

  useEffect(() => {
    if (task) {
      setPoints((current) => appendLive(current, task));
    }
  }, [task]);

  return { points, error };
}
