import { App as AntApp, ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { AppHeader } from './components/AppHeader';
import { SwitchDialog } from './components/SwitchDialog';
import { I18nProvider, useI18n } from './i18n/I18nProvider';
import { ChatPage } from './pages/ChatPage';
import { FinetunePage } from './pages/FinetunePage';
import { AuditPage } from './pages/AuditPage';
import { ServingPage } from './pages/ServingPage';
import { WebhooksPage } from './pages/WebhooksPage';
import { usePage } from './router';
import { CurrentModelProvider } from './state/CurrentModelContext';
import { ModelSwitchProvider } from './state/ModelSwitchContext';
import { theme } from './theme';

function Shell() {
  const { lang } = useI18n();
  const [page, navigate] = usePage();
  return (
    <ConfigProvider locale={lang === 'zh' ? zhCN : enUS} theme={theme}>
      <AntApp notification={{ placement: 'topRight', top: 68 }}>
        <CurrentModelProvider>
          <ModelSwitchProvider>
            <div className="app">
              <AppHeader page={page} onNavigate={navigate} />
              <main className={`app-main app-main--${page}`}>
                {page === 'finetune' ? (
                  <FinetunePage />
                ) : page === 'serving' ? (
                  <ServingPage />
                ) : page === 'webhooks' ? (
                  <WebhooksPage />
                ) : page === 'audit' ? (
                  <AuditPage />
                ) : (
                  <ChatPage onNavigate={navigate} />
                )}
              </main>
              <SwitchDialog />
            </div>
          </ModelSwitchProvider>
        </CurrentModelProvider>
      </AntApp>
    </ConfigProvider>
  );
}

export function App() {
  return (
    <I18nProvider>
      <Shell />
    </I18nProvider>
  );
}
