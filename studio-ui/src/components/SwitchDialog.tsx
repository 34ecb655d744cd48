import { Alert, Checkbox, Flex, Modal, Typography } from 'antd';
import { useEffect, useState } from 'react';
import type { EvaluationSummary, GateCode } from '../api/evaluation';
import { finetuneApi } from '../api/finetune';
import { useI18n } from '../i18n/I18nProvider';
import { formatTime } from '../lib/taskFormat';
import { useModelSwitch } from '../state/ModelSwitchContext';
import { VerdictTag } from './EvaluationCompare';

/**
 * The latest evaluation of a fine-tune (`evaluation` of its task): from `known` when the caller has the task,
 * else read once. Undefined while unknown or for a model that is no task.
 */
export function useTaskEvaluation(taskId: string | null | undefined, known?: EvaluationSummary | null) {
  const [evaluation, setEvaluation] = useState<EvaluationSummary | null | undefined>(known);
  useEffect(() => {
    if (known !== undefined || !taskId) {
      setEvaluation(known);
      return undefined;
    }
    const controller = new AbortController();
    finetuneApi.getTask(taskId, controller.signal).then(
      (task) => setEvaluation(task.evaluation ?? null),
      () => setEvaluation(undefined),
    );
    return () => controller.abort();
  }, [taskId, known]);
  return evaluation;
}

/** The verdict of a fine-tune's latest evaluation, in a line: what a switch or a rollout of it would go on. */
export function EvaluationLine({ evaluation }: { evaluation: EvaluationSummary | null | undefined }) {
  const { t, lang } = useI18n();
  if (evaluation === undefined) {
    return null;
  }
  return (
    <Flex gap={8} align="center" wrap data-testid="gate-evaluation">
      <Typography.Text type="secondary">{t('gate.evaluation')}</Typography.Text>
      {evaluation ? (
        <>
          <VerdictTag verdict={evaluation.verdict} state={evaluation.state} />
          <Typography.Text type="secondary">
            {t('gate.against', { baseline: evaluation.baseline ?? 'base' })}
            {evaluation.completed_at ? ` · ${formatTime(evaluation.completed_at, lang)}` : ''}
          </Typography.Text>
        </>
      ) : (
        <Typography.Text type="warning">{t('gate.noEvaluation')}</Typography.Text>
      )}
    </Flex>
  );
}

/** Why the gate refused (409), in words the user can act on. */
export function GateRefusalAlert({ code, message }: { code: GateCode; message: string }) {
  const { t } = useI18n();
  return (
    <Alert
      type="error"
      showIcon
      title={t(`gate.${code}`)}
      description={message}
      data-testid="gate-refusal"
      data-code={code}
    />
  );
}

/** Require-evaluation and force, as two checkboxes (a switch dialog's, a rollout form's). */
export function GateOptions({
  require,
  force,
  onRequire,
  onForce,
}: {
  require: boolean;
  force: boolean;
  onRequire: (value: boolean) => void;
  onForce: (value: boolean) => void;
}) {
  const { t } = useI18n();
  return (
    <Flex vertical gap={4}>
      <Checkbox checked={require} onChange={(e) => onRequire(e.target.checked)} data-testid="gate-require">
        {t('gate.require')}
      </Checkbox>
      <Typography.Text type="secondary" className="gate-hint">
        {t('gate.requireHint')}
      </Typography.Text>
      <Checkbox checked={force} onChange={(e) => onForce(e.target.checked)} data-testid="gate-force">
        {t('gate.force')}
      </Checkbox>
    </Flex>
  );
}

/**
 * The switch dialog: what the chat backend switches to, the fine-tune's latest verdict, require-evaluation and
 * force. When the gate refuses (409 `evaluation_missing` / `evaluation_worse`), it opens again with the reason and
 * force ticked, so a second press switches anyway (the force is recorded on the operation).
 */
export function SwitchDialog() {
  const { t } = useI18n();
  const { confirming, refusal, closeDialog, start, busy } = useModelSwitch();
  const [require, setRequire] = useState(false);
  const [force, setForce] = useState(false);
  const evaluation = useTaskEvaluation(confirming?.task_id, confirming?.evaluation);

  useEffect(() => {
    setRequire(Boolean(confirming?.require_evaluation));
    setForce(Boolean(refusal) || Boolean(confirming?.force));
  }, [confirming, refusal]);

  return (
    <Modal
      open={confirming !== null}
      title={confirming ? t('gate.switchTitle', { model: confirming.label }) : undefined}
      okText={refusal ? t('gate.switchAnyway') : t('gate.switch')}
      okButtonProps={{ disabled: busy, danger: Boolean(refusal) && force, 'data-testid': 'switch-confirm' }}
      onOk={() => {
        if (confirming) {
          const target = { ...confirming, require_evaluation: require, force };
          closeDialog();
          void start(target);
        }
      }}
      onCancel={closeDialog}
      destroyOnHidden
    >
      <Flex vertical gap={12} data-testid="switch-dialog">
        {refusal && <GateRefusalAlert code={refusal.code} message={refusal.message} />}
        {confirming?.task_id && <EvaluationLine evaluation={evaluation} />}
        <GateOptions require={require} force={force} onRequire={setRequire} onForce={setForce} />
      </Flex>
    </Modal>
  );
}
