import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Task } from '../api/types';
import { renderWithProviders } from '../test/render';
import { TaskTrackers } from './TaskTrackers';

function task(trackers: unknown[]): Task {
  return {
    task_id: 'ft-1',
    model_name: 'Qwen/Qwen2.5-0.5B-Instruct',
    status: 'training',
    output_dir: '/home/studio_finetune/ft-1',
    trackers,
  } as unknown as Task;
}

describe('TaskTrackers', () => {
  it('links MLflow and W&B runs, shows the TensorBoard folder and why a tracker is unavailable', () => {
    renderWithProviders(
      <TaskTrackers
        task={task([
          { name: 'tensorboard', state: 'active', log_dir: 'tensorboard' },
          { name: 'mlflow', state: 'active', run_id: 'r1', url: 'https://mlflow.example/#/experiments/1/runs/r1' },
          { name: 'wandb', state: 'unavailable', message: 'wandb is not installed' },
        ])}
      />,
    );
    expect(
      within(screen.getByTestId('tracker-tensorboard')).getByText('/home/studio_finetune/ft-1/tensorboard'),
    ).toBeTruthy();
    const link = within(screen.getByTestId('tracker-mlflow')).getByRole('link');
    expect(link.getAttribute('href')).toBe('https://mlflow.example/#/experiments/1/runs/r1');
    expect(link.textContent).toBe('r1');
    expect(screen.getByTestId('tracker-wandb').textContent).toContain('wandb is not installed');
  });

  it('shows a run id without a page (W&B offline) as text', () => {
    renderWithProviders(<TaskTrackers task={task([{ name: 'wandb', state: 'active', run_id: 'abc', url: null }])} />);
    const row = screen.getByTestId('tracker-wandb');
    expect(within(row).queryByRole('link')).toBeNull();
    expect(row.textContent).toContain('abc');
  });
});
