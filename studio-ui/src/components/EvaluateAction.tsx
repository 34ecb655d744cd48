import { ExperimentOutlined } from '@ant-design/icons';
import { App, Button, Collapse, Flex, Form, Input, InputNumber, Modal, Radio, Select, Tooltip } from 'antd';
import { useEffect, useState } from 'react';
import { evaluationApi, type EvaluationRequest } from '../api/evaluation';
import { errorMessage } from '../api/http';
import { servingApi } from '../api/serving';
import type { TaskRow } from '../api/types';
import { useI18n } from '../i18n/I18nProvider';
import { EvaluationDrawer } from './EvaluationCompare';

/** The service's defaults for a new evaluation (issue 19: 50 samples, 256 tokens, against the base model). */
export const EVALUATION_DEFAULTS = { max_samples: 50, max_tokens: 256 } as const;

interface FormValues {
  baselineKind: 'base' | 'served';
  servedModel?: string;
  max_samples: number;
  max_tokens: number;
  eval_file?: string;
  judge_base_url?: string;
  judge_model?: string;
  judge_api_key_env?: string;
}

/** The request the form's values make: `baseline` is `base` or the picked served model; the judge only when named. */
export function toEvaluationRequest(values: FormValues): EvaluationRequest {
  const request: EvaluationRequest = {
    baseline: values.baselineKind === 'served' && values.servedModel ? values.servedModel : 'base',
    max_samples: values.max_samples,
    max_tokens: values.max_tokens,
  };
  if (values.eval_file?.trim()) {
    request.eval_file = values.eval_file.trim();
  }
  if (values.judge_base_url?.trim() && values.judge_model?.trim()) {
    request.judge = {
      base_url: values.judge_base_url.trim(),
      model: values.judge_model.trim(),
      ...(values.judge_api_key_env?.trim() ? { api_key_env: values.judge_api_key_env.trim() } : {}),
    };
  }
  return request;
}

