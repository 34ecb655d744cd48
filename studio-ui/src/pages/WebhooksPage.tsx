import {
  ApiOutlined,
  DeleteOutlined,
  HistoryOutlined,
  PauseCircleOutlined,
  PlayCircleOutlined,
  PlusOutlined,
  ReloadOutlined,
} from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Col,
  Drawer,
  Flex,
  Empty,
  Form,
  Input,
  Modal,
  Popconfirm,
  Row,
  Select,
  Space,
  Table,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useState, type HTMLAttributes } from 'react';
import { errorMessage } from '../api/http';
import type { CreatedWebhook, DeliveryState, Webhook, WebhookDelivery } from '../api/types';
import { WEBHOOK_EVENT_GROUPS, webhooksApi } from '../api/webhooks';
import { usePolling } from '../hooks/usePolling';
import { useI18n } from '../i18n/I18nProvider';
import { formatTime } from '../lib/taskFormat';

const fetchWebhooks = (signal: AbortSignal) => webhooksApi.list(signal);

/** How many deliveries the drawer shows (newest first). */
const DELIVERY_LIMIT = 50;

/** `200` green, anything else red; `-` before the first delivery. */
function StatusTag({ status }: { status?: number | null }) {
  if (status === null || status === undefined) {
    return <Typography.Text type="secondary">-</Typography.Text>;
  }
  return <Tag color={status >= 200 && status < 300 ? 'success' : 'error'}>{status}</Tag>;
}

/**
 * Webhooks (admin): the URLs the studio POSTs events to, their state (a webhook the service disabled after repeated
 * failures says why), the last delivery, a drawer with each one's deliveries, enable/disable (enabling clears the
 * failures and sends what the webhook still owed), delete, and the add form. The signing
 * secret is in the create answer only, so it is shown right then in a modal that says it will not be shown again.
 */
export function WebhooksPage({ intervalMs = 5000 }: { intervalMs?: number }) {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const webhooks = usePolling(fetchWebhooks, intervalMs);
  const [created, setCreated] = useState<CreatedWebhook>();
  const [inspected, setInspected] = useState<Webhook>();
  const [removing, setRemoving] = useState<string>();
  const [toggling, setToggling] = useState<string>();

  const toggle = async (hook: Webhook) => {
    setToggling(hook.id);
    try {
      const now = await webhooksApi.update(hook.id, { enabled: !hook.enabled });
      message.success(t(now.enabled ? 'webhooks.nowEnabled' : 'webhooks.nowDisabled'));
      webhooks.refresh();
    } catch (cause) {
      message.error(errorMessage(cause));
    } finally {
      setToggling(undefined);
    }
  };

  const remove = async (hook: Webhook) => {
    setRemoving(hook.id);
    try {
      await webhooksApi.remove(hook.id);
      message.success(t('webhooks.deleted'));
      webhooks.refresh();
    } catch (cause) {
      message.error(errorMessage(cause));
    } finally {
      setRemoving(undefined);
    }
  };

  return (
    <Row gutter={[16, 16]} data-testid="webhooks-page">
      <Col xs={24} xl={15}>
        <Card
          size="small"
          title={
            <span>
              <ApiOutlined /> {t('webhooks.title')}
            </span>
          }
          extra={
            <Button size="small" icon={<ReloadOutlined />} onClick={webhooks.refresh}>
              {t('common.refresh')}
            </Button>
          }
        >
          <div className="stack">
            <Typography.Text type="secondary">{t('webhooks.hint')}</Typography.Text>
            {webhooks.error && <Alert type="error" showIcon title={t('webhooks.error')} description={webhooks.error} />}
            <Table<Webhook>
              size="small"
              rowKey="id"
              loading={webhooks.loading}
              dataSource={webhooks.data ?? []}
              pagination={false}
              scroll={{ x: true }}
              locale={{ emptyText: <Empty description={t('webhooks.empty')} /> }}
              onRow={(hook) => ({ 'data-testid': `webhook-row-${hook.id}` }) as HTMLAttributes<HTMLElement>}
              columns={[
                {
                  title: t('webhooks.col.url'),
                  key: 'url',
                  render: (_, hook) => (
                    <Flex vertical>
                      <Typography.Text code>{hook.url}</Typography.Text>
                      {hook.description && <Typography.Text type="secondary">{hook.description}</Typography.Text>}
                      {hook.created_by && (
                        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                          {t('webhooks.createdBy', { actor: hook.created_by })} · {formatTime(hook.created_at, lang)}
                        </Typography.Text>
                      )}
                    </Flex>
                  ),
                },
                {
                  title: t('webhooks.col.events'),
                  key: 'events',
                  render: (_, hook) => (
                    <Space size={[0, 4]} wrap>
                      {hook.events.map((event) => (
                        <Tag key={event}>{event}</Tag>
                      ))}
                    </Space>
                  ),
                },
                {
                  title: t('webhooks.col.state'),
                  key: 'state',
                  render: (_, hook) =>
                    hook.enabled ? (
                      <Tag color="success">{t('webhooks.enabled')}</Tag>
                    ) : (
                      <Flex vertical>
                        <Tag color="error">{t('webhooks.disabled')}</Tag>
                        {hook.disabled_reason && (
                          <Typography.Text type="danger" data-testid={`webhook-disabled-${hook.id}`}>
                            {hook.disabled_reason}
                          </Typography.Text>
                        )}
                      </Flex>
                    ),
                },
                {
                  title: t('webhooks.col.lastDelivery'),
                  key: 'last',
                  render: (_, hook) =>
                    hook.last_delivery_at ? (
                      <Space size={4}>
                        <StatusTag status={hook.last_status} />
                        <span>{formatTime(hook.last_delivery_at, lang)}</span>
                      </Space>
                    ) : (
                      <Typography.Text type="secondary">{t('webhooks.never')}</Typography.Text>
                    ),
                },
                {
                  title: t('webhooks.col.failures'),
                  key: 'failures',
                  align: 'right',
                  render: (_, hook) => hook.failures ?? 0,
                },
                {
                  key: 'actions',
                  render: (_, hook) => (
                    <Space size={4}>
                      <Button
                        size="small"
                        icon={<HistoryOutlined />}
                        onClick={() => setInspected(hook)}
                        data-testid={`webhook-deliveries-${hook.id}`}
                      >
                        {t('webhooks.deliveries')}
                      </Button>
                      <Button
                        size="small"
                        icon={hook.enabled ? <PauseCircleOutlined /> : <PlayCircleOutlined />}
                        loading={toggling === hook.id}
                        onClick={() => void toggle(hook)}
                        data-testid={`webhook-toggle-${hook.id}`}
                      >
                        {t(hook.enabled ? 'webhooks.disable' : 'webhooks.enable')}
                      </Button>
                      <Popconfirm
                        title={t('webhooks.deleteConfirm', { url: hook.url })}
                        onConfirm={() => void remove(hook)}
                      >
                        <Button
                          size="small"
                          danger
                          icon={<DeleteOutlined />}
                          loading={removing === hook.id}
                          aria-label={t('webhooks.delete')}
                          data-testid={`webhook-delete-${hook.id}`}
                        />
                      </Popconfirm>
                    </Space>
                  ),
                },
              ]}
            />
          </div>
        </Card>
      </Col>
      <Col xs={24} xl={9}>
        <AddWebhookForm
          onCreated={(answer) => {
            setCreated(answer);
            webhooks.refresh();
          }}
        />
      </Col>
      <SecretModal created={created} onClose={() => setCreated(undefined)} />
      <DeliveriesDrawer webhook={inspected} onClose={() => setInspected(undefined)} />
    </Row>
  );
}

