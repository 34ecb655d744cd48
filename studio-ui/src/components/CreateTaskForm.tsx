import { CopyOutlined, PlusCircleOutlined, RocketOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Collapse,
  Flex,
  Form,
  InputNumber,
  Row,
  Segmented,
  Select,
  Switch,
  Tag,
  Typography,
} from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { finetuneApi } from '../api/finetune';
import { errorMessage } from '../api/http';
import type { Dataset, MemoryEstimateRequest, Model, Task } from '../api/types';
import { usePolling } from '../hooks/usePolling';
import { useI18n } from '../i18n/I18nProvider';
import {
  effectiveBatch,
  matchPreset,
  PRESET_NAMES,
  PRESETS,
  type Hyperparameters,
  type PresetName,
} from '../lib/presets';
import { DatasetPicker } from './DatasetPicker';
import { MemoryEstimate } from './MemoryEstimate';

interface FormValues extends Hyperparameters {
  model_name: string;
  /** Share of the data held out as a validation set (eval loss, best checkpoint); empty: none. */
  validation_split?: number | null;
  /** Stop after this many evaluations without a better eval loss; empty: never early. */
  early_stopping_patience?: number | null;
  /** GPUs per node and nodes (issue 21); empty: one. */
  gpus?: number | null;
  nodes?: number | null;
  /** How several GPUs share the work; `auto` lets the service pick by the memory estimate. */
  parallelism?: 'auto' | 'ddp' | 'fsdp';
  /** Checkpoint every N steps; empty: the service's default (about every 10 % of the run). */
  save_steps?: number | null;
}

const fetchBaseModels = (signal: AbortSignal) => finetuneApi.listBaseModels(signal);

function vramHint(model: Model): string | null {
  const parts = [];
  if (model.params_b != null) {
    parts.push(`${model.params_b}B`);
  }
  if (model.vram_hint_gb != null) {
    parts.push(`≥ ${model.vram_hint_gb} GB`);
  }
  return parts.length ? parts.join(' · ') : null;
}

/** The form's values of a task's settings ("Clone & edit"); what the task does not say keeps the form's value. */
export function cloneValues(task: Task): Partial<FormValues> {
  const config = task.config ?? {};
  const values: Partial<FormValues> = {
    model_name: task.model_name,
    merge: task.merge,
    num_epochs: config.num_epochs ?? undefined,
    batch_size: config.batch_size ?? undefined,
    gradient_accumulation_steps: config.gradient_accumulation_steps ?? undefined,
    learning_rate: config.learning_rate ?? undefined,
    max_length: config.max_length ?? undefined,
    lora_r: config.lora_r ?? undefined,
    lora_alpha: config.lora_alpha ?? undefined,
    method: task.method ?? undefined,
    validation_split: config.validation_split ?? undefined,
    early_stopping_patience: config.early_stopping_patience ?? undefined,
    gpus: config.gpus ?? undefined,
    nodes: config.nodes ?? undefined,
    // stored resolved: `none` is a one-GPU run, which `auto` resolves to again
    parallelism: config.parallelism === 'ddp' || config.parallelism === 'fsdp' ? config.parallelism : undefined,
    save_steps: config.save_steps ?? undefined,
  };
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<FormValues>;
}

interface Props {
  onCreated: (task: Task) => void;
  /**
   * "Clone & edit": the task whose settings fill the form. Its submit is then a clone (`POST …/tasks/{id}/clone` with
   * the form's values as overrides): the new task records `cloned_from`, trains on the source task's own dataset
   * copy unless another dataset is picked, and keeps the settings the form does not show (LoRA dropout, 8-bit, …).
   */
  cloneFrom?: Task | null;
  /** The clone was created, or the user stopped cloning. */
  onCloneDone?: () => void;
}

/**
 * The create-task form: base model (with VRAM hints), dataset, presets and advanced settings, the
 * memory estimate as the form changes; on submit, a warning modal when the backend sends warnings.
 */
