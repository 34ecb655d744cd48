import { SwapOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Descriptions, Flex, Select, Tag, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { finetuneApi } from '../api/finetune';
import type { Model } from '../api/types';
import { usePolling } from '../hooks/usePolling';
import { useI18n } from '../i18n/I18nProvider';
import { findCurrent, groupModels, searchText, switchTargetOf } from '../lib/models';
import { formatTime } from '../lib/taskFormat';
import { displayModelName, useCurrentModel } from '../state/CurrentModelContext';
import { useModelSwitch } from '../state/ModelSwitchContext';
import { kindLabel } from './CurrentModelBadge';
import { SwitchProgress } from './SwitchProgress';

const fetchModels = (signal: AbortSignal) => finetuneApi.listModels(signal);

function ModelOption({ model }: { model: Model }) {
  const { t } = useI18n();
  return (
    <Flex justify="space-between" gap={8} align="center">
      <Typography.Text ellipsis>{model.name}</Typography.Text>
      <span className="nowrap">
        {model.type === 'finetuned' ? (
          <Tag color="purple" variant="filled">
            {t('kind.finetuned')}
            {model.artifact ? ` · ${model.artifact}` : ''}
          </Tag>
        ) : (
          <Tag variant="filled">{t('kind.base')}</Tag>
        )}
      </span>
    </Flex>
  );
}

/**
 * The model the chat backend serves, and a searchable picker of base and fine-tuned models
 * (grouped by base model) with "Switch to chat backend" and its live progress.
 * `refreshKey` changes when a task finishes, so new fine-tuned models show up at once.
 */
export function CurrentModelCard({ refreshKey }: { refreshKey: number }) {
  const { t, lang } = useI18n();
  const { current } = useCurrentModel();
  const models = usePolling(fetchModels, 30_000);
  const { operation, busy, ask, target, outcome } = useModelSwitch();
  const [selected, setSelected] = useState<string>();
  const refreshModels = models.refresh;

  useEffect(() => {
    if (refreshKey > 0) {
      refreshModels();
    }
  }, [refreshKey, refreshModels]);

  const list = useMemo(() => models.data ?? [], [models.data]);
  const options = useMemo(
    () =>
      groupModels(list).map((group) => ({
        label: <span title={group.base}>{group.base}</span>,
        title: group.base,
        options: group.models.map((model) => ({
          value: model.id,
          label: <ModelOption model={model} />,
          search: searchText(model),
          'data-testid': `model-option-${model.id}`,
        })),
      })),
    [list],
  );

  const currentEntry = findCurrent(list, current);
  const chosen = list.find((m) => m.id === selected);
  const name = displayModelName(current);

  return (
    <Card
      size="small"
      title={
        <span>
          <SwapOutlined /> {t('current.title')}
        </span>
      }
      data-testid="current-model-card"
    >
      <Descriptions size="small" column={1} className="compact-descriptions">
        <Descriptions.Item label={t('current.model')}>
          <Typography.Text strong data-testid="current-model-card-name">
            {name ?? t('header.noModel')}
          </Typography.Text>
          {current && current.kind !== 'none' && (
            <Tag style={{ marginInlineStart: 8 }}>{kindLabel(current.kind, t)}</Tag>
          )}
        </Descriptions.Item>
        {current?.base_model && current.kind === 'finetuned' && (
          <Descriptions.Item label={t('current.baseModel')}>{current.base_model}</Descriptions.Item>
        )}
        {current?.since && (
          <Descriptions.Item label={t('current.since')}>{formatTime(current.since, lang)}</Descriptions.Item>
        )}
      </Descriptions>

      {models.error && (
        <Alert
          type="error"
          showIcon
          title={t('current.modelsError')}
          description={models.error}
          style={{ marginBottom: 8 }}
        />
      )}

      <Flex gap={8} style={{ marginTop: 8 }}>
        <Select
          style={{ flex: 1, minWidth: 0 }}
          placeholder={t('current.pick')}
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
          notFoundContent={t('current.noModels')}
          aria-label={t('current.pick')}
          data-testid="model-select"
          popupMatchSelectWidth={false}
          listHeight={320}
        />
        <Button
          type="primary"
          icon={<SwapOutlined />}
          disabled={!chosen || busy || chosen.id === currentEntry?.id}
          loading={busy}
          onClick={() => chosen && ask(switchTargetOf(chosen))}
          data-testid="switch-button"
        >
          {t('current.switch')}
        </Button>
      </Flex>

      {operation && (
        <div style={{ marginTop: 12 }}>
          {target && (
            <Typography.Text type="secondary">
              {busy
                ? t('current.switchingTo', { model: target.label })
                : outcome === 'failed'
                  ? t('current.switchFailed', { model: target.label })
                  : t('current.switchedTo', { model: target.label })}
            </Typography.Text>
          )}
          <SwitchProgress operation={operation} />
        </div>
      )}
    </Card>
  );
}
