import { describe, expect, it } from 'vitest';
import type { CurrentModel, Model } from '../api/types';
import { displayModelName } from '../state/CurrentModelContext';
import { findCurrent } from './models';

const BASE = 'Qwen/Qwen2.5-0.5B-Instruct';
const LORA = '/home/u/.sage/studio_finetune/ft-7/lora';

const models = [
  { id: BASE, name: 'Qwen2.5 0.5B Instruct', type: 'base', path: BASE },
  { id: 'ft-7', name: 'Support bot', type: 'finetuned', base_model: BASE, path: LORA, task_id: 'ft-7' },
] as Model[];

const current = (extra: Partial<CurrentModel>) =>
  ({ kind: 'finetuned', llm_service_running: true, revision: 1, ...extra }) as CurrentModel;

describe('current model (current_model is the path, display_name the name)', () => {
  it('finds a fine-tuned model by the path in current_model', () => {
    expect(findCurrent(models, current({ current_model: LORA, display_name: 'ft-ft-7' }))?.id).toBe('ft-7');
  });

  it('finds a base model by its id in current_model', () => {
    expect(findCurrent(models, current({ kind: 'base', current_model: BASE, display_name: BASE }))?.id).toBe(BASE);
  });

  it('finds a model by its display name when the path is unknown to the list', () => {
    expect(findCurrent(models, current({ current_model: '/elsewhere', display_name: 'Support bot' }))?.id).toBe('ft-7');
  });

  it('finds nothing while no model serves', () => {
    expect(findCurrent(models, current({ kind: 'none' }))).toBeUndefined();
  });

  it('shows the served name, else the display name, never the path while a name is known', () => {
    expect(
      displayModelName(current({ current_model: LORA, display_name: 'Support bot', served_model_name: 'ft-7' })),
    ).toBe('ft-7');
    expect(displayModelName(current({ current_model: LORA, display_name: 'Support bot' }))).toBe('Support bot');
    expect(displayModelName(current({ current_model: LORA }))).toBe(LORA);
    expect(displayModelName(current({ kind: 'none' }))).toBeNull();
  });
});
