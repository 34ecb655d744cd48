import { describe, expect, it } from 'vitest';
import type { Task } from '../api/types';
import { appendLive } from './useTaskMetrics';

const task = (extra: Record<string, unknown>) => ({ task_id: 't', status: 'training', ...extra }) as unknown as Task;

describe('appendLive', () => {
  it('adds a new training step, and the eval loss as an eval point when it changed', () => {
    let points = appendLive([{ step: 1, loss: 2 }], task({ step: 2, latest_loss: 1.8 }));
    expect(points).toEqual([
      { step: 1, loss: 2 },
      { step: 2, epoch: undefined, loss: 1.8, learning_rate: undefined },
    ]);
    points = appendLive(points, task({ step: 2, latest_loss: 1.8, eval_loss: 1.9 }));
    expect(points[points.length - 1]).toEqual({ step: 2, epoch: undefined, eval_loss: 1.9 });
    // the same eval loss again, or a training step already there: nothing new
    expect(appendLive(points, task({ step: 2, latest_loss: 1.8, eval_loss: 1.9 }))).toBe(points);
    // a later training step after an eval point is still added (eval points do not hide training steps)
    const later = appendLive(points, task({ step: 3, latest_loss: 1.7, eval_loss: 1.9 }));
    expect(later[later.length - 1]).toMatchObject({ step: 3, loss: 1.7 });
  });
});
