import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../api/types';
import { apiError, json, stubFetch } from '../test/fetchStub';
import { renderWithProviders } from '../test/render';
import { DatasetPicker } from './DatasetPicker';
import { useState } from 'react';

function Harness({ onDataset }: { onDataset?: (d: Dataset | null) => void }) {
  const [value, setValue] = useState<Dataset | null>(null);
  return (
    <DatasetPicker
      value={value}
      onChange={(d) => {
        setValue(d);
        onDataset?.(d);
      }}
    />
  );
}

const uploaded: Dataset = {
  dataset_id: 'ds1',
  path: '/home/u/.sage/studio/datasets/ds1/dataset.jsonl',
  filename: 'support.jsonl',
  format: 'alpaca',
  valid_records: 118,
  invalid_records: 2,
  size_bytes: 52_000,
  stored_bytes: 52_000,
  file_path: '/home/u/.sage/studio/datasets/ds1/dataset.jsonl',
  stats: { total_samples: 118, avg_chars: 400, max_chars: 2000, total_chars: 48_000, estimated_tokens: 12_345 },
  errors: [
    { line: 7, code: 'missing_field', message: 'no "output" field' },
    { line: 19, code: 'invalid_json', message: 'Unexpected end of JSON input' },
  ],
};

function upload(name: string, content: string) {
  const input = document.querySelector('input[type=file]') as HTMLInputElement;
  fireEvent.change(input, { target: { files: [new File([content], name, { type: 'application/json' })] } });
}

describe('DatasetPicker', () => {
  it('uploads the file as the request body and shows format, sample count and the first line errors', async () => {
    const { calls } = stubFetch({ 'POST /api/finetune/upload-dataset': () => json(uploaded) });
    let accepted: Dataset | null = null;
    renderWithProviders(<Harness onDataset={(d) => (accepted = d)} />);
    upload('support.jsonl', '{"instruction":"a","output":"b"}\n');

    const summary = await screen.findByTestId('dataset-summary');
    expect(within(summary).getByTestId('dataset-format')).toHaveTextContent('alpaca');
    expect(within(summary).getByTestId('dataset-count')).toHaveTextContent('118');
    expect(summary).toHaveTextContent('2 invalid, skipped');
    const errors = within(summary).getAllByTestId('dataset-error');
    expect(errors.map((e) => e.textContent)).toEqual([
      'line 7 no "output" field',
      'line 19 Unexpected end of JSON input',
    ]);
    expect(accepted).toEqual(uploaded);
    expect(calls[0].url).toBe('/api/finetune/upload-dataset?filename=support.jsonl');
    expect((calls[0].body as File).name).toBe('support.jsonl');
    expect(calls[0].headers.get('Content-Type')).toBe('application/octet-stream');
  });

  it('shows why a dataset was refused, line by line, and accepts nothing', async () => {
    stubFetch({
      'POST /api/finetune/upload-dataset': () =>
        apiError(400, 'dataset_invalid', 'no valid record in bad.jsonl', [
          { line: 1, code: 'invalid_json', message: 'Expected property name' },
          { line: 2, code: 'unknown_format', message: 'neither alpaca, sharegpt, openai nor prompt/completion' },
        ]),
    });
    let accepted: Dataset | null | undefined;
    renderWithProviders(<Harness onDataset={(d) => (accepted = d)} />);
    upload('bad.jsonl', '{oops\n{"x":1}\n');

    const rejected = await screen.findByTestId('dataset-rejected');
    expect(rejected).toHaveTextContent('no valid record in bad.jsonl');
    expect(within(rejected).getAllByTestId('dataset-error')).toHaveLength(2);
    expect(rejected).toHaveTextContent('line 2 neither alpaca');
    expect(accepted).toBeNull();
    expect(screen.queryByTestId('dataset-summary')).toBeNull();
  });

  it('uses the bundled docs sample', async () => {
    stubFetch({
      'POST /api/finetune/prepare-sage-docs': () =>
        json({ ...uploaded, filename: 'sage-docs.jsonl', format: 'openai', errors: [], invalid_records: 0 }),
    });
    renderWithProviders(<Harness />);
    fireEvent.click(screen.getByTestId('dataset-sample'));
    await waitFor(() => expect(screen.getByTestId('dataset-format')).toHaveTextContent('openai'));
    expect(screen.queryByTestId('dataset-errors')).toBeNull();
  });
});