interface FormValues {
  url: string;
  patterns: string[];
  exact: string[];
  secret?: string;
  description?: string;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value.trim());
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** URL, event families (`task.*`, …, `*`) and single events, an optional secret and description. */
function AddWebhookForm({ onCreated }: { onCreated: (created: CreatedWebhook) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<FormValues>();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async (values: FormValues) => {
    const events = [...(values.patterns ?? []), ...(values.exact ?? [])];
    setSaving(true);
    setError(undefined);
    try {
      const answer = await webhooksApi.create({
        url: values.url.trim(),
        events,
        ...(values.secret?.trim() ? { secret: values.secret.trim() } : {}),
        ...(values.description?.trim() ? { description: values.description.trim() } : {}),
      });
      form.resetFields();
      onCreated(answer);
    } catch (cause) {
      setError(errorMessage(cause));
    } finally {
      setSaving(false);
    }
  };

  const eventsChosen = () => {
    const { patterns = [], exact = [] } = form.getFieldsValue(['patterns', 'exact']) as Partial<FormValues>;
    return patterns.length + exact.length > 0
      ? Promise.resolve()
      : Promise.reject(new Error(t('webhooks.add.eventsRequired')));
  };

  return (
    <Card
      size="small"
      title={
        <span>
          <PlusOutlined /> {t('webhooks.add.title')}
        </span>
      }
    >
      <Form<FormValues>
        form={form}
        layout="vertical"
        initialValues={{ patterns: [], exact: [] }}
        onFinish={(values) => void submit(values)}
        data-testid="webhook-form"
      >
        <Form.Item
          name="url"
          label={t('webhooks.add.url')}
          extra={t('webhooks.add.urlHint')}
          rules={[
            {
              validator: (_, value: string | undefined) =>
                value && isHttpUrl(value) ? Promise.resolve() : Promise.reject(new Error(t('webhooks.add.urlInvalid'))),
            },
          ]}
        >
          <Input placeholder="https://ci.example.com/hooks/sage" data-testid="webhook-url" autoComplete="off" />
        </Form.Item>
        <Form.Item
          name="patterns"
          label={t('webhooks.add.patterns')}
          dependencies={['exact']}
          rules={[{ validator: eventsChosen }]}
        >
          <Checkbox.Group
            data-testid="webhook-patterns"
            options={[
              ...WEBHOOK_EVENT_GROUPS.map((group) => ({ label: group.pattern, value: group.pattern })),
              { label: t('webhooks.add.all'), value: '*' },
            ]}
          />
        </Form.Item>
        <Form.Item name="exact" label={t('webhooks.add.exact')}>
          <Select
            mode="tags"
            placeholder={t('webhooks.add.exactPlaceholder')}
            tokenSeparators={[',', ' ']}
            data-testid="webhook-exact"
            options={WEBHOOK_EVENT_GROUPS.map((group) => ({
              label: group.pattern,
              options: group.events.map((event) => ({ label: event, value: event })),
            }))}
          />
        </Form.Item>
        <Form.Item name="secret" label={t('webhooks.add.secret')} extra={t('webhooks.add.secretHint')}>
          <Input.Password autoComplete="new-password" data-testid="webhook-secret-input" />
        </Form.Item>
        <Form.Item name="description" label={t('webhooks.add.description')}>
          <Input data-testid="webhook-description" />
        </Form.Item>
        {error && (
          <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} data-testid="webhook-form-error" />
        )}
        <Button type="primary" htmlType="submit" loading={saving} icon={<PlusOutlined />} data-testid="webhook-add">
          {t('webhooks.add.submit')}
        </Button>
      </Form>
    </Card>
  );
}

