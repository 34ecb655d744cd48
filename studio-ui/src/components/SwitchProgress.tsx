import { Flex, Steps, Tag, Typography } from 'antd';
import type { SwitchOperation, SwitchState } from '../api/types';
import { useI18n } from '../i18n/I18nProvider';

const STEP_OF: Record<SwitchState, number> = {
  pending: 0,
  starting: 1,
  waiting_ready: 2,
  smoke_test: 2,
  routing: 3,
  draining: 3,
  completed: 4,
  failed: 0,
};

/** Where a switch is: requested → starting → ready (readiness + smoke test) → routed → done. */
export function SwitchProgress({ operation }: { operation: SwitchOperation }) {
  const { t } = useI18n();
  const failed = operation.state === 'failed';
  const lastSteps = (operation.steps ?? []).slice(-3);
  // a failed switch stopped before readiness unless the timings say it got further
  const failedAt = operation.timings?.routed_at ? 4 : operation.timings?.ready_at ? 3 : 2;
  const current = failed ? failedAt : STEP_OF[operation.state];

  return (
    <div className="switch-progress" data-testid="switch-progress" data-state={operation.state}>
      <Flex gap={8} align="center" style={{ marginBottom: 8 }}>
        <Typography.Text type="secondary">{t('switch.strategy')}</Typography.Text>
        <Tag>{operation.strategy ?? t('switch.strategyAuto')}</Tag>
        <Typography.Text type="secondary">{t(`switch.state.${operation.state}`)}</Typography.Text>
        {operation.evaluation_forced && (
          <Tag color="warning" data-testid="switch-forced">
            {t('gate.forced')}
          </Tag>
        )}
      </Flex>
      <Steps
        size="small"
        labelPlacement="vertical"
        current={current}
        status={failed ? 'error' : operation.state === 'completed' ? 'finish' : 'process'}
        items={[
          { title: t('switch.step.requested') },
          { title: t('switch.step.starting') },
          { title: t('switch.step.ready') },
          { title: t('switch.step.routed') },
          { title: t('switch.step.done') },
        ]}
      />
      {lastSteps.length > 0 && (
        <ul className="switch-progress__log">
          {lastSteps.map((step) => (
            <li key={`${step.at}-${step.message}`}>
              <Typography.Text type="secondary" className="mono">
                {new Date(step.at).toLocaleTimeString()}
              </Typography.Text>{' '}
              {step.message}
            </li>
          ))}
        </ul>
      )}
      {failed && operation.error && (
        <Typography.Text type="danger" data-testid="switch-error">
          {operation.error}
        </Typography.Text>
      )}
    </div>
  );
}
