import { describe, expect, it } from 'vitest';
import { betterArm, formatMetric, METRICS } from './evaluation';
import { MAX_WORDS, overlap, tokenize, wordDiff } from './wordDiff';

const spec = (key: string) => METRICS.find((m) => m.key === key)!;

describe('wordDiff', () => {
  it('keeps the text intact and marks the words the other text lacks', () => {
    const segments = wordDiff('Open the Finetune panel now', 'Open the finetune panel')!;
    expect(segments.map((s) => s.text).join('')).toBe('Open the Finetune panel now');
    expect(segments).toEqual([
      { text: 'Open the Finetune panel ', kind: 'same' },
      { text: 'now', kind: 'added' },
    ]);
  });

  it('shows the words only the other text has as removed when asked', () => {
    const segments = wordDiff('press Switch', 'press the Switch button', true)!;
    expect(segments.filter((s) => s.kind === 'removed').map((s) => s.text.trim())).toEqual(['the', 'button']);
    expect(
      segments
        .filter((s) => s.kind !== 'removed')
        .map((s) => s.text)
        .join(''),
    ).toBe('press Switch');
  });

  it('marks everything added against an empty text, and skips texts too long to compare', () => {
    expect(wordDiff('a b', '')).toEqual([{ text: 'a b', kind: 'added' }]);
    expect(wordDiff('', 'a b')).toEqual([]);
    const long = Array.from({ length: MAX_WORDS + 1 }, (_, i) => `w${i}`).join(' ');
    expect(wordDiff(long, 'w1')).toBeNull();
    expect(tokenize(' a  b\n')).toEqual([' ', 'a  ', 'b\n']);
  });

  it('measures the share of shared words', () => {
    expect(overlap('a b c d', 'a x c')).toBe(0.5);
    expect(overlap('', 'a')).toBe(0);
  });
});

describe('evaluation metrics', () => {
  it('knows which way is better', () => {
    expect(betterArm(spec('token_f1'), 0.6, 0.4)).toBe('candidate');
    expect(betterArm(spec('loss'), 0.6, 0.4)).toBe('baseline');
    expect(betterArm(spec('avg_latency_ms'), 120, 150)).toBe('candidate');
    expect(betterArm(spec('avg_answer_chars'), 120, 150)).toBeNull();
    expect(betterArm(spec('rouge_l'), 0.5, 0.5)).toBeNull();
    expect(betterArm(spec('rouge_l'), null, 0.5)).toBeNull();
  });

  it('prints ratios as percentages and missing figures as a dash', () => {
    expect(formatMetric(spec('exact_match'), 0.125)).toBe('12.5 %');
    expect(formatMetric(spec('perplexity'), 3.14159)).toBe('3.14');
    expect(formatMetric(spec('avg_latency_ms'), 84.4)).toBe('84 ms');
    expect(formatMetric(spec('loss'), null)).toBe('—');
  });
});
