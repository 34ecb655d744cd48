import type { CurrentModel, Model } from '../api/types';
import type { SwitchTarget } from '../state/ModelSwitchContext';

export interface ModelGroup {
  base: string;
  models: Model[];
}

/**
 * Base and fine-tuned models grouped by base model: each group opens with the base model itself
 * (when it is in the catalogue), then its fine-tuned models newest first. Fine-tuned models of a
 * base outside the catalogue get a group of their own.
 */
export function groupModels(models: Model[]): ModelGroup[] {
  const groups = new Map<string, Model[]>();
  const bases = models.filter((m) => m.type === 'base');
  for (const base of bases) {
    groups.set(base.id, [base]);
  }
  const tuned = models
    .filter((m) => m.type === 'finetuned')
    .sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? ''));
  for (const model of tuned) {
    const key = model.base_model || '—';
    const group = groups.get(key) ?? [];
    group.push(model);
    groups.set(key, group);
  }
  return [...groups.entries()].map(([base, list]) => ({ base, models: list }));
}

export function searchText(model: Model): string {
  return [model.name, model.id, model.base_model, model.task_id, model.path].filter(Boolean).join(' ').toLowerCase();
}

/** What to ask the switch for: a fine-tuned model by its task, a base model by its id. */
export function switchTargetOf(model: Model): SwitchTarget {
  if (model.type === 'finetuned' && model.task_id) {
    return { task_id: model.task_id, label: model.name };
  }
  return { model: model.type === 'base' ? model.id : (model.path ?? model.id), label: model.name };
}

/**
 * The catalogue entry the chat backend serves now, if it is one of `models`. `current_model` is the model's path
 * (or id), as in the seed; the name users see is `display_name`.
 */
export function findCurrent(models: Model[], current: CurrentModel | undefined): Model | undefined {
  if (!current || current.kind === 'none') {
    return undefined;
  }
  const keys = [current.current_model, current.model_path, current.display_name, current.served_model_name].filter(
    Boolean,
  );
  return models.find((m) => keys.includes(m.id) || (m.path != null && keys.includes(m.path)) || keys.includes(m.name));
}
