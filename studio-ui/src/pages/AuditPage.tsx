import { AuditOutlined, ReloadOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Empty, Flex, Input, Select, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { useEffect, useMemo, useState, type HTMLAttributes } from 'react';
import { auditApi, type AuditQuery } from '../api/audit';
import type { AuditEntry } from '../api/types';
import { errorMessage } from '../api/http';
import { useDebouncedValue } from '../hooks/useDebouncedValue';
import { isAbort } from '../hooks/usePolling';
import { useI18n } from '../i18n/I18nProvider';
import { formatTime } from '../lib/taskFormat';

/** The most entries one read asks for (the service answers newest first). */
export const AUDIT_LIMIT = 200;

const SINCE_HOURS = { '1h': 1, '24h': 24, '7d': 24 * 7, '30d': 24 * 30, all: 0 } as const;
type Since = keyof typeof SINCE_HOURS;

const outcomeColor: Record<string, string> = { ok: 'success', refused: 'warning', failed: 'error' };

/** The ISO instant `since` stands for, read now (`all`: no lower bound). */
function sinceInstant(since: Since, now: number): string | undefined {
  const hours = SINCE_HOURS[since];
  return hours ? new Date(now - hours * 3_600_000).toISOString() : undefined;
}

/**
 * The audit log (admin): every state-changing call, newest first, filtered by actor, action and time range on the
 * server (`GET /api/audit?since=&actor=&action=&limit=`). Typing in a filter reads again once it settles.
 */
export function AuditPage({ debounceMs = 400 }: { debounceMs?: number }) {
  const { t, lang } = useI18n();
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [since, setSince] = useState<Since>('7d');
  const [generation, setGeneration] = useState(0);
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const settledActor = useDebouncedValue(actor, debounceMs);
  const settledAction = useDebouncedValue(action, debounceMs);

  const filters = useMemo(
    () => ({ actor: settledActor, action: settledAction, since }),
    [settledActor, settledAction, since],
  );

  useEffect(() => {
    const controller = new AbortController();
    const query: AuditQuery = {
      since: sinceInstant(filters.since, Date.now()),
      actor: filters.actor,
      action: filters.action,
      limit: AUDIT_LIMIT,
    };
    setLoading(true);
    auditApi
      .entries(query, controller.signal)
      .then((answer) => {
        setEntries(answer);
        setError(null);
      })
      .catch((cause: unknown) => {
        if (!controller.signal.aborted && !isAbort(cause)) {
          setError(errorMessage(cause));
        }
      })
      .finally(() => {
        if (!controller.signal.aborted) {
          setLoading(false);
        }
      });
    return () => controller.abort();
  }, [filters, generation]);

  return (
    <Card
      size="small"
      data-testid="audit-page"
      title={
        <span>
          <AuditOutlined /> {t('audit.title')}
        </span>
      }
      extra={
        <Button
          size="small"
          icon={<ReloadOutlined />}
          onClick={() => setGeneration((g) => g + 1)}
          data-testid="audit-refresh"
        >
          {t('common.refresh')}
        </Button>
      }
    >
      <div className="stack">
        <Typography.Text type="secondary">{t('audit.hint')}</Typography.Text>
        <Space wrap>
          <Input
            allowClear
            value={actor}
            onChange={(event) => setActor(event.target.value)}
            placeholder={t('audit.actor')}
            aria-label={t('audit.actor')}
            style={{ width: 180 }}
            data-testid="audit-actor"
          />
          <Input
            allowClear
            value={action}
            onChange={(event) => setAction(event.target.value)}
            placeholder={t('audit.action')}
            aria-label={t('audit.action')}
            style={{ width: 220 }}
            data-testid="audit-action"
          />
          <Select<Since>
            value={since}
            onChange={setSince}
            aria-label={t('audit.since')}
            style={{ width: 170 }}
            data-testid="audit-since"
            options={(Object.keys(SINCE_HOURS) as Since[]).map((value) => ({
              value,
              label: t(`audit.since.${value}`),
            }))}
          />
          <Typography.Text type="secondary" data-testid="audit-count">
            {t('audit.count', { count: entries.length, limit: AUDIT_LIMIT })}
          </Typography.Text>
        </Space>
        {error && <Alert type="error" showIcon title={t('audit.error')} description={error} />}
        <Table<AuditEntry>
          size="small"
          rowKey="id"
          loading={loading}
          dataSource={entries}
          pagination={entries.length > 50 ? { pageSize: 50, size: 'small' } : false}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('audit.empty')} /> }}
          onRow={(entry) =>
            ({ 'data-testid': `audit-row-${entry.id}`, 'data-outcome': entry.outcome }) as HTMLAttributes<HTMLElement>
          }
          columns={[
            { title: t('audit.col.time'), key: 'at', render: (_, e) => formatTime(e.at, lang) },
            { title: t('audit.actor'), key: 'actor', render: (_, e) => e.actor ?? '-' },
            { title: t('audit.col.role'), key: 'role', render: (_, e) => e.role ?? '-' },
            {
              title: t('audit.action'),
              key: 'action',
              render: (_, e) => (
                <Flex vertical>
                  <Typography.Text code>{e.action}</Typography.Text>
                  {e.method && e.path && (
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {e.method} {e.path}
                    </Typography.Text>
                  )}
                </Flex>
              ),
            },
            { title: t('audit.col.target'), key: 'target', render: (_, e) => e.target ?? '-' },
            {
              title: t('audit.col.outcome'),
              key: 'outcome',
              render: (_, e) => (
                <Tag color={outcomeColor[e.outcome] ?? 'default'}>
                  {e.outcome in outcomeColor ? t(`audit.outcome.${e.outcome as 'ok'}`) : e.outcome}
                </Tag>
              ),
            },
            { title: t('audit.col.status'), key: 'status', align: 'right', render: (_, e) => e.status ?? '-' },
            {
              title: t('audit.col.trace'),
              key: 'trace',
              render: (_, e) =>
                e.trace_id ? (
                  <Tooltip title={e.trace_id}>
                    <Typography.Text className="mono" copyable={{ text: e.trace_id }}>
                      {e.trace_id.slice(0, 12)}…
                    </Typography.Text>
                  </Tooltip>
                ) : (
                  '-'
                ),
            },
          ]}
        />
      </div>
    </Card>
  );
}
