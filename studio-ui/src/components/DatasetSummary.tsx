import { Alert, Descriptions, Tag, Typography } from 'antd';
import type { Dataset, DatasetError, PreparedDataset } from '../api/types';
import { useI18n } from '../i18n/I18nProvider';
import { formatBytes } from '../lib/taskFormat';

/** The first per-line problems of an upload (the server sends the first N). */
export function DatasetErrors({ errors, limit = 5 }: { errors: DatasetError[]; limit?: number }) {
  const { t } = useI18n();
  if (errors.length === 0) {
    return null;
  }
  return (
    <ul className="dataset-errors" data-testid="dataset-errors">
      {errors.slice(0, limit).map((error) => (
        <li key={`${error.line}-${error.code}`} data-testid="dataset-error">
          <Typography.Text type="secondary" className="mono">
            {t('dataset.line', { line: error.line })}
          </Typography.Text>{' '}
          {error.message}
        </li>
      ))}
      {errors.length > limit && (
        <li>
          <Typography.Text type="secondary">
            {t('dataset.moreErrors', { count: errors.length - limit })}
          </Typography.Text>
        </li>
      )}
    </ul>
  );
}

/** What the server made of a dataset: format, sample count, size, and the first line errors. */
export function DatasetSummary({ dataset }: { dataset: Dataset | PreparedDataset }) {
  const { t } = useI18n();
  const errors = dataset.errors ?? [];
  const tokens =
    dataset.stats?.estimated_tokens ?? ('estimated_tokens' in dataset ? dataset.estimated_tokens : undefined);
  return (
    <div className="dataset-summary" data-testid="dataset-summary" data-valid={dataset.valid_records}>
      <Descriptions size="small" column={2} className="compact-descriptions">
        <Descriptions.Item label={t('dataset.file')} span={2}>
          <Typography.Text ellipsis style={{ maxWidth: 260 }}>
            {dataset.filename}
          </Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('dataset.format')}>
          <Tag color="geekblue" data-testid="dataset-format">
            {dataset.format}
          </Tag>
        </Descriptions.Item>
        <Descriptions.Item label={t('dataset.samples')}>
          <span data-testid="dataset-count">{dataset.valid_records}</span>
          {dataset.invalid_records > 0 && (
            <Typography.Text type="warning">
              {' '}
              {t('dataset.skipped', { count: dataset.invalid_records })}
            </Typography.Text>
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('dataset.size')}>{formatBytes(dataset.size_bytes)}</Descriptions.Item>
        {tokens != null && (
          <Descriptions.Item label={t('dataset.tokens')}>≈ {tokens.toLocaleString()}</Descriptions.Item>
        )}
      </Descriptions>
      {errors.length > 0 && (
        <Alert
          type="warning"
          showIcon
          title={t('dataset.someInvalid')}
          description={<DatasetErrors errors={errors} />}
        />
      )}
    </div>
  );
}

/** An upload the server refused (400 dataset_invalid): why, line by line. */
export function DatasetRejected({ message, errors }: { message: string; errors: DatasetError[] }) {
  const { t } = useI18n();
  return (
    <Alert
      type="error"
      showIcon
      data-testid="dataset-rejected"
      title={t('dataset.rejected')}
      description={
        <>
          <div>{message}</div>
          <DatasetErrors errors={errors} />
        </>
      }
    />
  );
}
