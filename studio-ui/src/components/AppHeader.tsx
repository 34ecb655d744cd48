import {
  ApiOutlined,
  AuditOutlined,
  CloudServerOutlined,
  ExperimentOutlined,
  MessageOutlined,
} from '@ant-design/icons';
import { Segmented, Space } from 'antd';
import type { ReactNode } from 'react';
import { useAdminAccess } from '../hooks/useAdminAccess';
import { useI18n, type Lang } from '../i18n/I18nProvider';
import { hrefOf, type Page } from '../router';
import { useCurrentModel } from '../state/CurrentModelContext';
import { CurrentModelBadge } from './CurrentModelBadge';
import { SettingsPopover } from './SettingsPopover';

const icons: Record<Page, ReactNode> = {
  finetune: <ExperimentOutlined />,
  serving: <CloudServerOutlined />,
  chat: <MessageOutlined />,
  webhooks: <ApiOutlined />,
  audit: <AuditOutlined />,
};

/** Pages everyone with a role sees, then the admin pages (shown when an admin-only read answers). */
const PAGES: Page[] = ['finetune', 'serving', 'chat'];
const ADMIN_PAGES: Page[] = ['webhooks', 'audit'];

export function AppHeader({ page, onNavigate }: { page: Page; onNavigate: (page: Page) => void }) {
  const { t, lang, setLang } = useI18n();
  const { refresh } = useCurrentModel();
  const { access, recheck } = useAdminAccess();
  const pages = access === 'admin' ? [...PAGES, ...ADMIN_PAGES] : PAGES;

  return (
    <header className="app-header">
      <div className="app-header__brand">
        <span className="app-header__logo" aria-hidden>
          S
        </span>
        <span className="app-header__title">SAGE Studio</span>
      </div>
      <nav aria-label={t('nav.label')} className="app-header__nav">
        {pages.map((target) => (
          <a
            key={target}
            href={hrefOf(target)}
            className={`app-header__link${page === target ? ' is-active' : ''}`}
            aria-current={page === target ? 'page' : undefined}
            data-testid={`nav-${target}`}
            onClick={(event) => {
              event.preventDefault();
              onNavigate(target);
            }}
          >
            {icons[target]}
            <span>{t(`nav.${target}`)}</span>
          </a>
        ))}
      </nav>
      <div className="app-header__right">
        <CurrentModelBadge />
        <Space size={4}>
          <Segmented<Lang>
            size="small"
            value={lang}
            onChange={setLang}
            options={[
              { label: 'EN', value: 'en' },
              { label: '中文', value: 'zh' },
            ]}
            aria-label={t('header.language')}
            data-testid="lang-switch"
          />
          <SettingsPopover
            onSaved={() => {
              refresh();
              recheck();
            }}
          />
        </Space>
      </div>
    </header>
  );
}
