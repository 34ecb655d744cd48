import { describe, expect, it } from 'vitest';
import { effectiveBatch, matchPreset, PRESETS } from './presets';

describe('presets', () => {
  it('recognises each preset exactly', () => {
    expect(matchPreset(PRESETS.safe)).toBe('safe');
    expect(matchPreset(PRESETS.balanced)).toBe('balanced');
    expect(matchPreset(PRESETS.performance)).toBe('performance');
  });

  it('is custom once any setting differs', () => {
    expect(matchPreset({ ...PRESETS.balanced, lora_r: 32 })).toBe('custom');
    expect(matchPreset({ ...PRESETS.safe, merge: true })).toBe('custom');
  });

  it('goes from small to large memory', () => {
    const tokens = (p: typeof PRESETS.safe) => p.batch_size * p.max_length;
    expect(tokens(PRESETS.safe)).toBeLessThan(tokens(PRESETS.balanced));
    expect(tokens(PRESETS.balanced)).toBeLessThan(tokens(PRESETS.performance));
    expect(PRESETS.safe.method).toBe('qlora');
    expect(effectiveBatch(PRESETS.balanced)).toBe(8);
  });
});
