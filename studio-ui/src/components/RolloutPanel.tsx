import { CheckOutlined, RocketOutlined, StopOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Descriptions,
  Flex,
  Form,
  Input,
  InputNumber,
  Popconfirm,
  Progress,
  Select,
  Table,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { isGateCode, type GateCode } from '../api/evaluation';
import { ApiError, errorMessage } from '../api/http';
import { servingApi } from '../api/serving';
import type { Rollout, RolloutArm, RolloutState, ServedModel } from '../api/types';
import { useI18n } from '../i18n/I18nProvider';
import {
  formatMs,
  formatRate,
  historySamples,
  labelOf,
  liveSample,
  MAX_SAMPLES,
  parseSteps,
  ROLLOUT_DEFAULTS,
  type RolloutSample,
} from '../lib/serving';
import { formatTime } from '../lib/taskFormat';
import { RolloutChart } from './RolloutChart';
import { EvaluationLine, GateOptions, GateRefusalAlert, useTaskEvaluation } from './SwitchDialog';

const STATE_COLOR: Record<RolloutState, string> = {
  running: 'processing',
  promoted: 'success',
  rolled_back: 'error',
  aborted: 'warning',
};

/**
 * The live figures read while the page shows a running rollout, one sample per read (bounded), started afresh for
 * each rollout; the chart draws them after the rollout's own history.
 */
function useLiveSamples(rollout: Rollout): RolloutSample[] {
  const [live, setLive] = useState<{ id: string; samples: RolloutSample[] }>({ id: rollout.rollout_id, samples: [] });
  useEffect(() => {
    if (rollout.state !== 'running') {
      return;
    }
    const sample = liveSample(rollout, Date.now());
    setLive((current) =>
      current.id === rollout.rollout_id
        ? { id: current.id, samples: [...current.samples, sample].slice(-MAX_SAMPLES) }
        : { id: rollout.rollout_id, samples: [sample] },
    );
  }, [rollout]);
  return useMemo(
    () => [...historySamples(rollout), ...(live.id === rollout.rollout_id ? live.samples : [])],
    [rollout, live],
  );
}

function ArmsTable({ rollout }: { rollout: Rollout }) {
  const { t } = useI18n();
  const rows = [
    { key: 'baseline', arm: t('rollout.armBaseline'), figures: rollout.arms?.baseline },
    { key: 'candidate', arm: t('rollout.armCandidate'), figures: rollout.arms?.candidate },
  ];
  return (
    <Table
      size="small"
      pagination={false}
      rowKey="key"
      dataSource={rows}
      data-testid="rollout-arms"
      columns={[
        { title: t('rollout.arm'), dataIndex: 'arm' },
        {
          title: t('serving.col.model'),
          render: (_, row) => <Typography.Text ellipsis>{row.figures?.model ?? '—'}</Typography.Text>,
        },
        {
          title: t('serving.col.requests'),
          align: 'right',
          render: (_, row) => row.figures?.requests ?? '—',
        },
        {
          title: t('rollout.errorRate'),
          align: 'right',
          render: (_, row) => (row.figures ? `${formatRate(armRate(row.figures))} (${row.figures.errors})` : '—'),
        },
        {
          title: t('serving.col.ttft'),
          align: 'right',
          render: (_, row) =>
            row.figures ? `${formatMs(row.figures.ttft_p50_ms)} / ${formatMs(row.figures.ttft_p95_ms)}` : '—',
        },
      ]}
    />
  );
}

function armRate(arm: RolloutArm): number | null {
  return arm.requests > 0 ? (arm.error_rate ?? arm.errors / arm.requests) : null;
}

/** A rollout: state, weight and step, guards, both arms now, the chart of both over time, history; promote / abort. */
export function RolloutPanel({ rollout, onChanged }: { rollout: Rollout; onChanged: () => void }) {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const samples = useLiveSamples(rollout);
  const [sending, setSending] = useState<'promote' | 'abort' | null>(null);
  const running = rollout.state === 'running';
  const baseline = rollout.baseline ?? '—';

  const act = async (action: 'promote' | 'abort') => {
    setSending(action);
    try {
      const ended = await (action === 'promote'
        ? servingApi.promote(rollout.rollout_id)
        : servingApi.abort(rollout.rollout_id));
      if (action === 'promote') {
        message.success(t('rollout.promoted', { model: ended.model }));
      } else {
        message.info(t('rollout.aborted', { model: ended.baseline ?? baseline }));
      }
      onChanged();
    } catch (cause) {
      message.error(errorMessage(cause));
    } finally {
      setSending(null);
    }
  };

  return (
    <div className="stack" data-testid="rollout-panel" data-state={rollout.state}>
      <Flex justify="space-between" align="center" gap={8} wrap>
        <Flex gap={8} align="center">
          <Typography.Text strong className="mono">
            {rollout.rollout_id}
          </Typography.Text>
          <Tag color={STATE_COLOR[rollout.state] ?? 'default'} data-testid="rollout-state">
            {labelOf(t, 'rollout.state', rollout.state)}
          </Tag>
          {rollout.evaluation_forced && (
            <Tag color="warning" data-testid="rollout-forced">
              {t('gate.forced')}
            </Tag>
          )}
        </Flex>
        {running && (
          <Flex gap={8}>
            <Popconfirm
              title={t('rollout.promoteConfirm', { model: rollout.model })}
              onConfirm={() => void act('promote')}
            >
              <Button icon={<CheckOutlined />} loading={sending === 'promote'} data-testid="rollout-promote">
                {t('rollout.promote')}
              </Button>
            </Popconfirm>
            <Popconfirm title={t('rollout.abortConfirm', { model: baseline })} onConfirm={() => void act('abort')}>
              <Button danger icon={<StopOutlined />} loading={sending === 'abort'} data-testid="rollout-abort">
                {t('rollout.abort')}
              </Button>
            </Popconfirm>
          </Flex>
        )}
      </Flex>
      <Descriptions size="small" column={1} className="compact-descriptions">
        <Descriptions.Item label={t('rollout.candidate')}>
          <span className="mono">{rollout.model}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('rollout.baseline')}>
          <span className="mono">{baseline}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('rollout.weight')}>
          <div style={{ width: '100%' }}>
            <Progress percent={rollout.weight} size="small" data-testid="rollout-weight" />
            <Typography.Text type="secondary">
              {t('rollout.stepOf', {
                step: rollout.step + 1,
                count: rollout.steps.length,
                steps: rollout.steps.map((s) => `${s}%`).join(' → '),
                seconds: rollout.step_seconds,
              })}
            </Typography.Text>
          </div>
        </Descriptions.Item>
        {rollout.reason && (
          <Descriptions.Item label={t('rollout.reason')}>
            <span data-testid="rollout-reason">{rollout.reason}</span>
          </Descriptions.Item>
        )}
      </Descriptions>
      <Typography.Text type="secondary">
        {t('rollout.guards', {
          rate: rollout.guards.max_error_rate,
          ratio: rollout.guards.max_ttft_ratio,
          min: rollout.guards.min_requests,
        })}
      </Typography.Text>
      <ArmsTable rollout={rollout} />
      <RolloutChart samples={samples} />
      {rollout.history.length > 0 && (
        <div>
          <Typography.Title level={5}>{t('rollout.history')}</Typography.Title>
          <Timeline
            data-testid="rollout-history"
            items={rollout.history.map((e, i) => ({
              key: `${e.at}-${i}`,
              color: e.event === 'rolled_back' ? 'red' : e.event === 'promoted' ? 'green' : 'blue',
              content: (
                <span>
                  <Typography.Text type="secondary">{formatTime(e.at, lang)}</Typography.Text>{' '}
                  <Typography.Text strong>{labelOf(t, 'rollout.event', e.event)}</Typography.Text> {e.weight}%
                  {e.message ? ` · ${e.message}` : ''}
                </span>
              ),
            }))}
          />
        </div>
      )}
    </div>
  );
}

