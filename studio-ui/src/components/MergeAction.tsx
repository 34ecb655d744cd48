import { LoadingOutlined, MergeCellsOutlined } from '@ant-design/icons';
import { App, Button, Flex, Tag, Tooltip } from 'antd';
import { useState } from 'react';
import { finetuneApi } from '../api/finetune';
import { errorMessage } from '../api/http';
import type { MergeRun, Task, TaskRow } from '../api/types';
import { useI18n } from '../i18n/I18nProvider';

/** A task's `merge_run` (`POST /api/finetune/tasks/{id}/merge`): the merge of its LoRA adapter into merged_model/. */
export function mergeRunOf(task: TaskRow): MergeRun | null {
  return task.merge_run ?? null;
}

/** The merge is queued or running. */
export function isMerging(task: TaskRow): boolean {
  const state = mergeRunOf(task)?.state;
  return state === 'queued' || state === 'running';
}

/** A completed LoRA/QLoRA task with an adapter and no merged model, not merging now. */
export function canMerge(task: TaskRow): boolean {
  return (
    task.status === 'completed' &&
    (task.method === 'lora' || task.method === 'qlora') &&
    Boolean(task.artifacts?.lora) &&
    !task.artifacts?.merged_model &&
    !isMerging(task)
  );
}

interface Props {
  task: TaskRow;
  /** The task as the service answered (merge queued), or after a cancel. */
  onChanged: (task: Task) => void;
  /** An icon button for a table row; otherwise a button with the merge's state (task drawer). */
  compact?: boolean;
}

/** "Merge LoRA" for a completed LoRA/QLoRA task without a merged model, and the merge's state while and after it runs. */
export function MergeAction({ task, onChanged, compact = false }: Props) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [sending, setSending] = useState(false);
  const merge = mergeRunOf(task);

  const act = async (call: () => Promise<Task>, done?: string) => {
    setSending(true);
    try {
      onChanged(await call());
      if (done) {
        message.info(done);
      }
    } catch (cause) {
      message.error(errorMessage(cause));
    } finally {
      setSending(false);
    }
  };

  if (isMerging(task)) {
    const label = merge?.state === 'queued' ? t('merge.queued') : t('merge.running');
    if (compact) {
      return (
        <Tooltip title={label}>
          <Button
            size="small"
            type="text"
            disabled
            icon={<LoadingOutlined />}
            aria-label={label}
            data-testid="task-merging"
          />
        </Tooltip>
      );
    }
    return (
      <Flex gap={8} align="center">
        <Tag color="processing" icon={<LoadingOutlined />} data-testid="merge-state">
          {label}
        </Tag>
        <Button
          size="small"
          danger
          loading={sending}
          data-testid="merge-cancel"
          onClick={() => void act(() => finetuneApi.cancelTask(task.task_id))}
        >
          {t('merge.cancel')}
        </Button>
      </Flex>
    );
  }
  if (!canMerge(task)) {
    return null;
  }
  const failed = merge?.state === 'failed';
  const button = compact ? (
    <Tooltip title={t('merge.action')}>
      <Button
        size="small"
        type="text"
        icon={<MergeCellsOutlined />}
        loading={sending}
        aria-label={t('merge.action')}
        data-testid="task-merge"
        onClick={() => void act(() => finetuneApi.mergeTask(task.task_id), t('merge.started', { id: task.task_id }))}
      />
    </Tooltip>
  ) : (
    <Tooltip title={t('merge.hint')}>
      <Button
        size="small"
        icon={<MergeCellsOutlined />}
        loading={sending}
        data-testid="task-merge"
        onClick={() => void act(() => finetuneApi.mergeTask(task.task_id), t('merge.started', { id: task.task_id }))}
      >
        {failed ? t('merge.retry') : t('merge.action')}
      </Button>
    </Tooltip>
  );
  if (compact || !merge || merge.state === 'succeeded') {
    return button;
  }
  return (
    <Flex gap={8} align="center">
      <Tooltip title={merge.error_message ?? undefined}>
        <Tag color={failed ? 'error' : 'default'} data-testid="merge-state">
          {failed ? t('merge.failed') : t('merge.cancelled')}
        </Tag>
      </Tooltip>
      {button}
    </Flex>
  );
}
