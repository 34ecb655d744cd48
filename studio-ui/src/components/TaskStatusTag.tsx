import { Tag } from 'antd';
import type { TaskRow } from '../api/types';
import { useI18n, type Translate } from '../i18n/I18nProvider';
import { STATUS_ICON } from '../lib/taskFormat';

const COLOR = {
  completed: 'success',
  training: 'processing',
  preparing: 'processing',
  queued: 'default',
  pending: 'default',
  failed: 'error',
  cancelled: 'default',
  paused: 'warning',
} as const;

const PHASES = ['loading_model', 'preparing_data', 'training', 'saving', 'merging'] as const;
type Phase = (typeof PHASES)[number];

export function phaseLabel(phase: string, t: Translate): string {
  return (PHASES as readonly string[]).includes(phase) ? t(`phase.${phase as Phase}`) : phase;
}

/** ✅ completed (· merging) · 🔄 training/preparing (with its phase) · ⏳ queued/pending · ❌ failed · ⊘ cancelled · ⏸ paused */
export function TaskStatusTag({ task }: { task: Pick<TaskRow, 'status' | 'phase'> }) {
  const { t } = useI18n();
  const running = task.status === 'preparing' || task.status === 'training';
  // a completed task whose adapter is being merged stays completed: its phase says so
  const merging = task.status === 'completed' && task.phase === 'merging';
  const phase = task.phase && ((running && task.phase !== task.status) || merging) ? task.phase : null;
  return (
    <Tag color={COLOR[task.status]} data-testid="task-status" data-status={task.status} className="status-tag">
      <span aria-hidden className="status-tag__icon">
        {STATUS_ICON[task.status]}
      </span>{' '}
      {t(`status.${task.status}`)}
      {phase && <span className="status-tag__phase"> · {phaseLabel(phase, t)}</span>}
    </Tag>
  );
}
