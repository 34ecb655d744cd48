import { Flex, Tag, Typography } from 'antd';
import type { Task } from '../api/types';
import { useI18n } from '../i18n/I18nProvider';

type Tracker = NonNullable<Task['trackers']>[number];

/**
 * Where a task's experiment trackers keep its curves (issue 23): MLflow / W&B runs as links (their run id when there
 * is no page, e.g. W&B offline), TensorBoard as the folder to point `tensorboard --logdir` at, and a tracker the
 * trainer could not use with its reason.
 */
export function TaskTrackers({ task }: { task: Task }) {
  const { t } = useI18n();
  const trackers: Tracker[] = task.trackers ?? [];
  return (
    <Flex vertical gap={4} data-testid="task-trackers">
      {trackers.map((tracker) => (
        <Flex key={tracker.name} gap={8} align="baseline" data-testid={`tracker-${tracker.name}`}>
          <Tag>{tracker.name}</Tag>
          {tracker.state === 'unavailable' ? (
            <Typography.Text type="warning">
              {t('drawer.trackerUnavailable', { message: tracker.message ?? '' })}
            </Typography.Text>
          ) : tracker.url ? (
            <Typography.Link href={tracker.url} target="_blank" rel="noreferrer">
              {tracker.run_id ?? tracker.url}
            </Typography.Link>
          ) : tracker.log_dir ? (
            <Typography.Text className="mono" copyable>
              {task.output_dir ? `${task.output_dir}/${tracker.log_dir}` : tracker.log_dir}
            </Typography.Text>
          ) : (
            <Typography.Text className="mono">{tracker.run_id ?? '—'}</Typography.Text>
          )}
        </Flex>
      ))}
    </Flex>
  );
}
