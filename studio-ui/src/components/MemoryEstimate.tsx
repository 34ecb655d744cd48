import { DashboardOutlined } from '@ant-design/icons';
import { Flex, Tag, Tooltip, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { errorMessage } from '../api/http';
import { systemApi } from '../api/system';
import type { MemoryEstimate as Estimate, MemoryEstimateRequest } from '../api/types';
import { useDebouncedValue } from '../hooks/useDebouncedValue';
import { isAbort } from '../hooks/usePolling';
import { useI18n } from '../i18n/I18nProvider';
import { formatGb } from '../lib/taskFormat';

export interface FitSummary {
  /** The GPUs this machine or cluster has, with whether the run fits their free memory now. */
  devices: { label: string; fits: boolean }[];
  /** Without telemetry: the smallest well-known GPU the run fits, or null when none does. */
  smallest: string | null;
}

export function summarizeFits(estimate: Estimate): FitSummary {
  const devices = (estimate.devices ?? []).map((d) => ({ label: `#${d.index} ${d.name}`, fits: d.fits }));
  const known = (estimate.fits ?? []).filter((f) => !f.node && f.fits).sort((a, b) => a.memory_bytes - b.memory_bytes);
  return { devices, smallest: known[0]?.gpu ?? null };
}

/** `POST /api/system/memory-estimate` for the form's current settings, 400 ms after they settle. */
export function MemoryEstimate({ request }: { request: MemoryEstimateRequest | null }) {
  const { t } = useI18n();
  const settled = useDebouncedValue(request ? JSON.stringify(request) : null, 400);
  const [estimate, setEstimate] = useState<Estimate | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    if (!settled) {
      setEstimate(null);
      return undefined;
    }
    const controller = new AbortController();
    setLoading(true);
    systemApi
      .memoryEstimate(JSON.parse(settled) as MemoryEstimateRequest, controller.signal)
      .then(
        (value) => {
          setEstimate(value);
          setError(null);
        },
        (cause: unknown) => {
          if (!isAbort(cause)) {
            setError(errorMessage(cause));
          }
        },
      )
      .finally(() => {
        if (!controller.signal.aborted) {
          setLoading(false);
        }
      });
    return () => controller.abort();
  }, [settled]);

  const fits = estimate ? summarizeFits(estimate) : null;
  return (
    <div className="memory-estimate" data-testid="memory-estimate" aria-live="polite" aria-busy={loading}>
      <Flex align="center" gap={8} wrap>
        <DashboardOutlined />
        <Typography.Text type="secondary">{t('estimate.title')}</Typography.Text>
        {estimate && (
          <Tooltip
            title={t('estimate.range', { low: formatGb(estimate.low_bytes), high: formatGb(estimate.high_bytes) })}
          >
            <Typography.Text strong data-testid="memory-estimate-value">
              ≈ {formatGb(estimate.expected_bytes)}
            </Typography.Text>
          </Tooltip>
        )}
        {estimate && (
          <Typography.Text type="secondary">
            ({formatGb(estimate.low_bytes)} – {formatGb(estimate.high_bytes)})
          </Typography.Text>
        )}
        {fits?.devices.map((fit) => (
          <Tag key={fit.label} color={fit.fits ? 'green' : 'red'}>
            {fit.fits ? t('estimate.fits', { gpu: fit.label }) : t('estimate.tooBig', { gpu: fit.label })}
          </Tag>
        ))}
        {fits && fits.devices.length === 0 && (
          <Typography.Text type="secondary" data-testid="memory-estimate-smallest">
            {fits.smallest ? t('estimate.smallest', { gpu: fits.smallest }) : t('estimate.nothingFits')}
          </Typography.Text>
        )}
        {!estimate && !error && (
          <Typography.Text type="secondary">{loading ? t('common.loading') : '—'}</Typography.Text>
        )}
        {estimate && estimate.world_size > 1 && (
          <Typography.Text type="secondary" data-testid="memory-estimate-layouts">
            {t('estimate.perGpu', { gpus: estimate.world_size })}
            {estimate.layouts.map((layout) => (
              <Tag
                key={layout.parallelism}
                color={
                  layout.fits === false ? 'red' : layout.parallelism === estimate.recommended ? 'green' : undefined
                }
                style={{ marginInlineStart: 6 }}
              >
                {layout.parallelism.toUpperCase()} ≈ {formatGb(layout.per_gpu_bytes)}
                {layout.parallelism === estimate.recommended ? ` · ${t('estimate.recommended')}` : ''}
              </Tag>
            ))}
          </Typography.Text>
        )}
        {error && !estimate && (
          <Typography.Text type="secondary">{t('estimate.unavailable', { reason: error })}</Typography.Text>
        )}
      </Flex>
    </div>
  );
}