/** The form of a new evaluation: the baseline (base model or another served model), sample and token caps, a judge. */
function EvaluateModal({
  task,
  open,
  onClose,
  onStarted,
}: {
  task: TaskRow;
  open: boolean;
  onClose: () => void;
  onStarted: (evaluationId: string) => void;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<FormValues>();
  const [sending, setSending] = useState(false);
  const [served, setServed] = useState<string[]>([]);
  const kind = Form.useWatch('baselineKind', form);

  useEffect(() => {
    if (!open) {
      return undefined;
    }
    const controller = new AbortController();
    servingApi.serving(controller.signal).then(
      (view) => setServed((view.models ?? []).map((m) => m.model).filter((m) => m !== task.task_id)),
      () => setServed([]),
    );
    return () => controller.abort();
  }, [open, task.task_id]);

  const submit = async (values: FormValues) => {
    setSending(true);
    try {
      const started = await evaluationApi.start(task.task_id, toEvaluationRequest(values));
      message.info(t('evaluation.started', { id: task.task_id }));
      onStarted(started.evaluation_id);
    } catch (cause) {
      message.error(errorMessage(cause));
    } finally {
      setSending(false);
    }
  };

  return (
    <Modal
      open={open}
      title={t('evaluation.formTitle', { id: task.task_id })}
      onCancel={onClose}
      okText={t('evaluation.run')}
      okButtonProps={{ loading: sending, 'data-testid': 'evaluate-submit' }}
      onOk={() => form.submit()}
      destroyOnHidden
    >
      <Form<FormValues>
        data-testid="evaluate-modal"
        form={form}
        layout="vertical"
        size="small"
        initialValues={{ baselineKind: 'base', ...EVALUATION_DEFAULTS }}
        onFinish={(values) => void submit(values)}
      >
        <Form.Item name="baselineKind" label={t('evaluation.baseline')} extra={t('evaluation.baselineHint')}>
          <Radio.Group data-testid="evaluate-baseline">
            <Radio value="base">{t('evaluation.baselineBase', { model: task.model_name })}</Radio>
            <Radio value="served" disabled={served.length === 0}>
              {t('evaluation.baselineServed')}
            </Radio>
          </Radio.Group>
        </Form.Item>
        {kind === 'served' && (
          <Form.Item name="servedModel" rules={[{ required: true, message: t('evaluation.pickServed') }]}>
            <Select
              placeholder={t('evaluation.pickServed')}
              aria-label={t('evaluation.pickServed')}
              options={served.map((m) => ({ value: m, label: m }))}
              data-testid="evaluate-served"
            />
          </Form.Item>
        )}
        <Flex gap={8}>
          <Form.Item name="max_samples" label={t('evaluation.maxSamples')} style={{ flex: 1 }}>
            <InputNumber min={1} max={500} style={{ width: '100%' }} data-testid="evaluate-max-samples" />
          </Form.Item>
          <Form.Item name="max_tokens" label={t('evaluation.maxTokens')} style={{ flex: 1 }}>
            <InputNumber min={1} max={4096} style={{ width: '100%' }} data-testid="evaluate-max-tokens" />
          </Form.Item>
        </Flex>
        <Collapse
          size="small"
          ghost
          items={[
            {
              key: 'more',
              label: t('evaluation.more'),
              forceRender: true,
              children: (
                <>
                  <Form.Item name="eval_file" label={t('evaluation.evalFile')} extra={t('evaluation.evalFileHint')}>
                    <Input placeholder="my-eval.jsonl" data-testid="evaluate-eval-file" />
                  </Form.Item>
                  <Form.Item name="judge_base_url" label={t('evaluation.judgeUrl')} extra={t('evaluation.judgeHint')}>
                    <Input placeholder="https://api.openai.com/v1" data-testid="evaluate-judge-url" />
                  </Form.Item>
                  <Flex gap={8}>
                    <Form.Item name="judge_model" label={t('evaluation.judgeModel')} style={{ flex: 1 }}>
                      <Input placeholder="gpt-4o-mini" data-testid="evaluate-judge-model" />
                    </Form.Item>
                    <Form.Item
                      name="judge_api_key_env"
                      label={t('evaluation.judgeKeyEnv')}
                      tooltip={t('evaluation.judgeKeyEnvHint')}
                      style={{ flex: 1 }}
                    >
                      <Input placeholder="OPENAI_API_KEY" data-testid="evaluate-judge-key-env" />
                    </Form.Item>
                  </Flex>
                </>
              ),
            },
          ]}
        />
      </Form>
    </Modal>
  );
}

/**
 * "Evaluate" for a completed task: the form, then the compare view following the run. An icon button in a table
 * row (`compact`), a labelled one in the task drawer.
 */
export function EvaluateAction({
  task,
  compact = false,
  pollMs,
}: {
  task: TaskRow;
  compact?: boolean;
  pollMs?: number;
}) {
  const { t } = useI18n();
  const [formOpen, setFormOpen] = useState(false);
  const [evaluationId, setEvaluationId] = useState<string>();
  if (task.status !== 'completed') {
    return null;
  }
  return (
    <>
      <Tooltip title={t('evaluation.hint')}>
        <Button
          size="small"
          type={compact ? 'text' : 'default'}
          icon={<ExperimentOutlined />}
          aria-label={t('evaluation.action')}
          data-testid="task-evaluate"
          onClick={() => setFormOpen(true)}
        >
          {compact ? null : t('evaluation.action')}
        </Button>
      </Tooltip>
      <EvaluateModal
        task={task}
        open={formOpen}
        onClose={() => setFormOpen(false)}
        onStarted={(id) => {
          setFormOpen(false);
          setEvaluationId(id);
        }}
      />
      <EvaluationDrawer
        taskId={evaluationId ? task.task_id : undefined}
        evaluationId={evaluationId}
        onClose={() => setEvaluationId(undefined)}
        pollMs={pollMs}
      />
    </>
  );
}
