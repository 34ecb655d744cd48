import { Alert, Drawer, Empty, Flex, Progress, Segmented, Table, Tag, Tooltip, Typography } from 'antd';
import { useEffect, useState } from 'react';
import {
  evaluationApi,
  isEvaluationFinished,
  type Evaluation,
  type EvaluationMetrics,
  type EvaluationSample,
  type Verdict,
} from '../api/evaluation';
import { errorMessage } from '../api/http';
import { isAbort } from '../hooks/usePolling';
import { useI18n } from '../i18n/I18nProvider';
import { betterArm, evaluationPercent, formatMetric, METRICS, verdictColor } from '../lib/evaluation';
import { formatTime } from '../lib/taskFormat';
import { wordDiff } from '../lib/wordDiff';

/** `better` / `worse` / `inconclusive` (or the evaluation's state while it has no verdict). */
export function VerdictTag({
  verdict,
  state,
  reason,
}: {
  verdict?: Verdict | string | null;
  state?: string | null;
  reason?: string | null;
}) {
  const { t } = useI18n();
  const known = verdict === 'better' || verdict === 'worse' || verdict === 'inconclusive';
  const label = known
    ? t(`evaluation.verdict.${verdict}`)
    : state === 'failed'
      ? t('evaluation.state.failed')
      : state === 'queued' || state === 'running'
        ? t(`evaluation.state.${state}`)
        : t('evaluation.none');
  return (
    <Tooltip title={reason ?? undefined}>
      <Tag
        color={known ? verdictColor(verdict) : state === 'failed' ? 'error' : 'default'}
        data-testid="evaluation-verdict"
        data-verdict={known ? verdict : (state ?? 'none')}
      >
        {label}
      </Tag>
    </Tooltip>
  );
}

/** Candidate and baseline per metric; the better value (by the metric's direction) is highlighted. */
export function MetricsTable({ evaluation }: { evaluation: Evaluation }) {
  const { t } = useI18n();
  const candidate: Partial<EvaluationMetrics> = evaluation.metrics?.candidate ?? {};
  const baseline: Partial<EvaluationMetrics> = evaluation.metrics?.baseline ?? {};
  const rows = METRICS.filter((spec) => candidate[spec.key] != null || baseline[spec.key] != null);
  const cell = (arm: 'candidate' | 'baseline', spec: (typeof METRICS)[number]) => {
    const value = (arm === 'candidate' ? candidate : baseline)[spec.key];
    const winner = betterArm(spec, candidate[spec.key], baseline[spec.key]);
    return (
      <span
        className={winner === arm ? 'metric-better' : undefined}
        data-testid={`metric-${spec.key}-${arm}`}
        data-better={winner === arm ? 'true' : undefined}
      >
        {formatMetric(spec, value)}
      </span>
    );
  };
  return (
    <Table
      size="small"
      pagination={false}
      rowKey="key"
      data-testid="evaluation-metrics"
      dataSource={rows}
      columns={[
        {
          title: t('evaluation.metric'),
          dataIndex: 'key',
          render: (key: string, spec) => (
            <Tooltip title={t(`evaluation.metricHint.${spec.key}`)}>
              <span>{t(`evaluation.metricName.${key as (typeof METRICS)[number]['key']}`)}</span>
            </Tooltip>
          ),
        },
        {
          title: (
            <Tooltip title={evaluation.candidate_model ?? undefined}>
              <span>{t('evaluation.candidate')}</span>
            </Tooltip>
          ),
          key: 'candidate',
          align: 'right',
          render: (_: unknown, spec) => cell('candidate', spec),
        },
        {
          title: (
            <Tooltip title={evaluation.baseline_model ?? evaluation.baseline}>
              <span>{t('evaluation.baseline')}</span>
            </Tooltip>
          ),
          key: 'baseline',
          align: 'right',
          render: (_: unknown, spec) => cell('baseline', spec),
        },
      ]}
    />
  );
}

