import { CopyOutlined, RedoOutlined } from '@ant-design/icons';
import { App, Button, Tooltip } from 'antd';
import { useState } from 'react';
import { finetuneApi } from '../api/finetune';
import { errorMessage } from '../api/http';
import type { Task, TaskRow } from '../api/types';
import { useI18n } from '../i18n/I18nProvider';

/** A failed or cancelled task can run again (`POST …/retry`: same id, next attempt). */
export function canRetry(task: TaskRow): boolean {
  return task.status === 'failed' || task.status === 'cancelled';
}

interface RetryProps {
  task: TaskRow;
  /** The task as the service answered: queued again, `attempt` grown by one. */
  onChanged: (task: Task) => void;
  /** An icon button for a table row; otherwise a labelled button (task drawer). */
  compact?: boolean;
}

/** "Retry" for a failed or cancelled task: from its last checkpoint when the trainer left one. */
export function RetryAction({ task, onChanged, compact = false }: RetryProps) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [sending, setSending] = useState(false);
  if (!canRetry(task)) {
    return null;
  }
  const retry = async () => {
    setSending(true);
    try {
      const queued = await finetuneApi.retryTask(task.task_id, true);
      onChanged(queued);
      message.info(t('retry.started', { id: queued.task_id, attempt: queued.attempt }));
    } catch (cause) {
      message.error(errorMessage(cause));
    } finally {
      setSending(false);
    }
  };
  return (
    <Tooltip title={t('retry.hint')}>
      <Button
        size="small"
        type={compact ? 'text' : 'default'}
        icon={<RedoOutlined />}
        loading={sending}
        aria-label={t('retry.action')}
        data-testid="task-retry"
        onClick={() => void retry()}
      >
        {compact ? null : t('retry.action')}
      </Button>
    </Tooltip>
  );
}

interface CloneProps {
  task: TaskRow;
  /** Fills the create form with the task's settings (the form then submits a clone). */
  onClone: (task: TaskRow) => void;
  compact?: boolean;
}

/** "Clone & edit": any task, in any state. */
export function CloneAction({ task, onClone, compact = false }: CloneProps) {
  const { t } = useI18n();
  return (
    <Tooltip title={t('clone.hint')}>
      <Button
        size="small"
        type={compact ? 'text' : 'default'}
        icon={<CopyOutlined />}
        aria-label={t('clone.action')}
        data-testid="task-clone"
        onClick={() => onClone(task)}
      >
        {compact ? null : t('clone.action')}
      </Button>
    </Tooltip>
  );
}
