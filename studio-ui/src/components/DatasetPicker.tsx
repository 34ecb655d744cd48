import { BookOutlined, InboxOutlined } from '@ant-design/icons';
import { Button, Flex, Spin, Typography, Upload } from 'antd';
import { useState } from 'react';
import { finetuneApi } from '../api/finetune';
import { ApiError, errorMessage } from '../api/http';
import type { Dataset, DatasetError } from '../api/types';
import { useI18n } from '../i18n/I18nProvider';
import { DatasetRejected, DatasetSummary } from './DatasetSummary';

export function toDatasetErrors(details: unknown[]): DatasetError[] {
  return details.filter(
    (d): d is DatasetError => typeof d === 'object' && d !== null && typeof (d as DatasetError).line === 'number',
  );
}

interface Rejection {
  message: string;
  errors: DatasetError[];
}

/**
 * Dataset upload (.json / .jsonl) or the bundled docs sample. Reports the accepted dataset through
 * `onChange` (null while there is none) and shows what the server detected or refused.
 */
export function DatasetPicker({
  value,
  onChange,
}: {
  value: Dataset | null;
  onChange: (dataset: Dataset | null) => void;
}) {
  const { t } = useI18n();
  const [busy, setBusy] = useState<'upload' | 'sample' | null>(null);
  const [rejection, setRejection] = useState<Rejection | null>(null);

  const run = async (kind: 'upload' | 'sample', action: () => Promise<Dataset>) => {
    setBusy(kind);
    setRejection(null);
    onChange(null);
    try {
      onChange(await action());
    } catch (cause) {
      setRejection({
        message: errorMessage(cause),
        errors: cause instanceof ApiError ? toDatasetErrors(cause.details) : [],
      });
    } finally {
      setBusy(null);
    }
  };

  return (
    <Flex vertical gap={8}>
      <Spin spinning={busy !== null}>
        <Upload.Dragger
          accept=".json,.jsonl"
          multiple={false}
          showUploadList={false}
          customRequest={({ file }) => void run('upload', () => finetuneApi.uploadDataset(file as File))}
          className="dataset-dragger"
          data-testid="dataset-upload"
        >
          <Flex align="center" justify="center" gap={12}>
            <InboxOutlined className="dataset-dragger__icon" />
            <div style={{ textAlign: 'start' }}>
              <Typography.Text>{t('dataset.drop')}</Typography.Text>
              <br />
              <Typography.Text type="secondary">{t('dataset.dropHint')}</Typography.Text>
            </div>
          </Flex>
        </Upload.Dragger>
      </Spin>
      <Flex align="center" gap={8}>
        <Typography.Text type="secondary">{t('dataset.or')}</Typography.Text>
        <Button
          size="small"
          icon={<BookOutlined />}
          loading={busy === 'sample'}
          disabled={busy !== null}
          onClick={() => void run('sample', finetuneApi.prepareSageDocs)}
          data-testid="dataset-sample"
        >
          {t('dataset.useSample')}
        </Button>
      </Flex>
      {value && <DatasetSummary dataset={value} />}
      {rejection && <DatasetRejected message={rejection.message} errors={rejection.errors} />}
    </Flex>
  );
}