export function CreateTaskForm({ onCreated, cloneFrom = null, onCloneDone = () => {} }: Props) {
  const { t } = useI18n();
  const { modal, message } = App.useApp();
  const [form] = Form.useForm<FormValues>();
  const [dataset, setDataset] = useState<Dataset | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const base = usePolling(fetchBaseModels, 300_000);
  const values = Form.useWatch([], form) as FormValues | undefined;

  useEffect(() => {
    const first = base.data?.[0];
    if (first && !form.getFieldValue('model_name')) {
      form.setFieldValue('model_name', first.id);
    }
  }, [base.data, form]);

  useEffect(() => {
    if (cloneFrom) {
      form.setFieldsValue(cloneValues(cloneFrom));
      setDataset(null);
    }
  }, [cloneFrom, form]);

  const preset = values ? matchPreset(values) : 'balanced';
  const estimateRequest = useMemo<MemoryEstimateRequest | null>(() => {
    if (!values?.model_name || !values.batch_size || !values.max_length) {
      return null;
    }
    return {
      model: values.model_name,
      method: values.method,
      batch_size: values.batch_size,
      max_length: values.max_length,
      gradient_accumulation_steps: values.gradient_accumulation_steps,
      lora_r: values.lora_r,
      // Per GPU of the task's shape (issue 21): the estimate answers for each layout and which one auto would take.
      gpus: values.gpus ?? undefined,
      nodes: values.nodes ?? undefined,
      parallelism: values.parallelism,
    };
  }, [values]);

  const submit = async (formValues: FormValues) => {
    if (!dataset && !cloneFrom) {
      message.error(t('create.needDataset'));
      return;
    }
    setSubmitting(true);
    // Patience means nothing without a validation set (the service refuses it): a split cleared after it was set
    // takes it along.
    if (!formValues.validation_split) {
      formValues = { ...formValues, validation_split: undefined, early_stopping_patience: undefined };
    }
    // A parallelism means nothing on one GPU: a clone of a multi-GPU task set back to one GPU drops it.
    if ((formValues.gpus ?? 1) * (formValues.nodes ?? 1) <= 1) {
      formValues = { ...formValues, parallelism: undefined };
    }
    try {
      const task = cloneFrom
        ? await finetuneApi.cloneTask(cloneFrom.task_id, {
            ...formValues,
            ...(dataset ? { dataset_file: dataset.path } : {}),
          })
        : await finetuneApi.createTask({ ...formValues, dataset_file: dataset!.path });
      onCreated(task);
      const created = cloneFrom
        ? t('clone.created', { id: task.task_id, source: cloneFrom.task_id })
        : t('create.created', { id: task.task_id });
      if (cloneFrom) {
        onCloneDone();
        setDataset(null);
      }
      const warnings = task.warning_details ?? [];
      if (warnings.length === 0) {
        message.success(created);
        return;
      }
      modal.confirm({
        title: t('create.warningsTitle'),
        content: (
          <div data-testid="create-warnings">
            <Typography.Paragraph>{t('create.warningsIntro', { id: task.task_id })}</Typography.Paragraph>
            <ul>
              {warnings.map((w) => (
                <li key={w.code}>{w.message}</li>
              ))}
            </ul>
          </div>
        ),
        okText: t('create.keepTask'),
        cancelText: t('create.cancelTask'),
        onOk: () => message.success(created),
        onCancel: async () => {
          try {
            onCreated(await finetuneApi.cancelTask(task.task_id));
            message.info(t('create.cancelledAfterWarning', { id: task.task_id }));
          } catch (cause) {
            message.error(errorMessage(cause));
          }
        },
      });
    } catch (cause) {
      message.error(errorMessage(cause));
    } finally {
      setSubmitting(false);
    }
  };

  const numberField = (name: keyof Hyperparameters, label: string, min: number, max: number, step = 1) => (
    <Col xs={12} md={8} key={name}>
      <Form.Item name={name} label={label} rules={[{ required: true }]}>
        <InputNumber min={min} max={max} step={step} style={{ width: '100%' }} data-testid={`field-${name}`} />
      </Form.Item>
    </Col>
  );

  return (
    <Card
      size="small"
      title={
        <span>
          <PlusCircleOutlined /> {t('create.title')}
        </span>
      }
      data-testid="create-task"
    >
      <Form<FormValues>
        form={form}
        layout="vertical"
        requiredMark={false}
        initialValues={{ ...PRESETS.balanced, model_name: undefined }}
        onFinish={(v) => void submit(v)}
        className="create-form"
      >
        <Form.Item
          name="model_name"
          label={t('create.baseModel')}
          rules={[{ required: true, message: t('create.needModel') }]}
        >
          <Select
            showSearch
            loading={base.loading}
            data-testid="base-model-select"
            aria-label={t('create.baseModel')}
            options={(base.data ?? []).map((model) => ({
              value: model.id,
              label: (
                <Flex justify="space-between" gap={8}>
                  <span>{model.name || model.id}</span>
                  {vramHint(model) && <Typography.Text type="secondary">{vramHint(model)}</Typography.Text>}
                </Flex>
              ),
            }))}
          />
        </Form.Item>

        {cloneFrom && (
          <Alert
            type="info"
            showIcon
            icon={<CopyOutlined />}
            data-testid="clone-banner"
            style={{ marginBottom: 12 }}
            title={t('clone.banner', { id: cloneFrom.task_id })}
            action={
              <Button size="small" type="link" data-testid="clone-clear" onClick={onCloneDone}>
                {t('clone.clear')}
              </Button>
            }
          />
        )}
        <Form.Item label={t('create.dataset')} required>
          <DatasetPicker value={dataset} onChange={setDataset} />
          {cloneFrom && !dataset && (
            <Typography.Text type="secondary" data-testid="clone-dataset">
              {t('clone.dataset', { id: cloneFrom.task_id })}
            </Typography.Text>
          )}
        </Form.Item>

        <Form.Item label={t('create.preset')}>
          <Flex align="center" gap={8} wrap>
            <Segmented<PresetName | 'custom'>
              value={preset}
              onChange={(name) => name !== 'custom' && form.setFieldsValue(PRESETS[name])}
              options={[
                ...PRESET_NAMES.map((name) => ({ value: name, label: t(`preset.${name}`) })),
                ...(preset === 'custom'
                  ? [{ value: 'custom' as const, label: t('preset.custom'), disabled: true }]
                  : []),
              ]}
              data-testid="preset-switch"
            />
            <Typography.Text type="secondary" data-testid="preset-hint">
              {preset === 'custom' ? t('preset.customHint') : t(`preset.${preset}Hint`)}
            </Typography.Text>
          </Flex>
        </Form.Item>

        <Collapse
          size="small"
          className="advanced-collapse"
          items={[
            {
              key: 'advanced',
              label: (
                <Flex gap={8} align="center" wrap>
                  <span>{t('create.advanced')}</span>
                  {values && (
                    <Typography.Text type="secondary" className="advanced-summary">
                      {t('create.advancedSummary', {
                        epochs: values.num_epochs,
                        batch: effectiveBatch(values),
                        lr: values.learning_rate,
                        method: values.method,
                      })}
                    </Typography.Text>
                  )}
                </Flex>
              ),
              forceRender: true,
              children: (
                <Row gutter={12}>
                  {numberField('num_epochs', t('field.epochs'), 1, 100)}
                  {numberField('batch_size', t('field.batchSize'), 1, 256)}
                  {numberField('gradient_accumulation_steps', t('field.gradAccum'), 1, 256)}
                  <Col xs={12} md={8}>
                    <Form.Item name="learning_rate" label={t('field.learningRate')} rules={[{ required: true }]}>
                      <InputNumber
                        min={1e-7}
                        max={1}
                        step={1e-5}
                        style={{ width: '100%' }}
                        stringMode={false}
                        data-testid="field-learning_rate"
                      />
                    </Form.Item>
                  </Col>
                  {numberField('max_length', t('field.maxLength'), 64, 32768, 64)}
                  <Col xs={12} md={8}>
                    <Form.Item name="method" label={t('field.method')}>
                      <Select
                        data-testid="field-method"
                        options={[
                          { value: 'lora', label: 'LoRA' },
                          { value: 'qlora', label: 'QLoRA (4-bit)' },
                          { value: 'full', label: t('field.methodFull') },
                        ]}
                      />
                    </Form.Item>
                  </Col>
                  {numberField('lora_r', t('field.loraR'), 1, 512)}
                  {numberField('lora_alpha', t('field.loraAlpha'), 1, 1024)}
                  <Col xs={12} md={8}>
                    <Form.Item
                      name="merge"
                      label={t('field.merge')}
                      valuePropName="checked"
                      tooltip={t('field.mergeHint')}
                    >
                      <Switch data-testid="field-merge" />
                    </Form.Item>
                  </Col>
                  <Col xs={12} md={8}>
                    <Form.Item
                      name="validation_split"
                      label={t('field.validationSplit')}
                      tooltip={t('field.validationSplitHint')}
                    >
                      <InputNumber
                        min={0.01}
                        max={0.5}
                        step={0.05}
                        placeholder={t('field.none')}
                        style={{ width: '100%' }}
                        data-testid="field-validation_split"
                      />
                    </Form.Item>
                  </Col>
                  <Col xs={12} md={8}>
                    <Form.Item
                      name="early_stopping_patience"
                      label={t('field.earlyStopping')}
                      tooltip={t('field.earlyStoppingHint')}
                    >
                      <InputNumber
                        min={1}
                        max={100}
                        placeholder={t('field.none')}
                        disabled={!values?.validation_split}
                        style={{ width: '100%' }}
                        data-testid="field-early_stopping_patience"
                      />
                    </Form.Item>
                  </Col>
                  <Col xs={12} md={8}>
                    <Form.Item name="gpus" label={t('field.gpus')} tooltip={t('field.gpusHint')}>
                      <InputNumber
                        min={1}
                        max={64}
                        placeholder="1"
                        style={{ width: '100%' }}
                        data-testid="field-gpus"
                      />
                    </Form.Item>
                  </Col>
                  <Col xs={12} md={8}>
                    <Form.Item name="nodes" label={t('field.nodes')} tooltip={t('field.nodesHint')}>
                      <InputNumber
                        min={1}
                        max={64}
                        placeholder="1"
                        style={{ width: '100%' }}
                        data-testid="field-nodes"
                      />
                    </Form.Item>
                  </Col>
                  <Col xs={12} md={8}>
                    <Form.Item name="parallelism" label={t('field.parallelism')} tooltip={t('field.parallelismHint')}>
                      <Select
                        data-testid="field-parallelism"
                        placeholder={t('field.parallelismAuto')}
                        disabled={(values?.gpus ?? 1) * (values?.nodes ?? 1) <= 1}
                        options={[
                          { value: 'auto', label: t('field.parallelismAuto') },
                          { value: 'ddp', label: 'DDP' },
                          { value: 'fsdp', label: 'FSDP' },
                        ]}
                      />
                    </Form.Item>
                  </Col>
                  <Col xs={12} md={8}>
                    <Form.Item name="save_steps" label={t('field.saveSteps')} tooltip={t('field.saveStepsHint')}>
                      <InputNumber
                        min={1}
                        max={1_000_000}
                        placeholder={t('field.auto')}
                        style={{ width: '100%' }}
                        data-testid="field-save_steps"
                      />
                    </Form.Item>
                  </Col>
                </Row>
              ),
            },
          ]}
        />

        <Flex justify="space-between" align="center" gap={12} wrap style={{ marginTop: 12 }}>
          <MemoryEstimate request={estimateRequest} />
          <Flex align="center" gap={8}>
            {!dataset && !cloneFrom && <Tag>{t('create.needDataset')}</Tag>}
            <Button
              type="primary"
              htmlType="submit"
              icon={cloneFrom ? <CopyOutlined /> : <RocketOutlined />}
              loading={submitting}
              disabled={!dataset && !cloneFrom}
              data-testid="create-submit"
            >
              {cloneFrom ? t('clone.submit') : t('create.submit')}
            </Button>
          </Flex>
        </Flex>
      </Form>
    </Card>
  );
}
