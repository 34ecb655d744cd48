import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Task } from '../api/types';
import { TaskStatusTag } from '../components/TaskStatusTag';
import { interpolate } from '../i18n/I18nProvider';
import { en, type MessageKey } from '../i18n/en';
import { renderWithProviders } from '../test/render';
import { displayEpoch, formatDuration, hasModel, progressPercent, progressText, STATUS_ICON } from './taskFormat';

const t = (key: MessageKey, vars?: Record<string, string | number>) => interpolate(en[key], vars);

// The fields these tests are about; the rest as a partial task (the service always sends them).
const base = { task_id: 't1', model_name: 'm', status: 'training' } as Task;

describe('progressText', () => {
  it('shows epoch, step and loss as the trainer reports them', () => {
    const task = {
      ...base,
      current_epoch: 2,
      epoch: 1.5,
      total_epochs: 3,
      step: 45,
      total_steps: 90,
      loss: 1.23456,
      latest_loss: 1.23456,
    };
    expect(progressText(task, t)).toBe('Epoch 2/3 · Step 45/90 · Loss 1.2346');
  });

  it('shows dashes, not zeros, for what is not reported yet', () => {
    expect(progressText({ ...base, status: 'queued', total_epochs: 3 }, t)).toBe('Epoch —/3 · Step —/— · Loss —');
    // The seed's `loss` is 0 before the first report: the UI reads `latest_loss`, which stays null until then.
    expect(progressText({ ...base, status: 'queued', total_epochs: 3, loss: 0, latest_loss: null }, t)).toContain(
      'Loss —',
    );
  });

  it('counts the first epoch from 1 while training', () => {
    expect(displayEpoch({ ...base, current_epoch: 0, total_epochs: 3 })).toBe(1);
    expect(displayEpoch({ ...base, current_epoch: 1, epoch: 0.25, total_epochs: 3 })).toBe(1);
    expect(displayEpoch({ ...base, current_epoch: 2, epoch: 1.5, total_epochs: 3 })).toBe(2);
    expect(displayEpoch({ ...base, status: 'completed', current_epoch: 3, total_epochs: 3 })).toBe(3);
  });

  it('derives the percentage from steps when progress is missing, 100 when completed', () => {
    expect(progressPercent({ ...base, step: 30, total_steps: 120 })).toBe(25);
    expect(progressPercent({ ...base, progress: 42.345 })).toBe(42.3);
    expect(progressPercent({ ...base, status: 'completed', progress: 99 })).toBe(100);
  });

  it('formats durations', () => {
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(125)).toBe('2m 05s');
    expect(formatDuration(3 * 3600 + 60)).toBe('3h 01m');
    expect(formatDuration(null)).toBe('—');
  });

  it('offers a model only for completed tasks with an artifact', () => {
    expect(hasModel({ ...base, status: 'completed', artifacts: { lora: '/h/t1/lora' } })).toBe(true);
    expect(hasModel({ ...base, status: 'completed', artifacts: {} })).toBe(false);
    expect(hasModel({ ...base, artifacts: { lora: '/h/t1/lora' } })).toBe(false);
  });
});

describe('TaskStatusTag', () => {
  it.each([
    ['completed', '✅', 'Completed'],
    ['training', '🔄', 'Training'],
    ['preparing', '🔄', 'Preparing'],
    ['queued', '⏳', 'Queued'],
    ['pending', '⏳', 'Pending'],
    ['failed', '❌', 'Failed'],
    ['cancelled', '⊘', 'Cancelled'],
  ] as const)('%s shows %s', (status, icon, label) => {
    renderWithProviders(<TaskStatusTag task={{ status }} />);
    const tag = screen.getByTestId('task-status');
    expect(tag).toHaveTextContent(`${icon} ${label}`);
    expect(STATUS_ICON[status]).toBe(icon);
  });

  it('adds the phase of a running task', () => {
    renderWithProviders(<TaskStatusTag task={{ status: 'preparing', phase: 'loading_model' }} />);
    expect(screen.getByTestId('task-status')).toHaveTextContent('Preparing · loading model');
  });
});