/** The secret of the webhook just created, once: a copy button and the warning that it is not shown again. */
function SecretModal({ created, onClose }: { created?: CreatedWebhook; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <Modal
      open={created !== undefined}
      title={t('webhooks.secret.title')}
      onCancel={onClose}
      maskClosable={false}
      destroyOnHidden
      footer={
        <Button type="primary" onClick={onClose} data-testid="webhook-secret-done">
          {t('webhooks.secret.copied')}
        </Button>
      }
    >
      {created && (
        <div className="stack">
          <Alert type="warning" showIcon title={t('webhooks.secret.warning')} />
          <Typography.Text code>{created.url}</Typography.Text>
          <Typography.Paragraph copyable={{ text: created.secret }} code data-testid="webhook-secret">
            {created.secret}
          </Typography.Paragraph>
        </div>
      )}
    </Modal>
  );
}

const deliveryColor: Record<DeliveryState, string> = {
  pending: 'processing',
  delivered: 'success',
  failed: 'warning',
  gave_up: 'error',
};

/** A webhook's deliveries, newest first, read again while the drawer is open. */
function DeliveriesDrawer({ webhook, onClose }: { webhook?: Webhook; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <Drawer
      open={webhook !== undefined}
      onClose={onClose}
      size={860}
      title={webhook ? t('webhooks.delivery.title', { url: webhook.url }) : ''}
      destroyOnHidden
    >
      {webhook && <DeliveriesTable id={webhook.id} />}
    </Drawer>
  );
}

function DeliveriesTable({ id, intervalMs = 5000 }: { id: string; intervalMs?: number }) {
  const { t, lang } = useI18n();
  const deliveries = usePolling((signal) => webhooksApi.deliveries(id, DELIVERY_LIMIT, signal), intervalMs);
  return (
    <div className="stack" data-testid="webhook-deliveries">
      {deliveries.error && (
        <Alert type="error" showIcon title={t('webhooks.delivery.loadError')} description={deliveries.error} />
      )}
      <Table<WebhookDelivery>
        size="small"
        rowKey={(d) => `${d.id}-${d.attempt}`}
        loading={deliveries.loading}
        dataSource={deliveries.data ?? []}
        pagination={false}
        scroll={{ x: true }}
        locale={{ emptyText: <Empty description={t('webhooks.delivery.empty')} /> }}
        onRow={(d) => ({ 'data-testid': `delivery-row-${d.id}` }) as HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t('webhooks.delivery.created'),
            key: 'created',
            render: (_, d) => formatTime(d.created_at, lang),
          },
          { title: t('webhooks.delivery.event'), dataIndex: 'event', key: 'event' },
          { title: t('webhooks.delivery.attempt'), dataIndex: 'attempt', key: 'attempt', align: 'right' },
          {
            title: t('webhooks.delivery.state'),
            key: 'state',
            render: (_, d) => (
              <Tag color={deliveryColor[d.state] ?? 'default'}>
                {t(`webhooks.delivery.state.${d.state}` as 'webhooks.delivery.state.pending')}
              </Tag>
            ),
          },
          { title: t('webhooks.delivery.status'), key: 'status', render: (_, d) => <StatusTag status={d.status} /> },
          {
            title: t('webhooks.delivery.error'),
            key: 'error',
            render: (_, d) =>
              d.error ? (
                <Tooltip title={d.error}>
                  <Typography.Text type="danger" ellipsis style={{ maxWidth: 220 }}>
                    {d.error}
                  </Typography.Text>
                </Tooltip>
              ) : (
                '-'
              ),
          },
          {
            title: t('webhooks.delivery.next'),
            key: 'next',
            render: (_, d) => (d.next_attempt_at ? formatTime(d.next_attempt_at, lang) : '-'),
          },
          {
            title: t('webhooks.delivery.delivered'),
            key: 'delivered',
            render: (_, d) => (d.delivered_at ? formatTime(d.delivered_at, lang) : '-'),
          },
        ]}
      />
    </div>
  );
}
