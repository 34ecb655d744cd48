import { SettingOutlined } from '@ant-design/icons';
import { Button, Form, Input, Popover, Space, Typography } from 'antd';
import { useState } from 'react';
import { getToken, setToken } from '../api/http';
import { useI18n } from '../i18n/I18nProvider';

/** The bearer token sent with every API call (a cluster install turns auth on). Kept in localStorage. */
export function SettingsPopover({ onSaved }: { onSaved?: () => void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [draft, setDraft] = useState(getToken);

  const save = () => {
    setToken(draft);
    setOpen(false);
    onSaved?.();
  };

  const content = (
    <Form layout="vertical" style={{ width: 300 }} onFinish={save}>
      <Form.Item label={t('settings.token')} extra={t('settings.tokenHint')} style={{ marginBottom: 12 }}>
        <Input.Password
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          placeholder={t('settings.tokenPlaceholder')}
          autoComplete="off"
          data-testid="settings-token"
        />
      </Form.Item>
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Text type="secondary">
          {getToken() ? t('settings.tokenSet') : t('settings.tokenUnset')}
        </Typography.Text>
        <Space>
          <Button onClick={() => setDraft('')}>{t('common.clear')}</Button>
          <Button type="primary" htmlType="submit" data-testid="settings-save">
            {t('common.save')}
          </Button>
        </Space>
      </Space>
    </Form>
  );

  return (
    <Popover
      content={content}
      title={t('settings.title')}
      trigger="click"
      open={open}
      placement="bottomRight"
      onOpenChange={(next) => {
        setOpen(next);
        if (next) {
          setDraft(getToken());
        }
      }}
    >
      <Button type="text" icon={<SettingOutlined />} aria-label={t('settings.title')} data-testid="settings-button" />
    </Popover>
  );
}
