import { AppstoreOutlined } from '@ant-design/icons';
import { Alert, Card, Col, Row, Typography } from 'antd';
import { useState } from 'react';
import { servingApi } from '../api/serving';
import { RolloutCard } from '../components/RolloutPanel';
import { EnginesCard, ServeControl, ServedModelsTable } from '../components/ServingTables';
import { usePolling } from '../hooks/usePolling';
import { useI18n } from '../i18n/I18nProvider';
import { currentRollout } from '../lib/serving';

const fetchServing = (signal: AbortSignal) => servingApi.serving(signal);
const fetchRollouts = (signal: AbortSignal) => servingApi.rollouts(5, signal);

/**
 * Serving: every model addressable by name with its traffic, the engines behind them, serve / unserve, and the
 * rollout of a served model against the default (controls and a live chart of both arms). Both lists are polled;
 * an action refreshes them at once.
 */
export function ServingPage({ intervalMs = 3000 }: { intervalMs?: number }) {
  const { t } = useI18n();
  const serving = usePolling(fetchServing, intervalMs);
  const rollouts = usePolling(fetchRollouts, Math.min(intervalMs, 2000));
  const [candidate, setCandidate] = useState<string>();
  const rollout = currentRollout(rollouts.data);
  const models = serving.data?.models ?? [];
  const refresh = () => {
    serving.refresh();
    rollouts.refresh();
  };

  return (
    <Row gutter={[16, 16]} className="serving-page" data-testid="serving-page">
      <Col xs={24} xl={14}>
        <div className="stack">
          <Card
            size="small"
            title={
              <span>
                <AppstoreOutlined /> {t('serving.title')}
              </span>
            }
          >
            <div className="stack">
              <Typography.Text type="secondary">{t('serving.hint')}</Typography.Text>
              <ServeControl onServed={serving.refresh} />
              {serving.error && <Alert type="error" showIcon title={t('serving.error')} description={serving.error} />}
              <ServedModelsTable
                models={models}
                onRollOut={setCandidate}
                onChanged={refresh}
                rolloutRunning={rollout?.state === 'running'}
              />
            </div>
          </Card>
          <EnginesCard engines={serving.data?.engines ?? []} />
        </div>
      </Col>
      <Col xs={24} xl={10}>
        <RolloutCard
          rollout={rollout}
          error={rollouts.error}
          models={models}
          candidate={candidate}
          onChanged={refresh}
        />
      </Col>
    </Row>
  );
}
