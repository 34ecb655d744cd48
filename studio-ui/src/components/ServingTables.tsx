import { CloudServerOutlined, CloudUploadOutlined, DeleteOutlined, RocketOutlined } from '@ant-design/icons';
import { App, Button, Card, Empty, Flex, Popconfirm, Select, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { useMemo, useState, type HTMLAttributes } from 'react';
import { finetuneApi } from '../api/finetune';
import { errorMessage } from '../api/http';
import { servingApi } from '../api/serving';
import type { ServedModel, ServingEngine } from '../api/types';
import { usePolling } from '../hooks/usePolling';
import { useI18n } from '../i18n/I18nProvider';
import { groupModels, searchText } from '../lib/models';
import { errorRate, formatMs, formatRate, labelOf, unserveBlocker } from '../lib/serving';

const STATE_COLOR: Record<string, string> = { loading: 'processing', ready: 'success', failed: 'error' };

const fetchModels = (signal: AbortSignal) => finetuneApi.listModels(signal);

/** The engines: one model server each, its base model, adapter slots in use and the adapters loaded on it. */
export function EnginesCard({ engines }: { engines: ServingEngine[] }) {
  const { t } = useI18n();
  return (
    <Card
      size="small"
      title={
        <span>
          <CloudServerOutlined /> {t('serving.engines')}
        </span>
      }
      data-testid="serving-engines"
    >
      {engines.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('serving.noEngines')} />
      ) : (
        <Table<ServingEngine>
          size="small"
          pagination={false}
          rowKey="id"
          dataSource={engines}
          onRow={(engine) => ({ 'data-testid': `engine-row-${engine.id}` }) as HTMLAttributes<HTMLElement>}
          columns={[
            {
              title: t('serving.engine'),
              render: (_, e) => (
                <div>
                  <Typography.Text strong className="mono">
                    {e.id}
                  </Typography.Text>
                  <div>
                    <Typography.Text type="secondary" className="mono">
                      {e.url ?? ''}
                    </Typography.Text>
                  </div>
                </div>
              ),
            },
            { title: t('serving.baseModel'), dataIndex: 'base_model', render: (v?: string | null) => v ?? '—' },
            {
              title: t('serving.col.state'),
              dataIndex: 'state',
              render: (state: string) => <Tag color={STATE_COLOR[state] ?? 'default'}>{state}</Tag>,
            },
            {
              title: t('serving.slots'),
              render: (_, e) => (
                <span data-testid={`engine-slots-${e.id}`}>
                  {e.adapters.length} / {e.max_cpu_loras}
                  <Typography.Text type="secondary"> · {t('serving.perBatch', { count: e.max_loras })}</Typography.Text>
                  {e.max_lora_rank != null && (
                    <Typography.Text type="secondary">
                      {' '}
                      · {t('serving.maxRank', { rank: e.max_lora_rank })}
                    </Typography.Text>
                  )}
                </span>
              ),
            },
            {
              title: t('serving.adapters'),
              render: (_, e) =>
                e.adapters.length === 0 ? (
                  <Typography.Text type="secondary">{t('serving.noAdapters')}</Typography.Text>
                ) : (
                  <Space size={[4, 4]} wrap>
                    {e.adapters.map((a) => (
                      <Tag key={a.name} title={a.path ?? undefined} className="mono">
                        {a.name}
                      </Tag>
                    ))}
                  </Space>
                ),
            },
          ]}
        />
      )}
    </Card>
  );
}

