import { Alert, Button, Descriptions, Drawer, Empty, Flex, Progress, Statistic, Tabs, Tag, Typography } from 'antd';
import { useState } from 'react';
import type { Task, TaskRow } from '../api/types';
import { useTaskLogs } from '../hooks/useTaskLogs';
import { useTaskMetrics } from '../hooks/useTaskMetrics';
import { useI18n } from '../i18n/I18nProvider';
import {
  displayEpoch,
  formatDuration,
  formatLoss,
  formatTime,
  isActive,
  progressPercent,
  progressText,
} from '../lib/taskFormat';
import { EvaluateAction } from './EvaluateAction';
import { EvaluationDrawer, VerdictTag } from './EvaluationCompare';
import { LogView } from './LogView';
import { LossChart } from './LossChart';
import { MergeAction } from './MergeAction';
import { PauseAction } from './PauseAction';
import { CloneAction, RetryAction } from './RetryAction';
import { TaskStatusTag } from './TaskStatusTag';
import { TaskTrackers } from './TaskTrackers';

function settingValue(value: unknown): string {
  if (value == null) {
    return '—';
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

interface Props {
  task: Task | undefined;
  onClose: () => void;
  /** A task as an action answered it (e.g. its merge queued); the live feed brings the rest. */
  onChanged?: (task: Task) => void;
  /** "Clone & edit": fills the create form with the task's settings. */
  onClone?: (task: TaskRow) => void;
}

/** Every attempt of a task that was retried (`attempts`, the current one last): when, how it ended, why. */
/** How the task's GPUs share the work: `none` (stored for a one-GPU run) shows as a dash. */
function parallelismLabel(parallelism: string | null | undefined): string {
  return parallelism && parallelism !== 'none' ? parallelism.toUpperCase() : '—';
}

function Attempts({ task }: { task: Task }) {
  const { t, lang } = useI18n();
  const attempts = task.attempts ?? [];
  if (attempts.length < 2) {
    return null;
  }
  return (
    <div data-testid="task-attempts">
      <Typography.Title level={5}>{t('drawer.attempts')}</Typography.Title>
      <Flex vertical gap={4}>
        {attempts.map((attempt) => (
          <div key={attempt.attempt} data-testid={`task-attempt-${attempt.attempt}`}>
            <Tag color={attempt.outcome === 'completed' ? 'success' : attempt.outcome ? 'default' : 'processing'}>
              {t('drawer.attempt', { n: attempt.attempt })}
            </Tag>
            <Typography.Text>{attempt.outcome ?? t('drawer.attemptRunning')}</Typography.Text>
            <Typography.Text type="secondary">
              {' · '}
              {formatTime(attempt.started_at, lang)} → {formatTime(attempt.ended_at, lang)}
            </Typography.Text>
            {attempt.error_message && (
              <Typography.Text type="danger">
                {' · '}
                {attempt.error_code ? `${attempt.error_code}: ` : ''}
                {attempt.error_message}
              </Typography.Text>
            )}
          </div>
        ))}
      </Flex>
    </div>
  );
}

/** The task's latest evaluation (`evaluation`): its verdict, a way to its compare view, and a new evaluation. */
function LatestEvaluation({ task }: { task: Task }) {
  const { t, lang } = useI18n();
  const [open, setOpen] = useState(false);
  const evaluation = task.evaluation;
  if (!evaluation && task.status !== 'completed') {
    return null;
  }
  return (
    <div data-testid="task-evaluation">
      <Typography.Title level={5}>{t('evaluation.latest')}</Typography.Title>
      <Flex gap={8} align="center" wrap>
        {evaluation ? (
          <>
            <VerdictTag verdict={evaluation.verdict} state={evaluation.state} />
            <Typography.Text type="secondary">
              {t('gate.against', { baseline: evaluation.baseline ?? 'base' })}
              {evaluation.completed_at ? ` · ${formatTime(evaluation.completed_at, lang)}` : ''}
            </Typography.Text>
            {evaluation.evaluation_id && (
              <Button size="small" type="link" onClick={() => setOpen(true)} data-testid="evaluation-open">
                {t('evaluation.open')}
              </Button>
            )}
          </>
        ) : (
          <Typography.Text type="secondary">{t('evaluation.none')}</Typography.Text>
        )}
        <EvaluateAction task={task} />
      </Flex>
      <EvaluationDrawer
        taskId={open ? task.task_id : undefined}
        evaluationId={open ? (evaluation?.evaluation_id ?? undefined) : undefined}
        onClose={() => setOpen(false)}
      />
    </div>
  );
}

/** One task: progress, loss and learning-rate chart, live logs, settings, artifacts (and their merge) and error. */
export function TaskDrawer({ task, onClose, onChanged = () => {}, onClone }: Props) {
  const { t, lang } = useI18n();
  const [tab, setTab] = useState('overview');
  const [follow, setFollow] = useState(true);
  const { points, error: metricsError } = useTaskMetrics(task);
  const active = task !== undefined && isActive(task.status);
  const logs = useTaskLogs(tab === 'logs' ? task?.task_id : undefined, follow && active);

  const artifacts = Object.entries(task?.artifacts ?? {}).filter(([, path]) => Boolean(path));
  const config = Object.entries(task?.config ?? {});

  return (
    <Drawer
      open={task !== undefined}
      onClose={onClose}
      size={760}
      destroyOnHidden
      title={
        task && (
          <Flex align="center" gap={8} wrap>
            <span className="mono">{task.task_id}</span>
            <TaskStatusTag task={task} />
            {task.evaluation && (
              <span data-testid="drawer-title-verdict">
                <VerdictTag verdict={task.evaluation.verdict} state={task.evaluation.state} />
              </span>
            )}
          </Flex>
        )
      }
      extra={
        task && (
          <Flex gap={8}>
            <PauseAction task={task} onChanged={onChanged} />
            <RetryAction task={task} onChanged={onChanged} />
            {onClone && <CloneAction task={task} onClone={onClone} />}
          </Flex>
        )
      }
      data-testid="task-drawer"
    >
      {task && (
        <Tabs
          activeKey={tab}
          onChange={setTab}
          items={[
            {
              key: 'overview',
              label: t('drawer.overview'),
              children: (
                <Flex vertical gap={16}>
                  {task.error_message && (
                    <Alert
                      type="error"
                      showIcon
                      title={t('drawer.error')}
                      description={task.error_message}
                      data-testid="task-error"
                    />
                  )}
                  <div>
                    <Progress
                      percent={progressPercent(task)}
                      status={
                        task.status === 'failed' ? 'exception' : task.status === 'completed' ? 'success' : 'active'
                      }
                    />
                    <Typography.Text type="secondary" data-testid="drawer-progress-text">
                      {progressText(task, t)}
                    </Typography.Text>
                  </div>
                  <Flex gap={24} wrap className="drawer-stats">
                    <Statistic title={t('drawer.loss')} value={formatLoss(task.latest_loss)} />
                    <Statistic
                      title={t('drawer.learningRate')}
                      value={task.learning_rate != null ? task.learning_rate.toExponential(2) : '—'}
                    />
                    <Statistic
                      title={t('drawer.epoch')}
                      value={`${displayEpoch(task) ?? '—'} / ${task.total_epochs ?? '—'}`}
                    />
                    {task.eval_loss != null && (
                      <Statistic title={t('drawer.evalLoss')} value={formatLoss(task.eval_loss)} />
                    )}
                    {task.best_eval_loss != null && (
                      <Statistic
                        title={t('drawer.bestEvalLoss')}
                        value={formatLoss(task.best_eval_loss)}
                        suffix={
                          task.best_step != null ? (
                            <Typography.Text type="secondary" className="drawer-stat-suffix">
                              {t('drawer.bestStep', { step: task.best_step })}
                            </Typography.Text>
                          ) : undefined
                        }
                      />
                    )}
                    <Statistic
                      title={t('drawer.eta')}
                      value={isActive(task.status) ? formatDuration(task.eta_seconds) : '—'}
                    />
                  </Flex>
                  <div>
                    <Typography.Title level={5}>{t('drawer.chart')}</Typography.Title>
                    {metricsError && points.length === 0 ? (
                      <Typography.Text type="danger">{metricsError}</Typography.Text>
                    ) : (
                      <LossChart points={points} bestStep={task.best_step} />
                    )}
                  </div>
                  <Descriptions size="small" column={1} bordered className="drawer-details">
                    <Descriptions.Item label={t('table.baseModel')}>{task.model_name}</Descriptions.Item>
                    <Descriptions.Item label={t('drawer.method')}>
                      {[task.method, task.executor].filter(Boolean).join(' · ') || '—'}
                    </Descriptions.Item>
                    <Descriptions.Item label={t('drawer.layout')}>
                      <span data-testid="drawer-layout">
                        {t('drawer.layoutValue', {
                          gpus: task.config?.gpus ?? 1,
                          nodes: task.config?.nodes ?? 1,
                          parallelism: parallelismLabel(task.config?.parallelism),
                        })}
                      </span>
                    </Descriptions.Item>
                    <Descriptions.Item label={t('drawer.checkpoints')}>
                      <span data-testid="drawer-save-steps">
                        {task.config?.save_steps != null
                          ? t('drawer.saveSteps', { steps: task.config.save_steps })
                          : t('drawer.saveStepsAuto')}
                      </span>
                    </Descriptions.Item>
                    <Descriptions.Item label={t('drawer.timeline')}>
                      {t('drawer.timelineValue', {
                        created: formatTime(task.created_at, lang),
                        started: formatTime(task.started_at, lang),
                        finished: formatTime(task.completed_at, lang),
                      })}
                    </Descriptions.Item>
                    {task.cloned_from && (
                      <Descriptions.Item label={t('drawer.clonedFrom')}>
                        <Typography.Text className="mono">{task.cloned_from}</Typography.Text>
                      </Descriptions.Item>
                    )}
                    <Descriptions.Item label={t('drawer.dataset')}>
                      <Typography.Text className="mono" copyable={Boolean(task.dataset_path)}>
                        {task.dataset_path ?? '—'}
                      </Typography.Text>
                    </Descriptions.Item>
                    <Descriptions.Item label={t('drawer.output')}>
                      <Typography.Text className="mono" copyable={Boolean(task.output_dir)}>
                        {task.output_dir ?? '—'}
                      </Typography.Text>
                    </Descriptions.Item>
                    {(task.trackers?.length ?? 0) > 0 && (
                      <Descriptions.Item label={t('drawer.trackers')}>
                        <TaskTrackers task={task} />
                      </Descriptions.Item>
                    )}
                  </Descriptions>
                  <LatestEvaluation task={task} />
                  <Attempts task={task} />
                  <div data-testid="task-artifacts">
                    <Typography.Title level={5}>{t('drawer.artifacts')}</Typography.Title>
                    {artifacts.length === 0 ? (
                      <Typography.Text type="secondary">{t('drawer.noArtifacts')}</Typography.Text>
                    ) : (
                      <Flex vertical gap={4}>
                        {artifacts.map(([kind, path]) => (
                          <div key={kind}>
                            <Tag color="purple">{kind}</Tag>
                            <Typography.Text className="mono" copyable>
                              {path}
                            </Typography.Text>
                          </div>
                        ))}
                      </Flex>
                    )}
                    <div className="drawer-merge">
                      <MergeAction task={task} onChanged={onChanged} />
                    </div>
                  </div>
                  {(task.warning_details ?? []).length > 0 && (
                    <Alert
                      type="warning"
                      showIcon
                      title={t('drawer.warnings')}
                      description={
                        <ul>
                          {task.warning_details!.map((w) => (
                            <li key={w.code}>{w.message}</li>
                          ))}
                        </ul>
                      }
                    />
                  )}
                </Flex>
              ),
            },
            {
              key: 'logs',
              label: t('drawer.logs'),
              children: (
                <LogView
                  lines={logs.lines}
                  error={logs.error}
                  follow={follow}
                  canFollow={active}
                  onFollowChange={setFollow}
                />
              ),
            },
            {
              key: 'settings',
              label: t('drawer.settings'),
              children:
                config.length === 0 ? (
                  <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />
                ) : (
                  <Descriptions size="small" column={2} bordered data-testid="task-settings">
                    {config.map(([key, value]) => (
                      <Descriptions.Item key={key} label={key}>
                        <span className="mono">{settingValue(value)}</span>
                      </Descriptions.Item>
                    ))}
                  </Descriptions>
                ),
            },
          ]}
        />
      )}
    </Drawer>
  );
}
