import { App as AntApp } from 'antd';
import { render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { I18nProvider } from '../i18n/I18nProvider';
import { json, stubFetch } from '../test/fetchStub';
import { GpuSummary } from './GpuSummary';

function renderSummary() {
  return render(
    <I18nProvider>
      <AntApp>
        <GpuSummary />
      </AntApp>
    </I18nProvider>,
  );
}

describe('GpuSummary', () => {
  it('lists every GPU by its index on its node, with the recommendation', async () => {
    stubFetch({
      'GET /api/system/gpu-info': () =>
        json({
          available: true,
          count: 2,
          devices: [
            {
              id: 0,
              device_id: 'node-a/GPU-aaaa',
              index: 0,
              uuid: 'GPU-aaaa',
              node: 'node-a',
              name: 'NVIDIA A100-SXM4-80GB',
              memory_gb: 80,
              memory_total_bytes: 80 * 1024 ** 3,
              memory_free_bytes: 70 * 1024 ** 3,
              memory_used_bytes: 10 * 1024 ** 3,
            },
            {
              id: 0,
              device_id: 'node-b/GPU-bbbb',
              index: 0,
              uuid: 'GPU-bbbb',
              node: 'node-b',
              name: 'NVIDIA L4',
              memory_gb: 24,
              memory_total_bytes: 24 * 1024 ** 3,
              memory_free_bytes: 24 * 1024 ** 3,
              memory_used_bytes: 0,
            },
          ],
          recommendation: 'At batch 4 x 1024 tokens, LoRA fits up to Qwen/Qwen2.5-7B-Instruct.',
        }),
    });
    renderSummary();
    await waitFor(() => expect(screen.getAllByTestId('gpu-device')).toHaveLength(2));
    const [a100, l4] = screen.getAllByTestId('gpu-device');
    expect(a100).toHaveTextContent('#0 NVIDIA A100-SXM4-80GB');
    expect(l4).toHaveTextContent('#0 NVIDIA L4');
    expect(l4).toHaveTextContent('node-b');
    expect(screen.getByTestId('gpu-summary')).toHaveTextContent('LoRA fits up to Qwen/Qwen2.5-7B-Instruct');
  });

  it('reads the seed shape: an integer id and memory_gb only', async () => {
    stubFetch({
      'GET /api/system/gpu-info': () =>
        json({
          available: true,
          count: 1,
          devices: [{ id: 1, name: 'NVIDIA A10', memory_gb: 22 }],
          recommendation: 'Qwen2.5-1.5B fits.',
        }),
    });
    renderSummary();
    await waitFor(() => expect(screen.getByTestId('gpu-device')).toHaveTextContent('#1 NVIDIA A10'));
  });

  it('says no GPU was detected, and why', async () => {
    stubFetch({
      'GET /api/system/gpu-info': () =>
        json({
          available: false,
          count: 0,
          devices: [],
          reason: 'NVML not found',
          recommendation: 'No GPU to train on',
        }),
    });
    renderSummary();
    await waitFor(() => expect(screen.getByTestId('gpu-none')).toHaveTextContent('NVML not found'));
  });
});