/** "Serve": a searchable picker of the registry's base and fine-tuned models, served by name beside the others. */
export function ServeControl({ onServed }: { onServed: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const models = usePolling(fetchModels, 30_000);
  const [selected, setSelected] = useState<string>();
  const [sending, setSending] = useState(false);
  const options = useMemo(
    () =>
      groupModels(models.data ?? []).map((group) => ({
        label: <span title={group.base}>{group.base}</span>,
        title: group.base,
        options: group.models.map((model) => ({
          value: model.id,
          label: model.type === 'finetuned' ? `${model.name} · ${model.artifact ?? ''}` : model.name,
          search: searchText(model),
        })),
      })),
    [models.data],
  );

  const serve = async () => {
    if (!selected) {
      return;
    }
    setSending(true);
    try {
      const result = await servingApi.serve(selected);
      const vars = { model: result.model, engine: result.engine ?? '—' };
      if (result.state === 'ready') {
        message.success(t('serving.served', vars));
      } else {
        message.info(t('serving.loading', vars));
      }
      setSelected(undefined);
      onServed();
    } catch (cause) {
      message.error(errorMessage(cause));
    } finally {
      setSending(false);
    }
  };

  return (
    <Flex gap={8}>
      <Select
        style={{ flex: 1, minWidth: 0 }}
        placeholder={t('serving.pick')}
        aria-label={t('serving.pick')}
        value={selected}
        onChange={setSelected}
        options={options}
        loading={models.loading}
        showSearch={{
          filterOption: (input, option) => {
            const text = (option as { search?: unknown } | undefined)?.search;
            return typeof text === 'string' && text.includes(input.trim().toLowerCase());
          },
        }}
        notFoundContent={models.error ?? t('current.noModels')}
        data-testid="serve-select"
        popupMatchSelectWidth={false}
      />
      <Button
        type="primary"
        icon={<CloudUploadOutlined />}
        disabled={!selected}
        loading={sending}
        onClick={() => void serve()}
        data-testid="serve-button"
      >
        {t('serving.serve')}
      </Button>
    </Flex>
  );
}

/** Every served model with its traffic; "Roll out" and "Unserve" per row. */
export function ServedModelsTable({
  models,
  onRollOut,
  onChanged,
  rolloutRunning,
}: {
  models: ServedModel[];
  onRollOut: (model: string) => void;
  onChanged: () => void;
  rolloutRunning: boolean;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [removing, setRemoving] = useState<string | null>(null);

  const unserve = async (model: string) => {
    setRemoving(model);
    try {
      const result = await servingApi.unserve(model);
      message.success(t(result.engine_stopped ? 'serving.unservedEngine' : 'serving.unserved', { model }));
      onChanged();
    } catch (cause) {
      message.error(errorMessage(cause));
    } finally {
      setRemoving(null);
    }
  };

  if (models.length === 0) {
    return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('serving.noModels')} />;
  }
  return (
    <Table<ServedModel>
      size="small"
      pagination={false}
      rowKey="model"
      dataSource={models}
      data-testid="served-models"
      onRow={(m) => ({ 'data-testid': `served-row-${m.model}`, 'data-state': m.state }) as HTMLAttributes<HTMLElement>}
      scroll={{ x: 'max-content' }}
      columns={[
        {
          title: t('serving.col.model'),
          render: (_, m) => (
            <div>
              <Space size={4} wrap>
                <Typography.Text strong className="mono">
                  {m.model}
                </Typography.Text>
                {m.default && (
                  <Tag color="blue" data-testid="served-default">
                    {t('serving.default')}
                  </Tag>
                )}
                {m.rollout && (
                  <Tag color={m.rollout.arm === 'candidate' ? 'purple' : 'default'}>
                    {t('serving.arm', {
                      arm: t(m.rollout.arm === 'candidate' ? 'rollout.armCandidate' : 'rollout.armBaseline'),
                      weight: m.rollout.weight,
                    })}
                  </Tag>
                )}
              </Space>
              {m.display_name && m.display_name !== m.model && (
                <div>
                  <Typography.Text type="secondary" className="mono">
                    {m.display_name}
                  </Typography.Text>
                </div>
              )}
            </div>
          ),
        },
        { title: t('serving.col.kind'), render: (_, m) => labelOf(t, 'serving.kind', m.kind) },
        {
          title: t('serving.col.state'),
          render: (_, m) => <Tag color={STATE_COLOR[m.state] ?? 'default'}>{labelOf(t, 'serving.state', m.state)}</Tag>,
        },
        { title: t('serving.engine'), render: (_, m) => <span className="mono">{m.engine ?? '—'}</span> },
        {
          title: t('serving.col.requests'),
          align: 'right',
          render: (_, m) => <span data-testid={`served-requests-${m.model}`}>{m.traffic?.requests ?? '—'}</span>,
        },
        {
          title: t('serving.col.errors'),
          align: 'right',
          render: (_, m) =>
            m.traffic ? `${m.traffic.errors} (${formatRate(errorRate(m.traffic.requests, m.traffic.errors))})` : '—',
        },
        {
          title: t('serving.col.ttft'),
          align: 'right',
          render: (_, m) =>
            m.traffic ? `${formatMs(m.traffic.ttft_p50_ms)} / ${formatMs(m.traffic.ttft_p95_ms)}` : '—',
        },
        {
          title: t('serving.col.actions'),
          render: (_, m) => {
            const blocker = unserveBlocker(m);
            return (
              <Space size={4}>
                <Tooltip title={t('serving.rollOutHint')}>
                  <Button
                    size="small"
                    icon={<RocketOutlined />}
                    disabled={m.default || m.state !== 'ready' || rolloutRunning}
                    onClick={() => onRollOut(m.model)}
                    data-testid={`rollout-${m.model}`}
                  >
                    {t('serving.rollOut')}
                  </Button>
                </Tooltip>
                {blocker ? (
                  <Tooltip title={t(`serving.blocked.${blocker}`)}>
                    <Button size="small" danger icon={<DeleteOutlined />} disabled data-testid={`unserve-${m.model}`}>
                      {t('serving.unserve')}
                    </Button>
                  </Tooltip>
                ) : (
                  <Popconfirm
                    title={t('serving.unserveConfirm', { model: m.model })}
                    onConfirm={() => void unserve(m.model)}
                  >
                    <Button
                      size="small"
                      danger
                      icon={<DeleteOutlined />}
                      loading={removing === m.model}
                      data-testid={`unserve-${m.model}`}
                    >
                      {t('serving.unserve')}
                    </Button>
                  </Popconfirm>
                )}
              </Space>
            );
          },
        },
      ]}
    />
  );
}
