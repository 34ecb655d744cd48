import type { TrainingMethod } from '../api/types';

export interface Hyperparameters {
  num_epochs: number;
  batch_size: number;
  gradient_accumulation_steps: number;
  learning_rate: number;
  max_length: number;
  method: TrainingMethod;
  lora_r: number;
  lora_alpha: number;
  merge: boolean;
}

export type PresetName = 'safe' | 'balanced' | 'performance';

/**
 * safe: fits a small GPU (QLoRA, one sample a step, short context); balanced: the usual LoRA run;
 * performance: a large GPU, longer context and a higher rank.
 */
export const PRESETS: Record<PresetName, Hyperparameters> = {
  safe: {
    num_epochs: 1,
    batch_size: 1,
    gradient_accumulation_steps: 8,
    learning_rate: 1e-4,
    max_length: 512,
    method: 'qlora',
    lora_r: 8,
    lora_alpha: 16,
    merge: false,
  },
  balanced: {
    num_epochs: 3,
    batch_size: 2,
    gradient_accumulation_steps: 4,
    learning_rate: 2e-4,
    max_length: 1024,
    method: 'lora',
    lora_r: 16,
    lora_alpha: 32,
    merge: false,
  },
  performance: {
    num_epochs: 3,
    batch_size: 4,
    gradient_accumulation_steps: 2,
    learning_rate: 2e-4,
    max_length: 2048,
    method: 'lora',
    lora_r: 64,
    lora_alpha: 128,
    merge: true,
  },
};

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** The preset these settings are exactly, or `custom` once the user changed any of them. */
export function matchPreset(values: Hyperparameters): PresetName | 'custom' {
  const keys = Object.keys(PRESETS.safe) as (keyof Hyperparameters)[];
  return PRESET_NAMES.find((name) => keys.every((key) => PRESETS[name][key] === values[key])) ?? 'custom';
}

/** Effective batch size: what one optimiser step sees. */
export function effectiveBatch(values: Pick<Hyperparameters, 'batch_size' | 'gradient_accumulation_steps'>): number {
  return values.batch_size * values.gradient_accumulation_steps;
}
