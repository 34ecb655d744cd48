import type { CurrentModel, SwitchOperation } from '../api/types';

/**
 * live: the new model answers now; recorded: the switch is stored but no local engine runs it
 * (`llm_service_restarted: false`, the seed's "switched, needs restart"; a LoRA hot-loaded without a restart is
 * `true`: `engine_started` says whether a new engine was started); failed: it did not happen and the previous model
 * still serves.
 */
export type SwitchOutcome = 'live' | 'recorded' | 'failed';

export const SWITCH_STEPS = [
  'pending',
  'starting',
  'waiting_ready',
  'smoke_test',
  'routing',
  'draining',
  'completed',
] as const;

export function isFinished(operation: SwitchOperation): boolean {
  return operation.state === 'completed' || operation.state === 'failed';
}

export function switchOutcome(operation: SwitchOperation, current: CurrentModel | undefined): SwitchOutcome {
  if (operation.state === 'failed') {
    return 'failed';
  }
  if (operation.llm_service_restarted != null) {
    return operation.llm_service_restarted ? 'live' : 'recorded';
  }
  if (current?.kind === 'cloud' || current?.llm_service_running) {
    return 'live';
  }
  return 'recorded';
}