/** `text` with the words `against` lacks highlighted (and, with `showRemoved`, the words it lacks struck through). */
export function DiffText({
  text,
  against,
  showRemoved = false,
}: {
  text: string;
  against: string;
  showRemoved?: boolean;
}) {
  const segments = wordDiff(text, against, showRemoved);
  if (!segments) {
    return <span>{text}</span>;
  }
  return (
    <span>
      {segments.map((segment, index) =>
        segment.kind === 'same' ? (
          <span key={index}>{segment.text}</span>
        ) : segment.kind === 'added' ? (
          <mark key={index} className="diff-added" data-testid="diff-added">
            {segment.text}
          </mark>
        ) : (
          <del key={index} className="diff-removed" data-testid="diff-removed">
            {segment.text}
          </del>
        ),
      )}
    </span>
  );
}

type DiffMode = 'reference' | 'arms';

/** One sample: the prompt, then reference, candidate and baseline side by side, differences highlighted. */
function SampleRow({ sample, index, mode }: { sample: EvaluationSample; index: number; mode: DiffMode }) {
  const { t } = useI18n();
  const reference = sample.reference ?? '';
  const candidate = sample.candidate ?? '';
  const baseline = sample.baseline ?? '';
  return (
    <div className="eval-sample" data-testid={`evaluation-sample-${index}`}>
      <Flex gap={8} align="baseline" wrap>
        <Typography.Text type="secondary">#{index + 1}</Typography.Text>
        <Typography.Text strong className="eval-sample__prompt" data-testid="sample-prompt">
          {sample.prompt}
        </Typography.Text>
        {sample.judge_winner && (
          <Tag data-testid="sample-judge">{t('evaluation.judgePicked', { winner: sample.judge_winner })}</Tag>
        )}
      </Flex>
      <div className="eval-sample__columns">
        <div data-testid="sample-reference">
          <Typography.Text type="secondary">{t('evaluation.reference')}</Typography.Text>
          <div className="eval-sample__text">{reference || '—'}</div>
        </div>
        <div data-testid="sample-candidate">
          <Typography.Text type="secondary">{t('evaluation.candidate')}</Typography.Text>
          <div className="eval-sample__text">
            <DiffText text={candidate} against={mode === 'reference' ? reference : baseline} />
          </div>
        </div>
        <div data-testid="sample-baseline">
          <Typography.Text type="secondary">{t('evaluation.baseline')}</Typography.Text>
          <div className="eval-sample__text">
            <DiffText text={baseline} against={mode === 'reference' ? reference : candidate} />
          </div>
        </div>
      </div>
    </div>
  );
}