interface StartValues {
  model: string;
  steps: string;
  step_seconds: number;
  max_error_rate: number;
  max_ttft_ratio: number;
  min_requests: number;
}

/**
 * Starts a rollout of a served model against the default, with its steps and guards (the server's defaults filled
 * in). `candidate` pre-selects a model (the served-models table's "Roll out").
 */
export function RolloutStartForm({
  models,
  candidate,
  onStarted,
}: {
  models: ServedModel[];
  candidate?: string;
  onStarted: (rollout: Rollout) => void;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<StartValues>();
  const [sending, setSending] = useState(false);
  const [require, setRequire] = useState(false);
  const [force, setForce] = useState(false);
  const [refusal, setRefusal] = useState<{ code: GateCode; message: string } | null>(null);
  const candidates = models.filter((m) => !m.default && m.state !== 'failed');
  const watched = Form.useWatch('model', form);
  const picked = models.find((m) => m.model === watched);
  // a fine-tune served by name carries its task id as display_name: its latest evaluation is what the gate reads
  const pickedTask = picked && picked.kind !== 'base' && picked.kind !== 'cloud' ? picked.display_name : undefined;
  const evaluation = useTaskEvaluation(pickedTask);

  useEffect(() => {
    if (candidate) {
      form.setFieldValue('model', candidate);
    }
  }, [candidate, form]);

  const submit = async (values: StartValues) => {
    const steps = parseSteps(values.steps);
    if (typeof steps === 'string') {
      return;
    }
    setSending(true);
    try {
      const started = await servingApi.startRollout({
        model: values.model,
        steps,
        step_seconds: values.step_seconds,
        max_error_rate: values.max_error_rate,
        max_ttft_ratio: values.max_ttft_ratio,
        min_requests: values.min_requests,
        ...(require ? { require_evaluation: true } : {}),
        ...(force ? { force: true } : {}),
      });
      setRefusal(null);
      message.success(t('rollout.started', { id: started.rollout_id, weight: started.weight, model: started.model }));
      onStarted(started);
    } catch (cause) {
      if (cause instanceof ApiError && isGateCode(cause.code)) {
        setRefusal({ code: cause.code, message: cause.message });
        setForce(true);
      } else {
        message.error(errorMessage(cause));
      }
    } finally {
      setSending(false);
    }
  };

  return (
    <Form<StartValues>
      form={form}
      layout="vertical"
      size="small"
      data-testid="rollout-form"
      initialValues={{
        model: candidate,
        steps: ROLLOUT_DEFAULTS.steps.join(','),
        step_seconds: ROLLOUT_DEFAULTS.step_seconds,
        max_error_rate: ROLLOUT_DEFAULTS.max_error_rate,
        max_ttft_ratio: ROLLOUT_DEFAULTS.max_ttft_ratio,
        min_requests: ROLLOUT_DEFAULTS.min_requests,
      }}
      onFinish={(values) => void submit(values)}
    >
      <Form.Item
        name="model"
        label={t('rollout.candidate')}
        rules={[{ required: true, message: t('rollout.pickCandidate') }]}
      >
        <Select
          placeholder={t('rollout.pickCandidate')}
          aria-label={t('rollout.candidate')}
          data-testid="rollout-candidate"
          options={candidates.map((m) => ({ value: m.model, label: m.model }))}
        />
      </Form.Item>
      <Flex gap={8} wrap>
        <Form.Item
          name="steps"
          label={t('rollout.steps')}
          style={{ flex: 2, minWidth: 140 }}
          rules={[
            {
              validator: (_, value: string) => {
                const parsed = parseSteps(value ?? '');
                return typeof parsed === 'string'
                  ? Promise.reject(new Error(t(`rollout.stepsProblem.${parsed}`)))
                  : Promise.resolve();
              },
            },
          ]}
        >
          <Input aria-label={t('rollout.steps')} data-testid="rollout-steps" />
        </Form.Item>
        <Form.Item name="step_seconds" label={t('rollout.stepSeconds')} style={{ flex: 1, minWidth: 120 }}>
          <InputNumber min={1} max={86_400} style={{ width: '100%' }} aria-label={t('rollout.stepSeconds')} />
        </Form.Item>
      </Flex>
      <Flex gap={8} wrap>
        <Form.Item name="max_error_rate" label={t('rollout.maxErrorRate')} style={{ flex: 1, minWidth: 120 }}>
          <InputNumber min={0} max={1} step={0.01} style={{ width: '100%' }} aria-label={t('rollout.maxErrorRate')} />
        </Form.Item>
        <Form.Item name="max_ttft_ratio" label={t('rollout.maxTtftRatio')} style={{ flex: 1, minWidth: 120 }}>
          <InputNumber min={1} max={100} step={0.1} style={{ width: '100%' }} aria-label={t('rollout.maxTtftRatio')} />
        </Form.Item>
        <Form.Item name="min_requests" label={t('rollout.minRequests')} style={{ flex: 1, minWidth: 120 }}>
          <InputNumber min={1} max={1_000_000} style={{ width: '100%' }} aria-label={t('rollout.minRequests')} />
        </Form.Item>
      </Flex>
      <Flex vertical gap={8} style={{ marginBottom: 12 }}>
        {pickedTask && <EvaluationLine evaluation={evaluation} />}
        {refusal && <GateRefusalAlert code={refusal.code} message={refusal.message} />}
        <GateOptions require={require} force={force} onRequire={setRequire} onForce={setForce} />
      </Flex>
      <Button
        type="primary"
        htmlType="submit"
        icon={<RocketOutlined />}
        loading={sending}
        disabled={candidates.length === 0}
        data-testid="rollout-start"
      >
        {t('rollout.start')}
      </Button>
    </Form>
  );
}

/** The rollout card: the running (or latest) rollout, and the form to start one when none runs. */
export function RolloutCard({
  rollout,
  error,
  models,
  candidate,
  onChanged,
}: {
  rollout: Rollout | undefined;
  error: string | null;
  models: ServedModel[];
  candidate?: string;
  onChanged: () => void;
}) {
  const { t } = useI18n();
  const running = rollout?.state === 'running';
  return (
    <Card
      size="small"
      title={
        <span>
          <RocketOutlined /> {t('rollout.title')}
        </span>
      }
      data-testid="rollout-card"
    >
      <div className="stack">
        {error && <Alert type="error" showIcon title={error} />}
        {!running && (
          <div>
            <Typography.Title level={5}>{t('rollout.newTitle')}</Typography.Title>
            <RolloutStartForm models={models} candidate={candidate} onStarted={onChanged} />
          </div>
        )}
        {rollout ? (
          <RolloutPanel rollout={rollout} onChanged={onChanged} />
        ) : (
          <Typography.Text type="secondary">{t('rollout.none')}</Typography.Text>
        )}
      </div>
    </Card>
  );
}
