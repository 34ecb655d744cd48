import { App } from 'antd';
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { chatApi } from '../api/chat';
import { isGateCode, type EvaluationSummary, type GateCode, type GatedSwitchRequest } from '../api/evaluation';
import { ApiError, errorMessage } from '../api/http';
import type { SwitchOperation } from '../api/types';
import { useI18n } from '../i18n/I18nProvider';
import { isAbort } from '../hooks/usePolling';
import { isFinished, switchOutcome, type SwitchOutcome } from '../lib/switchOutcome';
import { useCurrentModel } from './CurrentModelContext';

export interface SwitchTarget extends GatedSwitchRequest {
  /** What the user picked, for the toast. */
  label: string;
  /** The fine-tune's latest evaluation when the caller knows it (the switch dialog reads the task otherwise). */
  evaluation?: EvaluationSummary | null;
}

/** A switch the evaluation gate refused (409): the dialog explains it and offers `force`. */
export interface GateRefusal {
  code: GateCode;
  message: string;
}

interface ModelSwitchState {
  /** The operation being followed (or the last one), with its live state and steps. */
  operation: SwitchOperation | null;
  target: SwitchTarget | null;
  outcome: SwitchOutcome | null;
  busy: boolean;
  start: (target: SwitchTarget) => Promise<void>;
  /** Opens the switch dialog for `target` (its evaluation, require-evaluation and force), which then starts it. */
  ask: (target: SwitchTarget) => void;
  /** The target the switch dialog shows, if open, and why the gate refused it, if it did. */
  confirming: SwitchTarget | null;
  refusal: GateRefusal | null;
  closeDialog: () => void;
}

/** The toast's symbol: ✅ live, ⚠️ recorded only, ❌ failed. */
function ToastIcon({ children }: { children: string }) {
  return (
    <span className="toast-icon" data-testid="switch-toast-icon">
      {children}
    </span>
  );
}

const ModelSwitchContext = createContext<ModelSwitchState | null>(null);

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new DOMException('aborted', 'AbortError'));
      },
      { once: true },
    );
  });
}

/**
 * One switch at a time for the whole UI: `POST /api/chat/switch`, then `GET /api/chat/switch/{id}`
 * every `pollMs` until it completes or fails, then a toast that says what really happened.
 */
export function ModelSwitchProvider({ children, pollMs = 500 }: { children: ReactNode; pollMs?: number }) {
  const { notification } = App.useApp();
  const { t } = useI18n();
  const { refresh } = useCurrentModel();
  const [operation, setOperation] = useState<SwitchOperation | null>(null);
  const [target, setTarget] = useState<SwitchTarget | null>(null);
  const [outcome, setOutcome] = useState<SwitchOutcome | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState<SwitchTarget | null>(null);
  const [refusal, setRefusal] = useState<GateRefusal | null>(null);
  const lifetime = useRef<AbortController | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    lifetime.current = controller;
    return () => controller.abort();
  }, []);

  const start = useCallback(
    async (next: SwitchTarget) => {
      const signal = lifetime.current?.signal;
      if (!signal || busy) {
        return;
      }
      setBusy(true);
      setTarget(next);
      setOutcome(null);
      setOperation(null);
      try {
        let op = await chatApi.startSwitch({
          model: next.model,
          task_id: next.task_id,
          strategy: next.strategy,
          ...(next.require_evaluation ? { require_evaluation: true } : {}),
          ...(next.force ? { force: true } : {}),
        });
        setOperation(op);
        while (!isFinished(op)) {
          await wait(pollMs, signal);
          op = await chatApi.getSwitch(op.id, signal);
          setOperation(op);
        }
        const current = op.state === 'completed' ? await chatApi.currentModel(signal) : undefined;
        const result = switchOutcome(op, current);
        setOutcome(result);
        if (result === 'live') {
          notification.success({
            key: 'switch',
            icon: <ToastIcon>✅</ToastIcon>,
            title: t('switch.toast.live', { model: next.label }),
            description: op.timings?.downtime_ms
              ? t('switch.toast.downtime', { ms: op.timings.downtime_ms })
              : undefined,
          });
        } else if (result === 'recorded') {
          notification.warning({
            key: 'switch',
            icon: <ToastIcon>⚠️</ToastIcon>,
            title: t('switch.toast.recorded', { model: next.label }),
            description: t('switch.toast.recordedHint'),
            duration: 10,
          });
        } else {
          notification.error({
            key: 'switch',
            icon: <ToastIcon>❌</ToastIcon>,
            title: t('switch.toast.failed', { model: next.label }),
            description: `${op.error ?? t('switch.unknownReason')} ${t('switch.toast.oldServes')}`,
            duration: 0,
          });
        }
      } catch (cause) {
        if (isAbort(cause)) {
          return;
        }
        setOutcome('failed');
        if (cause instanceof ApiError && isGateCode(cause.code)) {
          // the evaluation gate refused it: the dialog opens again with the reason and a forced retry
          setRefusal({ code: cause.code, message: cause.message });
          setConfirming(next);
          return;
        }
        const conflict = cause instanceof ApiError && cause.code === 'switch_in_progress';
        notification.error({
          key: 'switch',
          icon: <ToastIcon>❌</ToastIcon>,
          title: conflict ? t('switch.toast.inProgress') : t('switch.toast.failed', { model: next.label }),
          description: conflict ? errorMessage(cause) : `${errorMessage(cause)} ${t('switch.toast.oldServes')}`,
          duration: 0,
        });
      } finally {
        if (!signal.aborted) {
          setBusy(false);
          refresh();
        }
      }
    },
    [busy, notification, pollMs, refresh, t],
  );

  const ask = useCallback((next: SwitchTarget) => {
    setRefusal(null);
    setConfirming(next);
  }, []);
  const closeDialog = useCallback(() => {
    setConfirming(null);
    setRefusal(null);
  }, []);

  return (
    <ModelSwitchContext.Provider
      value={{ operation, target, outcome, busy, start, ask, confirming, refusal, closeDialog }}
    >
      {children}
    </ModelSwitchContext.Provider>
  );
}

export function useModelSwitch(): ModelSwitchState {
  const context = useContext(ModelSwitchContext);
  if (!context) {
    throw new Error('useModelSwitch outside <ModelSwitchProvider>');
  }
  return context;
}
