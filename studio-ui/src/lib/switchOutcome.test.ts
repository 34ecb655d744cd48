import { describe, expect, it } from 'vitest';
import type { CurrentModel, SwitchOperation } from '../api/types';
import { switchOutcome } from './switchOutcome';

// Partial answers on purpose: these tests are about the fields they set.
const op = (state: SwitchOperation['state'], extra: Partial<SwitchOperation> = {}): SwitchOperation =>
  ({ id: 'op1', state, ...extra }) as SwitchOperation;
const current = (extra: Partial<CurrentModel>): CurrentModel =>
  ({ current_model: 'm', kind: 'finetuned', llm_service_running: true, ...extra }) as CurrentModel;

describe('switchOutcome', () => {
  it('is failed when the operation failed, whatever serves now', () => {
    expect(switchOutcome(op('failed', { error: 'not ready in 120 s', rolled_back: true }), current({}))).toBe('failed');
  });

  it('follows llm_service_restarted when the operation says it', () => {
    expect(switchOutcome(op('completed', { llm_service_restarted: false }), current({}))).toBe('recorded');
    expect(
      switchOutcome(op('completed', { llm_service_restarted: true }), current({ llm_service_running: false })),
    ).toBe('live');
  });

  it('is live when an engine serves the model or the backend is a cloud API', () => {
    expect(switchOutcome(op('completed'), current({}))).toBe('live');
    expect(switchOutcome(op('completed'), current({ kind: 'cloud', llm_service_running: false }))).toBe('live');
  });

  it('is only recorded when no local engine runs', () => {
    expect(switchOutcome(op('completed'), current({ llm_service_running: false }))).toBe('recorded');
  });
});
