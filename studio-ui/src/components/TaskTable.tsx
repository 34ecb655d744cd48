import { DeleteOutlined, DownloadOutlined, StopOutlined, SwapOutlined } from '@ant-design/icons';
import { App, Badge, Button, Card, Empty, Flex, Popconfirm, Progress, Table, Tooltip, Typography } from 'antd';
import type { HTMLAttributes } from 'react';
import type { ColumnsType } from 'antd/es/table';
import { finetuneApi } from '../api/finetune';
import { errorMessage } from '../api/http';
import type { Task, TaskRow } from '../api/types';
import type { FeedMode } from '../hooks/useTaskFeed';
import { useI18n } from '../i18n/I18nProvider';
import {
  formatDuration,
  formatTime,
  hasModel,
  isCancellable,
  isRunning,
  progressPercent,
  progressText,
} from '../lib/taskFormat';
import { useModelSwitch } from '../state/ModelSwitchContext';
import { EvaluateAction } from './EvaluateAction';
import { MergeAction } from './MergeAction';
import { PauseAction } from './PauseAction';
import { CloneAction, RetryAction } from './RetryAction';
import { TaskStatusTag } from './TaskStatusTag';

interface Props {
  tasks: TaskRow[];
  mode: FeedMode;
  loaded: boolean;
  error: string | null;
  onOpen: (taskId: string) => void;
  onChanged: (task: Task) => void;
  onDeleted: (taskId: string) => void;
  /** "Clone & edit": fills the create form with a task's settings. */
  onClone?: (task: TaskRow) => void;
}

const FEED_BADGE = { live: 'success', polling: 'warning', connecting: 'default' } as const;

export function TaskProgress({ task }: { task: TaskRow }) {
  const { t } = useI18n();
  const percent = progressPercent(task);
  const status =
    task.status === 'failed'
      ? 'exception'
      : task.status === 'completed'
        ? 'success'
        : isRunning(task.status)
          ? 'active'
          : 'normal';
  return (
    <div className="task-progress">
      <Progress percent={percent} size="small" status={status} />
      <Typography.Text type="secondary" className="task-progress__text" data-testid="task-progress-text">
        {progressText(task, t)}
        {isRunning(task.status) &&
          task.eta_seconds != null &&
          ` · ${t('progress.eta', { eta: formatDuration(task.eta_seconds) })}`}
      </Typography.Text>
    </div>
  );
}

