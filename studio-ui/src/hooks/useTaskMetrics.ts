import { useEffect, useState } from 'react';
import { finetuneApi } from '../api/finetune';
import { errorMessage } from '../api/http';
import type { Task } from '../api/types';
import type { ChartPoint } from '../api/evaluation';
import { isAbort } from './usePolling';

/** Adds the task's latest reading when it is a step the series does not have yet. */
export function appendLive(points: ChartPoint[], task: Task): ChartPoint[] {
  return appendLiveEval(appendLiveTraining(points, task), task);
}

function appendLiveTraining(points: ChartPoint[], task: Task): ChartPoint[] {
  if (task.step == null || task.latest_loss == null) {
    return points;
  }
  const last = points.filter((p) => p.eval_loss == null).pop();
  if (last?.step != null && last.step >= task.step) {
    return points;
  }
  return [...points, { step: task.step, epoch: task.epoch, loss: task.latest_loss, learning_rate: task.learning_rate }];
}

/**
 * Adds the task's latest eval loss as an eval point at its current step when it differs from the series' last one
 * (the live task carries `eval_loss`, not the eval record's step; the series read when the task ends has the exact
 * steps).
 */
function appendLiveEval(points: ChartPoint[], task: Task): ChartPoint[] {
  if (task.step == null || task.eval_loss == null) {
    return points;
  }
  const last = points.filter((p) => p.eval_loss != null).pop();
  if (last && (last.eval_loss === task.eval_loss || (last.step ?? 0) >= task.step)) {
    return points;
  }
  return [...points, { step: task.step, epoch: task.epoch, eval_loss: task.eval_loss }];
}

/**
 * The loss / learning-rate series of a task: `GET …/metrics` when opened and again when the task
 * finishes, plus each new step the live task carries in between.
 */
export function useTaskMetrics(task: Task | undefined): { points: ChartPoint[]; error: string | null } {
  const [points, setPoints] = useState<ChartPoint[]>([]);
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