/** The compare view of one evaluation: state and progress, verdict and its rule, metrics, samples side by side. */
export function EvaluationCompare({ evaluation }: { evaluation: Evaluation }) {
  const { t, lang } = useI18n();
  const [mode, setMode] = useState<DiffMode>('reference');
  const finished = isEvaluationFinished(evaluation);
  const samples = evaluation.samples ?? [];
  return (
    <Flex vertical gap={16} data-testid="evaluation-compare" data-state={evaluation.state}>
      <Flex gap={8} align="center" wrap>
        <VerdictTag verdict={evaluation.verdict} state={evaluation.state} />
        <Typography.Text type="secondary">
          {t('evaluation.against', {
            candidate: evaluation.candidate_model ?? evaluation.task_id,
            baseline: evaluation.baseline_model ?? evaluation.baseline,
          })}
        </Typography.Text>
        {evaluation.eval_set?.source && (
          <Typography.Text type="secondary" data-testid="evaluation-set">
            {t('evaluation.set', { source: evaluation.eval_set.source, samples: evaluation.eval_set.samples ?? '—' })}
          </Typography.Text>
        )}
      </Flex>
      {!finished && (
        <div data-testid="evaluation-progress">
          <Progress percent={evaluationPercent(evaluation.progress)} status="active" />
          <Typography.Text type="secondary">
            {t(`evaluation.state.${evaluation.state}`)}
            {evaluation.progress?.total
              ? ` · ${t('evaluation.progress', { done: evaluation.progress.done ?? 0, total: evaluation.progress.total })}`
              : ''}
          </Typography.Text>
        </div>
      )}
      {evaluation.state === 'failed' && (
        <Alert
          type="error"
          showIcon
          title={t('evaluation.failed')}
          description={[evaluation.error?.code, evaluation.error?.message].filter(Boolean).join(': ')}
          data-testid="evaluation-error"
        />
      )}
      {evaluation.verdict && (
        <Alert
          type={evaluation.verdict === 'better' ? 'success' : evaluation.verdict === 'worse' ? 'error' : 'warning'}
          showIcon
          title={t(`evaluation.verdictTitle.${evaluation.verdict}`)}
          description={evaluation.verdict_reason}
          data-testid="evaluation-verdict-reason"
        />
      )}
      {evaluation.metrics && <MetricsTable evaluation={evaluation} />}
      {evaluation.completed_at && (
        <Typography.Text type="secondary">
          {t('evaluation.completedAt', { at: formatTime(evaluation.completed_at, lang) })}
        </Typography.Text>
      )}
      {samples.length > 0 && (
        <div data-testid="evaluation-samples">
          <Flex justify="space-between" align="center" wrap gap={8}>
            <Typography.Title level={5} style={{ margin: 0 }}>
              {t('evaluation.samples', { count: samples.length })}
            </Typography.Title>
            <Segmented<DiffMode>
              size="small"
              value={mode}
              onChange={setMode}
              data-testid="evaluation-diff-mode"
              options={[
                { value: 'reference', label: t('evaluation.diffReference') },
                { value: 'arms', label: t('evaluation.diffArms') },
              ]}
            />
          </Flex>
          <Typography.Paragraph type="secondary" style={{ marginTop: 4 }}>
            {mode === 'reference' ? t('evaluation.diffReferenceHint') : t('evaluation.diffArmsHint')}
          </Typography.Paragraph>
          <Flex vertical gap={12}>
            {samples.map((sample, index) => (
              <SampleRow key={index} sample={sample} index={index} mode={mode} />
            ))}
          </Flex>
        </div>
      )}
      {finished && evaluation.state === 'completed' && samples.length === 0 && (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('evaluation.noSamples')} />
      )}
    </Flex>
  );
}

/**
 * Follows one evaluation (`GET …/evaluations/{eid}` every `pollMs` until it completes or fails) and shows its compare
 * view; `onFinished` hears the final state once.
 */
export function useEvaluation(taskId: string | undefined, evaluationId: string | undefined, pollMs = 1000) {
  const [evaluation, setEvaluation] = useState<Evaluation>();
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setEvaluation(undefined);
    setError(null);
    if (!taskId || !evaluationId) {
      return undefined;
    }
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const round = async () => {
      try {
        const next = await evaluationApi.get(taskId, evaluationId, controller.signal);
        setEvaluation(next);
        setError(null);
        if (isEvaluationFinished(next)) {
          return;
        }
      } catch (cause) {
        if (isAbort(cause) || controller.signal.aborted) {
          return;
        }
        setError(errorMessage(cause));
      }
      timer = setTimeout(() => void round(), pollMs);
    };
    void round();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [taskId, evaluationId, pollMs]);

  return { evaluation, error };
}

/** The compare view in a drawer, following the evaluation while it runs. */
export function EvaluationDrawer({
  taskId,
  evaluationId,
  onClose,
  pollMs,
}: {
  taskId: string | undefined;
  evaluationId: string | undefined;
  onClose: () => void;
  pollMs?: number;
}) {
  const { t } = useI18n();
  const { evaluation, error } = useEvaluation(taskId, evaluationId, pollMs);
  return (
    <Drawer
      open={Boolean(taskId && evaluationId)}
      onClose={onClose}
      size={980}
      destroyOnHidden
      title={
        <Flex gap={8} align="center" wrap>
          <span>{t('evaluation.title')}</span>
          <Typography.Text className="mono" type="secondary">
            {taskId} · {evaluationId}
          </Typography.Text>
        </Flex>
      }
      data-testid="evaluation-drawer"
    >
      {error && !evaluation && <Alert type="error" showIcon title={error} />}
      {evaluation ? <EvaluationCompare evaluation={evaluation} /> : !error && <Progress percent={0} status="active" />}
    </Drawer>
  );
}
