import { Empty, Flex, Switch, Typography } from 'antd';
import { useEffect, useRef } from 'react';
import { useI18n } from '../i18n/I18nProvider';

/** A log tail that stays scrolled to the end while following (unless the user scrolled up). */
interface Props {
  lines: string[];
  follow: boolean;
  /** false once the task finished: there is nothing more to follow. */
  canFollow: boolean;
  onFollowChange: (follow: boolean) => void;
  error: string | null;
}

export function LogView({ lines, follow, canFollow, onFollowChange, error }: Props) {
  const { t } = useI18n();
  const box = useRef<HTMLPreElement>(null);
  const pinned = useRef(true);

  useEffect(() => {
    const element = box.current;
    if (element && follow && pinned.current) {
      element.scrollTop = element.scrollHeight;
    }
  }, [lines, follow]);

  return (
    <Flex vertical gap={8}>
      <Flex justify="space-between" align="center">
        <Typography.Text type="secondary">{t('drawer.logLines', { count: lines.length })}</Typography.Text>
        <label className="follow-toggle">
          <Switch
            size="small"
            checked={follow && canFollow}
            disabled={!canFollow}
            onChange={onFollowChange}
            data-testid="logs-follow"
          />{' '}
          {t('drawer.follow')}
        </label>
      </Flex>
      {error && <Typography.Text type="danger">{error}</Typography.Text>}
      {lines.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('drawer.noLogs')} />
      ) : (
        <pre
          ref={box}
          className="log-view"
          data-testid="task-logs"
          tabIndex={0}
          aria-label={t('drawer.logs')}
          onScroll={(event) => {
            const el = event.currentTarget;
            pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
          }}
        >
          {lines.join('\n')}
        </pre>
      )}
    </Flex>
  );
}
