import { Badge, Space, Tag, Tooltip, Typography } from 'antd';
import type { CurrentModel, ModelKind } from '../api/types';
import { useI18n, type Translate } from '../i18n/I18nProvider';
import { displayModelName, useCurrentModel } from '../state/CurrentModelContext';
import { useModelSwitch } from '../state/ModelSwitchContext';

const KIND_COLOR: Record<ModelKind, string> = { base: 'blue', finetuned: 'purple', cloud: 'cyan', none: 'default' };

type Health = 'serving' | 'switching' | 'stopped' | 'unreachable' | 'none';

export function healthOf(current: CurrentModel | undefined, error: string | null, switching: boolean): Health {
  if (switching) {
    return 'switching';
  }
  if (error && !current) {
    return 'unreachable';
  }
  if (!current || current.kind === 'none') {
    return 'none';
  }
  if (current.kind === 'cloud' || current.llm_service_running) {
    return 'serving';
  }
  return 'stopped';
}

const HEALTH_STATUS = {
  serving: 'success',
  switching: 'processing',
  stopped: 'warning',
  unreachable: 'error',
  none: 'default',
} as const;

export function kindLabel(kind: ModelKind, t: Translate): string {
  return t(`kind.${kind}`);
}

/** The model the chat backend serves now: name, kind and health. Shown in the header on every page. */
export function CurrentModelBadge() {
  const { t } = useI18n();
  const { current, error } = useCurrentModel();
  const { busy } = useModelSwitch();
  const health = healthOf(current, error, busy);
  const name = displayModelName(current);
  const kind = current?.kind ?? 'none';
  const tooltip = [current?.model_path, current?.base_url, error].filter(Boolean).join('\n');

  return (
    <Tooltip title={tooltip ? <span style={{ whiteSpace: 'pre-line' }}>{tooltip}</span> : undefined}>
      <div
        className="current-model-badge"
        data-testid="current-model-badge"
        data-model={name ?? ''}
        data-kind={kind}
        data-health={health}
        tabIndex={0}
        aria-label={t('header.currentModel')}
      >
        <Space size={8}>
          <Badge status={HEALTH_STATUS[health]} />
          <Typography.Text type="secondary" className="current-model-badge__label">
            {t('header.currentModel')}
          </Typography.Text>
          <Typography.Text strong ellipsis className="current-model-badge__name" data-testid="current-model-name">
            {name ?? t('header.noModel')}
          </Typography.Text>
          {current && current.kind !== 'none' && (
            <Tag color={KIND_COLOR[kind]} variant="filled" data-testid="current-model-kind">
              {kindLabel(kind, t)}
            </Tag>
          )}
          <Typography.Text type="secondary" data-testid="current-model-health">
            {t(`health.${health}`)}
          </Typography.Text>
        </Space>
      </div>
    </Tooltip>
  );
}
