import { Select, Tooltip } from 'antd';
import { useMemo } from 'react';
import { CHAT_MODEL_ALIAS } from '../api/chat';
import { servingApi } from '../api/serving';
import { usePolling } from '../hooks/usePolling';
import { useI18n } from '../i18n/I18nProvider';
import { chatModels } from '../lib/serving';

const fetchServing = (signal: AbortSignal) => servingApi.serving(signal);

/**
 * Which model the chat names: `sage-chat` (the default, which follows switches and the split of a rollout) or any
 * ready served model by its name. The list comes from `GET /api/chat/serving`; when that cannot be read, only the
 * default is offered.
 */
export function ChatModelPicker({
  value,
  onChange,
  intervalMs = 10_000,
}: {
  value: string;
  onChange: (model: string) => void;
  intervalMs?: number;
}) {
  const { t } = useI18n();
  const serving = usePolling(fetchServing, intervalMs);
  const options = useMemo(() => {
    const fallback = serving.data?.default;
    const named = chatModels(serving.data).map((m) => ({
      value: m.model,
      label: m.display_name && m.display_name !== m.model ? `${m.model} (${m.display_name})` : m.model,
      'data-testid': `chat-model-option-${m.model}`,
    }));
    const alias = {
      value: CHAT_MODEL_ALIAS,
      label: fallback ? t('chat.modelDefault', { model: fallback }) : t('chat.modelDefaultNone'),
      'data-testid': `chat-model-option-${CHAT_MODEL_ALIAS}`,
    };
    const known = named.some((o) => o.value === value) || value === CHAT_MODEL_ALIAS;
    // a model chosen earlier that is no longer served stays visible, so the picker never shows a bare value
    return known
      ? [alias, ...named]
      : [alias, ...named, { value, label: value, 'data-testid': `chat-model-option-${value}` }];
  }, [serving.data, t, value]);

  return (
    <Tooltip title={t('chat.modelHint')} placement="bottom">
      <Select
        size="small"
        value={value}
        onChange={onChange}
        options={options}
        loading={serving.loading}
        aria-label={t('chat.model')}
        data-testid="chat-model-select"
        popupMatchSelectWidth={false}
        style={{ minWidth: 200, maxWidth: 360 }}
      />
    </Tooltip>
  );
}
