import { describe, expect, it } from 'vitest';
import type { Rollout, RolloutArm, ServedModel } from '../api/types';
import {
  chatModels,
  currentRollout,
  formatRate,
  historySamples,
  labelOf,
  parseSteps,
  rolloutSeries,
  unserveBlocker,
} from './serving';

const arm = (model: string, requests: number, errors: number, p95: number | null): RolloutArm => ({
  model,
  requests,
  errors,
  error_rate: requests ? errors / requests : 0,
  ttft_p50_ms: p95 == null ? null : p95 / 2,
  ttft_p95_ms: p95,
});

const served = (model: string, extra: Partial<ServedModel> = {}): ServedModel => ({
  model,
  kind: 'lora',
  state: 'ready',
  default: false,
  traffic: { requests: 0, errors: 0 },
  ...extra,
});

describe('parseSteps', () => {
  it('reads comma or space separated percentages', () => {
    expect(parseSteps('10,50,100')).toEqual([10, 50, 100]);
    expect(parseSteps(' 5, 25 100 ')).toEqual([5, 25, 100]);
    expect(parseSteps('100')).toEqual([100]);
  });

  it('names what is wrong like the server would', () => {
    expect(parseSteps('')).toBe('format');
    expect(parseSteps('10,fifty,100')).toBe('format');
    expect(parseSteps('0,50,100')).toBe('range');
    expect(parseSteps('10,150')).toBe('range');
    expect(parseSteps('50,10,100')).toBe('order');
    expect(parseSteps('10,10,100')).toBe('order');
    expect(parseSteps('10,50')).toBe('last');
  });
});

describe('rolloutSeries', () => {
  it('puts the samples in time order, one per second (the later wins), with error rates in percent', () => {
    const data = rolloutSeries([
      { at: 120.2, weight: 50, baseline: arm('b', 100, 1, 200), candidate: arm('c', 40, 2, 300) },
      { at: 60, weight: 10, baseline: arm('b', 0, 0, null), candidate: null },
      { at: 120.9, weight: 50, baseline: arm('b', 100, 2, 210), candidate: arm('c', 50, 5, 320) },
    ]);
    expect(data[0]).toEqual([60, 120]);
    expect(data[1]).toEqual([10, 50]);
    expect(data[2]).toEqual([null, 2]);
    expect(data[3]).toEqual([null, 10]);
    expect(data[4]).toEqual([null, 210]);
    expect(data[5]).toEqual([null, 320]);
  });

  it('reads a rollout history at its timestamps and skips unreadable ones', () => {
    const rollout = {
      history: [
        { at: '2026-01-01T12:00:00Z', weight: 10, event: 'started' },
        { at: 'not a time', weight: 50, event: 'advanced' },
      ],
    } as unknown as Rollout;
    expect(historySamples(rollout).map((s) => [s.at, s.weight])).toEqual([[Date.UTC(2026, 0, 1, 12) / 1000, 10]]);
  });
});

describe('serving helpers', () => {
  it('formats a share as a percentage', () => {
    expect(formatRate(0.5)).toBe('50%');
    expect(formatRate(0.0125)).toBe('1.3%');
    expect(formatRate(null)).toBe('—');
  });

  it('offers the chat only ready models, the default first', () => {
    const names = chatModels({
      engines: [],
      models: [
        served('zeta'),
        served('loading-one', { state: 'loading' }),
        served('base', { default: true, kind: 'base' }),
        served('alpha'),
        served('broken', { state: 'failed' }),
      ],
      default: 'base',
    }).map((m) => m.model);
    expect(names).toEqual(['base', 'alpha', 'zeta']);
    expect(chatModels(undefined)).toEqual([]);
  });

  it('blocks unserving the default and a rollout arm, as the server does', () => {
    expect(unserveBlocker(served('a', { default: true }))).toBe('default');
    expect(unserveBlocker(served('a', { rollout: { rollout_id: 'r', arm: 'candidate', weight: 10 } }))).toBe('rollout');
    expect(unserveBlocker(served('a'))).toBeNull();
  });

  it('shows the running rollout, else the newest', () => {
    const r = (id: string, state: Rollout['state']) => ({ rollout_id: id, state }) as Rollout;
    expect(currentRollout([r('new', 'aborted'), r('old', 'running')])?.rollout_id).toBe('old');
    expect(currentRollout([r('new', 'aborted'), r('old', 'promoted')])?.rollout_id).toBe('new');
    expect(currentRollout([])).toBeUndefined();
  });
});

describe('labelOf', () => {
  it('translates a known word and shows an unknown one as it came', () => {
    const t = ((key: string) => `T(${key})`) as unknown as Parameters<typeof labelOf>[0];
    expect(labelOf(t, 'rollout.event', 'advanced')).toBe('T(rollout.event.advanced)');
    expect(labelOf(t, 'rollout.event', 'paused')).toBe('paused');
  });
});
