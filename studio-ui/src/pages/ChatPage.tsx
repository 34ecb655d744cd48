import { ClearOutlined, RobotOutlined, SendOutlined, StopOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, Avatar, Button, Card, Empty, Flex, Input, Tag, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { CHAT_MODEL_ALIAS } from '../api/chat';
import { ChatModelPicker } from '../components/ChatModelPicker';
import { useChat, type ChatEntry } from '../hooks/useChat';
import { useI18n } from '../i18n/I18nProvider';
import type { Page } from '../router';
import { displayModelName, useCurrentModel } from '../state/CurrentModelContext';

function Message({ entry }: { entry: ChatEntry }) {
  const { t } = useI18n();
  const mine = entry.role === 'user';
  return (
    <div
      className={`chat-message chat-message--${entry.role}`}
      data-testid={`chat-message-${entry.role}`}
      data-status={entry.status}
    >
      <Avatar size="small" icon={mine ? <UserOutlined /> : <RobotOutlined />} className="chat-message__avatar" />
      <div className="chat-message__body">
        <div className="chat-message__bubble">
          {entry.content ||
            (entry.status === 'streaming' ? <span className="typing" aria-label={t('chat.thinking')} /> : null)}
          {entry.status === 'error' && (
            <Typography.Text type="danger" data-testid="chat-error">
              {entry.error}
            </Typography.Text>
          )}
        </div>
        {!mine && (
          <Flex gap={6} className="chat-message__meta">
            {entry.model && (
              <Tag variant="filled" data-testid="chat-answered-by">
                {t('chat.answeredBy', { model: entry.model })}
              </Tag>
            )}
            {entry.status === 'stopped' && <Tag color="orange">{t('chat.stopped')}</Tag>}
          </Flex>
        )}
      </div>
    </div>
  );
}

/**
 * Streaming chat with the default model (`sage-chat`: what the chat backend serves now, split by a running rollout) or
 * any served model picked by name.
 */
export function ChatPage({ onNavigate }: { onNavigate: (page: Page) => void }) {
  const { t } = useI18n();
  const { current } = useCurrentModel();
  const [model, setModel] = useState(CHAT_MODEL_ALIAS);
  const { entries, streaming, send, stop, reset } = useChat(model);
  const [draft, setDraft] = useState('');
  const list = useRef<HTMLDivElement>(null);
  const noModel = !current || current.kind === 'none' || (current.kind !== 'cloud' && !current.llm_service_running);

  useEffect(() => {
    const element = list.current;
    if (element) {
      element.scrollTop = element.scrollHeight;
    }
  }, [entries]);

  const submit = () => {
    if (!draft.trim() || streaming) {
      return;
    }
    void send(draft);
    setDraft('');
  };

  return (
    <Card
      className="chat-card"
      title={
        <Flex align="center" gap={8}>
          <RobotOutlined />
          <span>{t('chat.title')}</span>
          <Typography.Text type="secondary" className="chat-card__model">
            {displayModelName(current) ?? t('header.noModel')}
          </Typography.Text>
        </Flex>
      }
      extra={
        <Flex gap={8} align="center">
          <ChatModelPicker value={model} onChange={setModel} />
          <Button icon={<ClearOutlined />} onClick={reset} data-testid="chat-new">
            {t('chat.new')}
          </Button>
        </Flex>
      }
      styles={{ body: { display: 'flex', flexDirection: 'column', minHeight: 0, flex: 1, padding: 0 } }}
    >
      {noModel && current && (
        <Alert
          type="warning"
          showIcon
          banner
          title={t('chat.noModel')}
          action={
            <Button size="small" onClick={() => onNavigate('finetune')}>
              {t('chat.goFinetune')}
            </Button>
          }
        />
      )}
      <div className="chat-list" ref={list} data-testid="chat-list" aria-live="polite">
        {entries.length === 0 ? (
          <Empty className="chat-empty" image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('chat.empty')} />
        ) : (
          entries.map((entry) => <Message key={entry.id} entry={entry} />)
        )}
      </div>
      <div className="chat-input">
        <Input.TextArea
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
              event.preventDefault();
              submit();
            }
          }}
          autoSize={{ minRows: 1, maxRows: 6 }}
          placeholder={t('chat.placeholder')}
          aria-label={t('chat.placeholder')}
          data-testid="chat-input"
        />
        {streaming ? (
          <Button key="stop" danger icon={<StopOutlined />} onClick={stop} data-testid="chat-stop">
            {t('chat.stop')}
          </Button>
        ) : (
          <Button
            key="send"
            type="primary"
            icon={<SendOutlined />}
            onClick={submit}
            disabled={!draft.trim()}
            data-testid="chat-send"
          >
            {t('chat.send')}
          </Button>
        )}
      </div>
    </Card>
  );
}
