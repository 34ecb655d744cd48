import { ThunderboltOutlined } from '@ant-design/icons';
import { Alert, Card, Flex, Progress, Skeleton, Tag, Typography } from 'antd';
import { systemApi } from '../api/system';
import type { GpuDevice, GpuInfo } from '../api/types';
import { usePolling } from '../hooks/usePolling';
import { useI18n } from '../i18n/I18nProvider';
import { formatGb } from '../lib/taskFormat';

const fetchGpus = (signal: AbortSignal) => systemApi.gpuInfo(signal);

function recommendationText(info: GpuInfo): string | null {
  const { recommendation } = info;
  if (typeof recommendation === 'string') {
    return recommendation;
  }
  if (recommendation && typeof recommendation === 'object') {
    const record = recommendation as Record<string, unknown>;
    const text = record.reason ?? record.message ?? record.summary;
    return typeof text === 'string' ? text : null;
  }
  return null;
}

function DeviceRow({ device }: { device: GpuDevice }) {
  const { t } = useI18n();
  const total = device.memory_total_bytes ?? (device.memory_gb != null ? device.memory_gb * 1024 ** 3 : null);
  const used =
    device.memory_used_bytes ??
    (total != null && device.memory_free_bytes != null ? total - device.memory_free_bytes : null);
  const percent = total && used != null ? Math.round((100 * used) / total) : 0;
  return (
    <div className="gpu-device" data-testid="gpu-device">
      <Flex justify="space-between" align="baseline" gap={8}>
        <Typography.Text strong ellipsis>
          #{device.index ?? device.id} {device.name}
        </Typography.Text>
        <Typography.Text type="secondary" className="nowrap">
          {t('gpu.memory', { used: formatGb(used), total: formatGb(total) })}
        </Typography.Text>
      </Flex>
      <Progress percent={percent} size="small" showInfo={false} status={percent > 90 ? 'exception' : 'normal'} />
      <Flex gap={6} wrap>
        {device.utilization_gpu != null && <Tag>{t('gpu.util', { value: device.utilization_gpu })}</Tag>}
        {device.temperature_c != null && <Tag>{device.temperature_c} °C</Tag>}
        {device.power_w != null && <Tag>{Math.round(device.power_w)} W</Tag>}
        {device.node && <Tag>{device.node}</Tag>}
      </Flex>
    </div>
  );
}

/** `/api/system/gpu-info`, refreshed every 10 s, or a clear "no GPU detected". */
export function GpuSummary() {
  const { t } = useI18n();
  const { data, error, loading } = usePolling(fetchGpus, 10_000);
  const recommendation = data ? recommendationText(data) : null;

  return (
    <Card
      size="small"
      title={
        <span>
          <ThunderboltOutlined /> {t('gpu.title')}
        </span>
      }
      extra={data?.available ? <Tag color="green">{t('gpu.count', { count: data.count })}</Tag> : null}
      data-testid="gpu-summary"
    >
      {loading && !data && !error && <Skeleton active paragraph={{ rows: 1 }} />}
      {error && !data && <Alert type="error" showIcon title={t('gpu.error')} description={error} />}
      {data && !data.available && (
        <Flex align="flex-start" gap={12} data-testid="gpu-none">
          <div className="gpu-none__icon" aria-hidden>
            <ThunderboltOutlined />
          </div>
          <div>
            <Typography.Text strong>{t('gpu.none')}</Typography.Text>
            <br />
            <Typography.Text type="secondary">{t('gpu.noneHint')}</Typography.Text>
            {data.reason && (
              <Typography.Paragraph
                type="secondary"
                className="gpu-none__reason"
                ellipsis={{ rows: 1, tooltip: data.reason }}
              >
                {data.reason}
              </Typography.Paragraph>
            )}
          </div>
        </Flex>
      )}
      {data?.available && (
        <Flex vertical gap={12}>
          {data.devices.map((device) => (
            <DeviceRow key={device.device_id ?? device.uuid ?? `${device.node}-${device.id}`} device={device} />
          ))}
          {recommendation && <Typography.Text type="secondary">{recommendation}</Typography.Text>}
        </Flex>
      )}
    </Card>
  );
}