/** Every task, newest first, live from the stream (or polling); actions per row. */
export function TaskTable({ tasks, mode, loaded, error, onOpen, onChanged, onDeleted, onClone }: Props) {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const { ask, busy } = useModelSwitch();

  const act = async (action: () => Promise<void>) => {
    try {
      await action();
    } catch (cause) {
      message.error(errorMessage(cause));
    }
  };

  const columns: ColumnsType<TaskRow> = [
    {
      title: (
        <span>
          {t('table.id')} <Typography.Text type="secondary">· {t('table.created')}</Typography.Text>
        </span>
      ),
      dataIndex: 'task_id',
      width: 215,
      render: (id: string, task) => (
        <div className="task-cell">
          <Button type="link" size="small" className="task-id" onClick={() => onOpen(id)} data-testid="task-open">
            {id}
          </Button>
          <Typography.Text type="secondary" className="task-cell__created" data-testid="task-created">
            {formatTime(task.created_at, lang)}
          </Typography.Text>
        </div>
      ),
    },
    {
      title: t('table.baseModel'),
      dataIndex: 'model_name',
      ellipsis: { showTitle: false },
      render: (name: string) => (
        <Tooltip title={name}>
          <span>{name.includes('/') ? name.slice(name.indexOf('/') + 1) : name}</span>
        </Tooltip>
      ),
    },
    {
      title: t('table.status'),
      dataIndex: 'status',
      width: 130,
      render: (_: unknown, task) => <TaskStatusTag task={task} />,
    },
    {
      title: t('table.progress'),
      key: 'progress',
      width: 225,
      render: (_: unknown, task) => <TaskProgress task={task} />,
    },
    {
      title: t('table.queue'),
      dataIndex: 'queue_position',
      width: 64,
      align: 'center',
      render: (position: number | null | undefined, task) =>
        position != null && (task.status === 'queued' || task.status === 'pending') ? (
          <span data-testid="task-queue">#{position}</span>
        ) : (
          '—'
        ),
    },
    {
      title: t('table.actions'),
      key: 'actions',
      width: 160,
      fixed: 'right',
      render: (_: unknown, task) => (
        <Flex gap={2}>
          <Tooltip title={t('action.switch')}>
            <Button
              size="small"
              type="text"
              icon={<SwapOutlined />}
              disabled={!hasModel(task) || busy}
              aria-label={t('action.switch')}
              data-testid="task-switch"
              onClick={() => ask({ task_id: task.task_id, label: task.task_id, evaluation: task.evaluation ?? null })}
            />
          </Tooltip>
          <Tooltip title={t('action.download')}>
            <Button
              size="small"
              type="text"
              icon={<DownloadOutlined />}
              disabled={!hasModel(task)}
              aria-label={t('action.download')}
              data-testid="task-download"
              onClick={() => void act(() => finetuneApi.download(task.task_id))}
            />
          </Tooltip>
          <EvaluateAction task={task} compact />
          <MergeAction task={task} onChanged={onChanged} compact />
          <PauseAction task={task} onChanged={onChanged} compact />
          <RetryAction task={task} onChanged={onChanged} compact />
          {onClone && <CloneAction task={task} onClone={onClone} compact />}
          {isCancellable(task.status) ? (
            <Popconfirm
              title={t('action.cancelConfirm', { id: task.task_id })}
              okText={t('action.cancel')}
              cancelText={t('common.no')}
              onConfirm={() => act(async () => onChanged(await finetuneApi.cancelTask(task.task_id)))}
            >
              <Tooltip title={t('action.cancel')}>
                <Button
                  size="small"
                  type="text"
                  danger
                  icon={<StopOutlined />}
                  aria-label={t('action.cancel')}
                  data-testid="task-cancel"
                />
              </Tooltip>
            </Popconfirm>
          ) : (
            <Popconfirm
              title={t('action.deleteConfirm', { id: task.task_id })}
              description={t('action.deleteHint')}
              okText={t('action.delete')}
              okButtonProps={{ danger: true }}
              cancelText={t('common.no')}
              onConfirm={() =>
                act(async () => {
                  await finetuneApi.deleteTask(task.task_id);
                  onDeleted(task.task_id);
                  message.success(t('action.deleted', { id: task.task_id }));
                })
              }
            >
              <Tooltip title={t('action.delete')}>
                <Button
                  size="small"
                  type="text"
                  danger
                  icon={<DeleteOutlined />}
                  aria-label={t('action.delete')}
                  data-testid="task-delete"
                />
              </Tooltip>
            </Popconfirm>
          )}
        </Flex>
      ),
    },
  ];

  return (
    <Card
      size="small"
      title={t('table.title')}
      extra={
        <Tooltip title={error ?? undefined}>
          <Badge
            status={error ? 'error' : FEED_BADGE[mode]}
            text={<span data-testid="feed-mode">{t(`feed.${mode}`)}</span>}
          />
        </Tooltip>
      }
      data-testid="task-table"
      styles={{ body: { padding: 0 } }}
    >
      <Table<TaskRow>
        rowKey="task_id"
        size="small"
        columns={columns}
        dataSource={tasks}
        loading={!loaded && !error}
        pagination={tasks.length > 10 ? { pageSize: 10, size: 'small' } : false}
        scroll={{ x: 860 }}
        onRow={(task) =>
          ({ 'data-testid': `task-row-${task.task_id}`, 'data-status': task.status }) as HTMLAttributes<HTMLElement>
        }
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={error ?? t('table.empty')} /> }}
      />
    </Card>
  );
}
