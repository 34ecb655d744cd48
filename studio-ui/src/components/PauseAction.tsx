import { PauseCircleOutlined, PlayCircleOutlined } from '@ant-design/icons';
import { App, Button, Tooltip } from 'antd';
import { useState } from 'react';
import { finetuneApi } from '../api/finetune';
import { errorMessage } from '../api/http';
import type { Task, TaskRow } from '../api/types';
import { useI18n } from '../i18n/I18nProvider';

/** A queued or running task can be paused (`POST …/pause`) unless a cancel is under way. */
export function canPause(task: TaskRow): boolean {
  const live = ['pending', 'queued', 'preparing', 'training'].includes(task.status);
  return live && !task.cancel_requested;
}

interface PauseProps {
  task: TaskRow;
  /** The task as the service answered: paused, pausing (`pause_requested`) or queued again. */
  onChanged: (task: Task) => void;
  /** An icon button for a table row; otherwise a labelled button (task drawer). */
  compact?: boolean;
}

/**
 * "Pause" for a queued or running task and "Resume" for a paused one. While a running trainer checkpoints and stops,
 * the button says so and cannot be pressed again: the task is not paused until the service says `paused`.
 */
export function PauseAction({ task, onChanged, compact = false }: PauseProps) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [sending, setSending] = useState(false);
  const paused = task.status === 'paused';
  if (!paused && !canPause(task)) {
    return null;
  }
  const pausing = !paused && task.pause_requested;
  const send = async () => {
    setSending(true);
    try {
      if (paused) {
        const queued = await finetuneApi.resumeTask(task.task_id);
        onChanged(queued);
        message.info(t('resume.started', { id: queued.task_id, attempt: queued.attempt }));
      } else {
        const answer = await finetuneApi.pauseTask(task.task_id);
        onChanged(answer);
        message.info(t(answer.status === 'paused' ? 'pause.done' : 'pause.requested', { id: answer.task_id }));
      }
    } catch (cause) {
      message.error(errorMessage(cause));
    } finally {
      setSending(false);
    }
  };
  const label = paused ? t('resume.action') : t('pause.action');
  return (
    <Tooltip title={pausing ? t('pause.pausing') : paused ? t('resume.hint') : t('pause.hint')}>
      <Button
        size="small"
        type={compact ? 'text' : 'default'}
        icon={paused ? <PlayCircleOutlined /> : <PauseCircleOutlined />}
        loading={sending || pausing}
        disabled={pausing}
        aria-label={label}
        data-testid={paused ? 'task-resume' : 'task-pause'}
        onClick={() => void send()}
      >
        {compact ? null : label}
      </Button>
    </Tooltip>
  );
}
